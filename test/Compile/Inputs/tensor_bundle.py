"""Inputs for, and the check of, tensor-bundle.mlir, with NumPy as the
reference: @project's bf16 arithmetic rounds after every operation (f32
arithmetic on bf16 values rounded to the nearest bf16, ties to even, as
python/kvcache/floats.py defines it), @half's f16 arithmetic is NumPy's
float16."""

import importlib.util
import os
import sys

import numpy as np


def _load_package_floats():
    """python/kvcache/floats.py, loaded by path: the test runs without the
    built package on sys.path."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                        "..", "python", "kvcache", "floats.py")
    spec = importlib.util.spec_from_file_location("kvcache_floats", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


floats = _load_package_floats()


def bf16(values):
    """float32 values rounded to bf16, as float32."""
    return floats.bfloat16_to_float32(floats.float32_to_bfloat16(values))


def inputs():
    rng = np.random.default_rng(16)
    # Small integers: the f32 matmul is exact in any summation order.
    x = rng.integers(-4, 5, (4, 8)).astype(np.float32)
    w = rng.integers(-4, 5, (8, 16)).astype(np.float32)
    bias = floats.float32_to_bfloat16(
        rng.standard_normal((4, 16)).astype(np.float32) * 3)
    # Normal, subnormal and out-of-range f16 values, and the special ones.
    a = (rng.standard_normal(512) *
         np.exp2(rng.integers(-28, 18, 512))).astype(np.float32)
    a[:12] = [0.0, -0.0, np.inf, -np.inf, np.nan, 65504, 65519.99, 65520,
              2.98e-8, 2.99e-8, 6.1e-5, -1e-7]
    h = rng.integers(0, 2**16, 512, dtype=np.uint32).astype(
        np.uint16).view(np.float16)
    return {
        "x": x, "w": w, "bias": bias,
        "y": np.zeros((4, 16), np.float32),
        "result1": np.zeros((4, 16), "<u2"),
        "a": a, "h": h,
        "result0": np.zeros(512, np.float16),
    }


def write(directory):
    os.makedirs(directory, exist_ok=True)
    for name, array in inputs().items():
        np.save(os.path.join(directory, name + ".npy"), array)


def same_bits(actual, expected):
    """Equal bit patterns, any NaN matching any NaN."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.dtype.kind == "f":
        nan = np.isnan(actual) & np.isnan(expected)
        bits = actual.view(f"<u{actual.dtype.itemsize}")
        ebits = expected.view(f"<u{expected.dtype.itemsize}")
        return np.all((bits == ebits) | nan)
    return np.array_equal(actual, expected)


def check(inputs_dir, outputs_dir):
    given = {name: np.load(os.path.join(inputs_dir, name + ".npy"))
             for name in inputs()}
    out = {name: np.load(os.path.join(outputs_dir, name + ".npy"))
           for name in ("y", "result1", "bias", "result0")}
    ok = True

    projection = given["x"].astype(np.float64) @ given["w"].astype(np.float64)
    bias = floats.bfloat16_to_float32(given["bias"])
    s = bf16(bf16(projection.astype(np.float32)) + bias)
    y = bf16(s * s)
    if out["y"].dtype != np.float32 or not same_bits(out["y"], y):
        print("project: y differs from NumPy's:", out["y"], y, sep="\n")
        ok = False
    if not same_bits(out["result1"], floats.float32_to_bfloat16(s)):
        print("project: result1 differs from NumPy's")
        ok = False
    if not same_bits(out["bias"], given["bias"]):
        print("project: the bias input was written")
        ok = False
    if ok:
        print("project: y and result1 equal NumPy's "
              f"({y.size} + {s.size} elements), bias unchanged")

    with np.errstate(all="ignore"):
        h = given["h"]
        expected = (given["a"].astype(np.float16) + h) * h
    if out["result0"].dtype != np.float16 or not same_bits(out["result0"],
                                                           expected):
        wrong = np.nonzero(out["result0"].view("<u2") != expected.view("<u2"))
        print("half: result0 differs from NumPy's at", wrong[0][:8])
        ok = False
    else:
        print("half: result0 equals NumPy's float16 bit for bit "
              f"({expected.size} elements)")
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
        sys.exit(0)
    sys.exit(check(sys.argv[2], sys.argv[3]))
