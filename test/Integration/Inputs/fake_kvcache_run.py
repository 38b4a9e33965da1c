#!/usr/bin/env python3
"""A stand-in for `kvcache-run BUNDLE --entry step --inputs IN --outputs OUT`
that computes the case driver's graph in NumPy the way a GPU kernel would
(f32 scores and sums, probabilities rounded to the cache dtype before P.V as
tensor-core kernels do, output rounded to nearest even), optionally with a
planted fault. It lets lit check, without a GPU, that the driver's
tolerances pass a correct low-precision kernel and catch broken ones.

  FAKE_FAULT=none       correct
  FAKE_FAULT=drop-last  every request ignores its last key
  FAKE_FAULT=shift      V is read one position late (pos + 1, the last one
                        reads itself)
  FAKE_FAULT=skip-row   output row 0 is never written
"""
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paged_attention_case as pac  # noqa: E402


def main():
    argv = sys.argv[1:]
    bundle = argv[0]
    opts = dict(zip(argv[1::2], argv[2::2]))
    fault = os.environ.get("FAKE_FAULT", "none")
    with open(os.path.join(bundle, "manifest.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(bundle, "source-graph.mlir")) as f:
        graph = f.read()
    args = {a["name"]: a for a in manifest["functions"][0]["arguments"]}
    dtype = args["q"]["element_type"]
    et = pac.ELEMENT_TYPES[dtype]
    causal = "{causal}" in graph
    store = "kvcache.store" in graph
    layer = int(re.search(r"arith.constant (\d+) : index", graph).group(1))
    page_size = args["kv_blocks"]["shape"][3]

    def load(name):
        return np.load(os.path.join(opts["--inputs"], name + ".npy"))
    blocks, q = load("kv_blocks"), load("q")
    key, value = load("key"), load("value")
    cache, table = load("cache_lengths"), load("lookup_table")
    offsets, out = load("input_row_offsets"), load("out")
    if store:
        for b in range(len(cache)):
            n = offsets[b + 1] - offsets[b]
            pos = np.arange(cache[b], cache[b] + n)
            page, slot = table[b, pos // page_size], pos % page_size
            blocks[page, 0, layer, slot] = key[offsets[b]:offsets[b + 1]]
            blocks[page, 1, layer, slot] = value[offsets[b]:offsets[b + 1]]
    hq, d = q.shape[1], q.shape[2]
    hk = blocks.shape[4]
    group = hq // hk
    qf = et.decode(q).astype(np.float32)
    result = et.decode(out).astype(np.float32)
    for b in range(len(cache)):
        n = offsets[b + 1] - offsets[b]
        total = cache[b] + n
        if n == 0:
            continue
        pos = np.arange(total)
        page, slot = table[b, pos // page_size], pos % page_size
        k = et.decode(blocks[page, 0, layer, slot]).astype(np.float32)
        vpos = np.minimum(pos + 1, total - 1) if fault == "shift" else pos
        v = et.decode(blocks[table[b, vpos // page_size], 1, layer,
                             vpos % page_size]).astype(np.float32)
        rows = qf[offsets[b]:offsets[b + 1]].reshape(n, hk, group, d)
        s = np.einsum("nhgd,thd->nhgt", rows, k) / np.float32(np.sqrt(d))
        hidden = np.zeros((n, total), bool)
        if causal:
            hidden = pos[None, :] > (cache[b] + np.arange(n))[:, None]
        if fault == "drop-last" and total > 1:
            hidden[:, total - 1] = True
        s = np.where(hidden[:, None, None, :], -np.inf, s)
        p = np.exp(s - s.max(axis=-1, keepdims=True))
        denom = p.sum(axis=-1, keepdims=True, dtype=np.float32)
        p = et.decode(et.encode(p)).astype(np.float32)  # P in the cache dtype
        o = np.einsum("nhgt,thd->nhgd", p, v) / denom
        result[offsets[b]:offsets[b + 1]] = o.reshape(n, hq, d)
    encoded = et.encode(result)
    if fault == "skip-row":
        encoded[0] = out[0]
    os.makedirs(opts["--outputs"], exist_ok=True)
    for name, array in (("out", encoded), ("kv_blocks", blocks), ("q", q),
                        ("key", key), ("value", value),
                        ("cache_lengths", cache), ("lookup_table", table),
                        ("input_row_offsets", offsets)):
        np.save(os.path.join(opts["--outputs"], name + ".npy"), array)


if __name__ == "__main__":
    main()
