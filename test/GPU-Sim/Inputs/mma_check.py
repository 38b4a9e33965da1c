"""Inputs for Inputs/mma_kernels.mlir, and the check of its D against NumPy.

  mma_check.py make DIR SWAP   writes DIR/{a,b,a_f16,b_f16,c,swap,d,d_f16}.npy
  mma_check.py check IN OUT    prints, per type, whether OUT's D is
                               A @ B + C for IN's matrices

Random, non-symmetric A (16x16), B (16x8) and C (16x8), so that any
fragment read from the wrong place changes D. bf16 travels as uint16 bit
patterns; A and B are made of exact bf16 (f16) values, so the reference
sees what the kernel sees.
"""

import sys

import numpy as np


def bf16_bits(x):
    # Truncation: the matrices are whatever bf16 values result.
    return (np.asarray(x, np.float32).view(np.uint32) >> 16).astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def make(directory, swap):
    rng = np.random.default_rng(2026)
    a = bf16_bits(rng.standard_normal((16, 16)))
    b = bf16_bits(rng.standard_normal((16, 8)))
    a_f16 = rng.standard_normal((16, 16)).astype(np.float16)
    b_f16 = rng.standard_normal((16, 8)).astype(np.float16)
    c = rng.standard_normal((16, 8)).astype(np.float32)
    arrays = {
        "a": a, "b": b, "a_f16": a_f16, "b_f16": b_f16, "c": c,
        "swap": np.array([swap], np.int32),
        "d": np.full((16, 8), np.nan, np.float32),
        "d_f16": np.full((16, 8), np.nan, np.float32),
    }
    for name, array in arrays.items():
        np.save(f"{directory}/{name}.npy", array.reshape(-1))


def check(inputs, outputs):
    load = lambda directory, name: np.load(f"{directory}/{name}.npy")
    c = load(inputs, "c").reshape(16, 8).astype(np.float64)
    cases = {
        "bf16": (bf16_values(load(inputs, "a")), bf16_values(load(inputs, "b")),
                 load(outputs, "d")),
        "f16": (load(inputs, "a_f16"), load(inputs, "b_f16"),
                load(outputs, "d_f16")),
    }
    for name, (a, b, d) in cases.items():
        a = a.reshape(16, 16).astype(np.float64)
        b = b.reshape(16, 8).astype(np.float64)
        d = d.reshape(16, 8).astype(np.float64)
        expected = a @ b + c
        if np.allclose(d, expected, rtol=1e-5, atol=1e-5):
            print(f"{name}: D = A @ B + C")
        else:
            wrong = np.argwhere(~np.isclose(d, expected, rtol=1e-5, atol=1e-5))
            print(f"{name}: {len(wrong)} of 128 wrong, first at {tuple(wrong[0])}:"
                  f" {d[tuple(wrong[0])]} instead of {expected[tuple(wrong[0])]}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
    else:
        check(sys.argv[2], sys.argv[3])
