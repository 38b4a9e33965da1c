#!/usr/bin/env python3
"""Generates a compile-time benchmark module: a chain of N functions that pass
two KV-cache bundles down a call chain.

  --form bundle  bundles are !kvcache.inputs (for kvcache-expand-inputs)
  --form tuple   bundles are builtin tuple<...> of the same nine field types
                 (for upstream mlir-opt --test-decompose-call-graph-types)

f_0 returns its arguments swapped; f_i (i > 0) calls f_{i-1} and returns its
results. All functions are private except the last, f_{N-1}.

  --shape wide   instead, one public function @wide of N bundle arguments
                 that returns them all (kvcache-pack-inputs' signature size)
"""
import argparse
import sys

# An MLA FP8 cache with all nine ABI fields (ABI.md order); kv_scales has
# head_dim / granularity = 576 / 64 = 9 lanes.
FIELDS = [
    ("kv_blocks", "memref<?x1x4x64x1x576xf8E4M3FN>"),
    ("cache_lengths", "memref<?xi32>"),
    ("lookup_table", "memref<?x?xi32>"),
    ("max_lengths", "memref<?x2xi32>"),
    ("kv_scales", "memref<?x1x4x64x1x9xf32>"),
    ("attention_dispatch_metadata", "memref<3xi64>"),
    ("draft_attention_dispatch_metadata", "memref<3xi64>"),
    ("mla_num_partitions", "memref<1xi64>"),
    ("draft_mla_num_partitions", "memref<1xi64>"),
]


def bundle_type(form):
    if form == "bundle":
        body = ", ".join(f"{name}: {ty}" for name, ty in FIELDS)
        return f"!kvcache.inputs<{body}>"
    return "tuple<" + ", ".join(ty for _, ty in FIELDS) + ">"


def generate_wide(n, out):
    args = ", ".join(f"%b{i}: !kv" for i in range(n))
    results = ", ".join("!kv" for _ in range(n))
    values = ", ".join(f"%b{i}" for i in range(n))
    out.write(f"func.func @wide({args}) -> ({results}) {{\n")
    out.write(f"  return {values} : {results}\n}}\n")


def generate(n, form, out, shape="chain"):
    out.write(f"!kv = {bundle_type(form)}\n\n")
    if shape == "wide":
        generate_wide(n, out)
        return
    for i in range(n):
        visibility = "" if i == n - 1 else "private "
        out.write(f"func.func {visibility}@f_{i}(%a: !kv, %b: !kv) -> (!kv, !kv) {{\n")
        if i == 0:
            out.write("  return %b, %a : !kv, !kv\n")
        else:
            out.write(f"  %r:2 = func.call @f_{i - 1}(%a, %b) : (!kv, !kv) -> (!kv, !kv)\n")
            out.write("  return %r#0, %r#1 : !kv, !kv\n")
        out.write("}\n\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of functions (>= 1)")
    parser.add_argument("--form", choices=["bundle", "tuple"], default="bundle")
    parser.add_argument("--shape", choices=["chain", "wide"], default="chain")
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    args = parser.parse_args()
    if args.n < 1:
        parser.error("n must be >= 1")
    if args.output:
        with open(args.output, "w") as out:
            generate(args.n, args.form, out, args.shape)
    else:
        generate(args.n, args.form, sys.stdout, args.shape)


if __name__ == "__main__":
    main()
