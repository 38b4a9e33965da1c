"""Writes consistent inputs for copy.manifest.json, or one broken variant.

A step with page size 4 and 8 pages: request 0 has 5 cached tokens and 1 new
one (positions 0..5, pages 3 and 7), request 1 has 3 new tokens (positions
0..2, page 1). Unassigned lookup_table slots hold the sentinel 8.
"""
import argparse
import os

import numpy as np

VARIANTS = [
    "ok", "uint32", "missing-q", "wrong-dtype", "wrong-rank", "wrong-dim",
    "batch-mismatch", "bad-page", "offsets-decreasing", "big-endian",
    "fortran", "truncated", "object", "max-prompt-unbounded",
    "max-cache-unbounded", "no-partitions",
]

parser = argparse.ArgumentParser()
parser.add_argument("outdir")
parser.add_argument("--variant", choices=VARIANTS, default="ok")
args = parser.parse_args()
os.makedirs(args.outdir, exist_ok=True)

arrays = {
    "q": np.arange(4 * 2 * 4, dtype=np.float32).reshape(4, 2, 4),
    "kv_blocks": np.ones((8, 2, 1, 4, 1, 4), dtype=np.float32),
    "cache_lengths": np.array([5, 0], dtype=np.int32),
    "lookup_table": np.full((2, 24), 8, dtype=np.int32),
    "max_lengths": np.array([[3, 6]], dtype=np.int32),
    "attention_dispatch_metadata": np.array([2, 3, 1, 6], dtype=np.int64),
    "input_row_offsets": np.array([0, 1, 4], dtype=np.int32),
    "layer": np.array(3, dtype=np.int64),
    "out": np.zeros((4, 2, 4), dtype=np.float32),
}
arrays["lookup_table"][0, :2] = [3, 7]
arrays["lookup_table"][1, 0] = 1

v = args.variant
if v == "uint32":
    for name in ("cache_lengths", "lookup_table", "max_lengths"):
        arrays[name] = arrays[name].astype(np.uint32)
elif v == "missing-q":
    del arrays["q"]
elif v == "wrong-dtype":
    arrays["lookup_table"] = arrays["lookup_table"].astype(np.float64)
elif v == "wrong-rank":
    arrays["lookup_table"] = arrays["lookup_table"].reshape(-1)
elif v == "wrong-dim":
    arrays["kv_blocks"] = np.ones((8, 2, 1, 8, 1, 4), dtype=np.float32)
elif v == "batch-mismatch":
    arrays["cache_lengths"] = np.array([5, 0, 0], dtype=np.int32)
elif v == "bad-page":
    arrays["lookup_table"][1, 0] = 40
elif v == "max-prompt-unbounded":
    # -1, read as 4294967295: the prefill grid would be ~10^9 CTAs.
    arrays["max_lengths"] = np.array([[-1, 6]], dtype=np.int32)
elif v == "max-cache-unbounded":
    arrays["max_lengths"] = np.array([[3, 100000]], dtype=np.int32)
elif v == "no-partitions":
    arrays["attention_dispatch_metadata"] = np.array([2, 3, 0, 6],
                                                     dtype=np.int64)
elif v == "offsets-decreasing":
    arrays["input_row_offsets"] = np.array([0, 5, 4], dtype=np.int32)
elif v == "big-endian":
    arrays["q"] = arrays["q"].astype(">f4")
elif v == "fortran":
    arrays["q"] = np.asfortranarray(arrays["q"])
elif v == "object":
    arrays["q"] = np.array([1, "a"], dtype=object)

for name, array in arrays.items():
    np.save(os.path.join(args.outdir, name + ".npy"), array,
            allow_pickle=(v == "object"))

if v == "truncated":
    path = os.path.join(args.outdir, "q.npy")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 10)
