#!/usr/bin/env python3
"""The run-time guards of a bundle, end to end: a layer or a page id that the
caller gets wrong must touch no memory, fail the call with a message naming
it, and leave everything else right.

  --case layer=N   the layer (an i64 input on the host, as a serving engine
                   passes it, cast to index in the graph) is N on a cache of
                   --layers layers
  --case page      lookup_table sends request 1's first page off the pool;
                   kvcache-run's own host checks are skipped
                   (--no-cache-checks), so only the bundle's guards stand
  --case store-page  the same for the page request 2's new token goes to

Prints what it found, one line each, for FileCheck: the exit status, the
error line, and for the page case whether every other key and row came out
as a NumPy reference without the off-pool page computes them.
"""
import argparse
import os
import subprocess
import sys

import numpy as np

import attention_reference
from paged_attention_case import bf16_bits_to_f32, f32_to_bf16_bits

DTYPES = {"f32": np.float32, "bf16": np.uint16}


def to_f32(array, dtype):
    if dtype == "f32":
        return array.astype(np.float64)
    return bf16_bits_to_f32(array).astype(np.float64)


def from_f32(array, dtype):
    array = np.asarray(array, np.float32)
    if dtype == "f32":
        return array
    return f32_to_bf16_bits(array)


def graph(a):
    kv = (f"!kvcache.inputs<kv_blocks: memref<?x2x{a.layers}x{a.page_size}x"
          f"{a.kv_heads}x{a.head_dim}x{a.dtype}>, cache_lengths: memref<?xi32>, "
          "lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>")
    rows = f"memref<?x{a.q_heads}x{a.head_dim}x{a.dtype}>"
    kvrows = f"memref<?x{a.kv_heads}x{a.head_dim}x{a.dtype}>"
    return f"""func.func @step(%q: {rows} {{kvcache.name = "q"}},
                %key: {kvrows} {{kvcache.name = "key"}},
                %value: {kvrows} {{kvcache.name = "value"}},
                %offsets: memref<?xi32> {{kvcache.name = "input_row_offsets"}},
                %layer_in: i64 {{kvcache.name = "layer"}},
                %out: {rows} {{kvcache.name = "out", kvcache.role = "output"}}) {{
  %kv = kvcache.inputs_per_device device(0) : {kv}
  %layer = arith.index_cast %layer_in : i64 to index
  kvcache.store %kv, %layer, %key, %value, %offsets : {kv}, {kvrows}, {kvrows}, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out : {kv}, {rows}, memref<?xi32>, {rows}
  return
}}
"""


