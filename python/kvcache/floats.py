"""bf16 as NumPy holds it: uint16 bit patterns."""

import numpy as np

__all__ = ["bfloat16_to_float32", "float32_to_bfloat16"]


def float32_to_bfloat16(values):
    """The bf16 bit patterns ("<u2") nearest `values` (ties to even); NaN
    stays a quiet NaN."""
    x = np.ascontiguousarray(values, dtype=np.float32)
    bits = x.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(x), np.uint16(0x7FC0), rounded).astype("<u2")


def bfloat16_to_float32(bits):
    """The float32 values of bf16 bit patterns (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(
        np.float32)
