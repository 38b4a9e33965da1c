#!/usr/bin/env python3
"""Two kvcache-run --outputs directories hold the same arrays, byte for byte.

Every .npy file of the first is in the second with the same bytes, and the
other way round. So that two runs that both did nothing cannot pass, each
array named by --written must differ from the same array in --inputs (the
graph wrote it), and hold no NaN or infinity (16-bit floats are read back
from the raw bits that kvcache-run stores).
"""
import argparse
import pathlib
import sys

import numpy as np


def as_float(array, dtype):
    if dtype == "bf16":
        return (array.astype(np.uint32) << 16).view(np.float32)
    if dtype == "f16":
        return array.view(np.float16).astype(np.float32)
    return array.astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("first", type=pathlib.Path)
    parser.add_argument("second", type=pathlib.Path)
    parser.add_argument("--inputs", type=pathlib.Path, required=True)
    parser.add_argument("--written", default="out,kv_blocks")
    parser.add_argument("--dtype", default="bf16", choices=["bf16", "f16", "f32"])
    args = parser.parse_args()

    first = sorted(p.name for p in args.first.glob("*.npy"))
    second = sorted(p.name for p in args.second.glob("*.npy"))
    if first != second:
        sys.exit(f"different files: {first} vs {second}")
    differ = [n for n in first
              if (args.first / n).read_bytes() != (args.second / n).read_bytes()]
    if differ:
        sys.exit(f"different bytes: {', '.join(differ)}")

    for name in args.written.split(","):
        path = args.first / f"{name}.npy"
        if path.read_bytes() == (args.inputs / f"{name}.npy").read_bytes():
            sys.exit(f"{name}: not written by the graph (equal to the input)")
        values = as_float(np.load(path), args.dtype)
        if not np.isfinite(values).all():
            sys.exit(f"{name}: holds NaN or infinity")
    print(f"identical: {' '.join(first)}")
    print(f"written: {args.written.replace(',', ' ')}")


if __name__ == "__main__":
    main()
