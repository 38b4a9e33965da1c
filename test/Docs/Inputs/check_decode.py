#!/usr/bin/env python3
"""What one run of examples/llama3-8b-decode.mlir's decode_step left, checked
from its kvcache-run inputs and outputs alone:

    check_decode.py IN OUT [--tolerance T]

Every layer stores each request's new K/V rows at positions cache_lengths[b]
+ i of its pages and then attends over all of them, so in OUT's kv_blocks
the new rows (key.npy, value.npy) are in every layer and nothing else
differs from IN's; and OUT's `out` holds the last layer's attention, within
T (default 4e-3, twice bf16's half-ulp below 1) of a float64 reference
written from ABI.md ("Ragged queries": page = lookup_table[b, pos //
page_size], slot = pos % page_size; GQA: q head h reads kv head h // group;
scores scaled by 1/sqrt(head_dim)). bf16 arrays are uint16 bit patterns.
"""
import argparse
import os
import sys

import numpy as np


def bf16(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("inputs")
    p.add_argument("outputs")
    p.add_argument("--tolerance", type=float, default=4e-3)
    a = p.parse_args()
    load = lambda d, n: np.load(os.path.join(d, n + ".npy"))
    before, after = load(a.inputs, "kv_blocks"), load(a.outputs, "kv_blocks")
    lengths = load(a.inputs, "cache_lengths").astype(np.int64)
    table = load(a.inputs, "lookup_table").astype(np.int64)
    offsets = load(a.inputs, "input_row_offsets").astype(np.int64)
    q, key, value = (load(a.inputs, n) for n in ("q", "key", "value"))
    out = bf16(load(a.outputs, "out"))
    pages, _, layers, page_size, kv_heads, head_dim = before.shape
    q_heads = q.shape[1]
    batch = len(lengths)

    # The store: exactly the new rows changed, in every layer.
    expected = before.copy()
    for b in range(batch):
        for i, row in enumerate(range(offsets[b], offsets[b + 1])):
            pos = lengths[b] + i
            page, slot = table[b, pos // page_size], pos % page_size
            expected[page, 0, :, slot] = key[row]
            expected[page, 1, :, slot] = value[row]
    stored = int(offsets[-1])
    if not np.array_equal(after, expected):
        changed = np.argwhere(after != expected)[:4].tolist()
        print(f"kv_blocks: not the input with the new rows stored; first "
              f"differences at {changed}")
        return 1
    print(f"kv_blocks: the {stored} new rows stored in each of {layers} "
          f"layers, nothing else changed")

    # The attention of the last layer over each request's whole cache.
    group = q_heads // kv_heads
    error = 0.0
    for b in range(batch):
        count = lengths[b] + offsets[b + 1] - offsets[b]
        positions = np.arange(count)
        page, slot = table[b, positions // page_size], positions % page_size
        k, v = (np.repeat(bf16(after[page, kind, layers - 1, slot]), group, 1)
                for kind in (0, 1))  # [tokens, q head, head_dim]
        for row in range(offsets[b], offsets[b + 1]):
            scores = np.einsum("hd,thd->ht", bf16(q[row]), k) / np.sqrt(head_dim)
            weights = np.exp(scores - scores.max(axis=1, keepdims=True))
            weights /= weights.sum(axis=1, keepdims=True)
            reference = np.einsum("ht,thd->hd", weights, v)
            error = max(error, float(np.abs(out[row] - reference).max()))
    within = error <= a.tolerance and np.isfinite(out).all()
    print(f"out: {stored} rows x {q_heads} heads "
          f"{'within' if within else 'NOT within'} {a.tolerance:g} of the "
          f"float64 reference (max error {error:.2g})")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
