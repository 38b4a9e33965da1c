#!/usr/bin/env python3
"""64-bit addressing: the same pages at the top of a pool of more than 2^31
elements give the same attention output, bit for bit, as at its bottom.

The big pool is a sparse .npy file (np.lib.format.open_memmap writes only the
header and the pages in use), so it costs little disk; kvcache-run writes
back only `out` (--write).
"""
import argparse
import os
import subprocess
import sys

import numpy as np

HEADS, Q_HEADS, DIM, PAGE = 8, 8, 128, 16
ELEMENTS_PER_PAGE = 2 * 1 * PAGE * HEADS * DIM


def graph():
    kv = (f"!kvcache.inputs<kv_blocks: memref<?x2x1x{PAGE}x{HEADS}x{DIM}xf16>, "
          "cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, "
          "max_lengths: memref<?x2xi32>>")
    rows = f"memref<?x{Q_HEADS}x{DIM}xf16>"
    return f"""func.func @step(%q: {rows} {{kvcache.name = "q"}},
                %offsets: memref<?xi32> {{kvcache.name = "input_row_offsets"}},
                %out: {rows} {{kvcache.name = "out", kvcache.role = "output"}}) {{
  %kv = kvcache.inputs_per_device device(0) : {kv}
  %layer = arith.constant 0 : index
  kvcache.attention %kv, %layer, %q, %offsets, %out : {kv}, {rows}, memref<?xi32>, {rows}
  return
}}
"""


def run(cmd):
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{result.stdout}{result.stderr}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--compile", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--workdir", required=True)
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    with open(os.path.join(a.workdir, "graph.mlir"), "w") as f:
        f.write(graph())
    bundle = os.path.join(a.workdir, "bundle")
    run([a.compile, os.path.join(a.workdir, "graph.mlir"), "--target=cpu",
         "-o", bundle])

    rng = np.random.default_rng(7)
    context = [20, 40]  # 2 + 3 pages, each request one new token
    pages = [(c + 1 + PAGE - 1) // PAGE for c in context]
    used = sum(pages)
    contents = rng.uniform(-1, 1, (used, 2, 1, PAGE, HEADS, DIM)).astype(np.float16)
    q = rng.uniform(-1, 1, (len(context), Q_HEADS, DIM)).astype(np.float16)
    total_big = (2**31) // ELEMENTS_PER_PAGE + 8  # > 2^31 elements
    assert total_big * ELEMENTS_PER_PAGE > 2**31

    outputs = []
    for where, total in (("bottom", used + 1), ("top", total_big)):
        first = 0 if where == "bottom" else total - used
        in_dir = os.path.join(a.workdir, where, "in")
        os.makedirs(in_dir, exist_ok=True)
        pool = np.lib.format.open_memmap(
            os.path.join(in_dir, "kv_blocks.npy"), mode="w+", dtype=np.float16,
            shape=(total, 2, 1, PAGE, HEADS, DIM))
        pool[first:first + used] = contents
        del pool
        table = np.full((len(context), 24), total, dtype=np.int32)
        next_page = first
        for b, n in enumerate(pages):
            table[b, :n] = np.arange(next_page, next_page + n)
            next_page += n
        arrays = {
            "q": q, "out": np.zeros_like(q),
            "input_row_offsets": np.arange(len(context) + 1, dtype=np.int32),
            "cache_lengths": np.array(context, dtype=np.int32),
            "lookup_table": table,
            "max_lengths": np.array([[1, max(context) + 1]], dtype=np.int32),
        }
        for name, array in arrays.items():
            np.save(os.path.join(in_dir, name + ".npy"), array)
        out_dir = os.path.join(a.workdir, where, "out")
        run([a.run, bundle, "--entry", "step", "--inputs", in_dir,
             "--outputs", out_dir, "--write", "out"])
        outputs.append(np.load(os.path.join(out_dir, "out.npy")))
        os.remove(os.path.join(in_dir, "kv_blocks.npy"))

    same = np.array_equal(outputs[0].view(np.uint16), outputs[1].view(np.uint16))
    print(f"pool of {total_big * ELEMENTS_PER_PAGE} elements (> 2^31): "
          f"top and bottom outputs {'identical' if same else 'DIFFER'}")
    sys.exit(0 if same and np.isfinite(outputs[0]).all() else 1)


if __name__ == "__main__":
    main()