def make_inputs(a, rng, layer):
    context = [a.page_size + 3, 2 * a.page_size + 1, 5]
    batch = len(context)
    pages = [(c + a.prompt + a.page_size - 1) // a.page_size for c in context]
    total = sum(pages) + 2
    cols = 16
    table = np.full((batch, cols), total, np.int32)
    # Page 0 stays free and holds NaN: the kernels load it in place of a
    # page off the pool, so any of it reaching an output shows.
    order = 1 + rng.permutation(total - 1)
    next_page = 0
    for b, n in enumerate(pages):
        table[b, :n] = order[next_page:next_page + n]
        next_page += n
    shape = (total, 2, a.layers, a.page_size, a.kv_heads, a.head_dim)
    values = rng.uniform(-1, 1, shape)
    values[0] = np.nan
    blocks = from_f32(values, a.dtype)
    rows, n = batch * a.prompt, a.prompt
    q = from_f32(rng.uniform(-1, 1, (rows, a.q_heads, a.head_dim)), a.dtype)
    key = from_f32(rng.uniform(-1, 1, (rows, a.kv_heads, a.head_dim)), a.dtype)
    value = from_f32(rng.uniform(-1, 1, (rows, a.kv_heads, a.head_dim)),
                     a.dtype)
    return context, {
        "kv_blocks": blocks, "cache_lengths": np.array(context, np.int32),
        "lookup_table": table,
        "max_lengths": np.array([[n, max(context) + n]], np.int32),
        "q": q, "key": key, "value": value,
        "input_row_offsets": np.arange(batch + 1, dtype=np.int32) * n,
        "layer": np.array(layer, np.int64),
        "out": np.zeros_like(q)}


def reference(a, inputs, context):
    """Store then attention in float64, rows and keys whose page id is off
    the pool left out."""
    p = a.page_size
    blocks = inputs["kv_blocks"].copy()
    table = inputs["lookup_table"]
    total = blocks.shape[0]
    n = a.prompt
    for b, c in enumerate(context):
        for i in range(n):
            page = table[b, (c + i) // p]
            if page < total:
                blocks[page, 0, a.layer_index, (c + i) % p] = inputs["key"][b * n + i]
                blocks[page, 1, a.layer_index, (c + i) % p] = inputs["value"][b * n + i]
    out = np.zeros(inputs["q"].shape, np.float64)
    for b, c in enumerate(context):
        pos = np.arange(c + n)
        page = table[b, pos // p]
        keep = page < total
        pos, page = pos[keep], page[keep]
        k = to_f32(blocks[page, 0, a.layer_index, pos % p], a.dtype)
        v = to_f32(blocks[page, 1, a.layer_index, pos % p], a.dtype)
        rows = to_f32(inputs["q"][b * n:(b + 1) * n], a.dtype)
        out[b * n:(b + 1) * n] = attention_reference.attend(
            rows, k, v, 1.0 / np.sqrt(a.head_dim))
    return blocks, out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--compile", required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--target", choices=["cpu", "sim"], default="cpu")
    p.add_argument("--case", required=True)
    p.add_argument("--dtype", choices=sorted(DTYPES), default="f32")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--page-size", type=int, default=4)
    p.add_argument("--q-heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--head-dim", type=int, default=8)
    p.add_argument("--prompt", type=int, default=1,
                   help="new tokens per request (over 8: the prefill kernel)")
    p.add_argument("--run-prefix", default="",
                   help="a command kvcache-run runs under (valgrind ...)")
    a = p.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    with open(os.path.join(a.workdir, "graph.mlir"), "w") as f:
        f.write(graph(a))
    bundle = os.path.join(a.workdir, "bundle")
    result = subprocess.run([a.compile, os.path.join(a.workdir, "graph.mlir"),
                             f"--target={a.target}", "-o", bundle],
                            capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"compile failed:\n{result.stdout}{result.stderr}")

    page_case = a.case in ("page", "store-page")
    layer = 1 if page_case else int(a.case.split("=", 1)[1])
    a.layer_index = layer
    rng = np.random.default_rng(5)
    context, inputs = make_inputs(a, rng, layer)
    if a.case == "page":
        # Request 1's first page (keys 0 .. page_size - 1) is off the pool;
        # its new token lands on a page of the pool.
        inputs["lookup_table"][1, 0] = inputs["kv_blocks"].shape[0] + 1000
    elif a.case == "store-page":
        # The page of request 2's new token (and of its keys from 4 on).
        inputs["lookup_table"][2, 5 // a.page_size] = (
            inputs["kv_blocks"].shape[0] + 7)
    in_dir = os.path.join(a.workdir, "in")
    out_dir = os.path.join(a.workdir, "out")
    os.makedirs(in_dir, exist_ok=True)
    for name, array in inputs.items():
        np.save(os.path.join(in_dir, name + ".npy"), array)

    cmd = a.run_prefix.split() + [a.run, bundle, "--entry", "step", "--inputs",
                                  in_dir, "--outputs", out_dir]
    if a.target == "sim":
        cmd += ["--device", "cuda"]
    if page_case:
        cmd.append("--no-cache-checks")
    result = subprocess.run(cmd, capture_output=True, text=True)
    print(f"exit {result.returncode}")
    for line in result.stderr.splitlines():
        if "error" in line:
            print(line)
    if not page_case:
        return
    # The call failed, and the outputs it wrote show what the kernels did:
    # the store skipped only rows for a page off the pool, attention only
    # such a page's keys.
    blocks, out = reference(a, inputs, context)
    got_blocks = np.load(os.path.join(out_dir, "kv_blocks.npy"))
    got_out = to_f32(np.load(os.path.join(out_dir, "out.npy")), a.dtype)
    print("cache after store matches:",
          np.array_equal(got_blocks, blocks, equal_nan=a.dtype == "f32"))
    tolerance = 1e-5 if a.dtype == "f32" else 2e-2
    error = np.abs(got_out - out).max()
    print("out matches the reference without the off-pool page:",
          bool(error <= tolerance), f"(max abs error {error:.2e})")


if __name__ == "__main__":
    main()
