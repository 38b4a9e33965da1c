//===- FloatBits.h - f16, bf16 and f8E4M3FN bit patterns --------*- C++ -*-===//
//
// NumPy has no bf16 or fp8 dtype and C++17 no 16- or 8-bit float type, so
// those floats are handled as their bit patterns. Conversions from f32 round
// to nearest, ties to even, as MLIR's arith.truncf does.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_FLOATBITS_H
#define KVCACHE_RUNTIME_FLOATBITS_H

#include <cstdint>

namespace kvcache::runtime {

uint16_t floatToHalfBits(float value);
float halfBitsToFloat(uint16_t bits);
uint16_t floatToBFloat16Bits(float value);
float bfloat16BitsToFloat(uint16_t bits);

/// f8E4M3FN (no infinities; 0x7F and 0xFF are NaN, 448 the largest finite
/// value), as docs/ABI.md's FP8 caches store it: nearest, ties to even,
/// subnormals kept, saturating to +-448 (also +-inf), every NaN to 0x7F.
uint8_t floatToF8E4M3FNBits(float value);
/// Exact: every byte's value is an f32; 0x7F and 0xFF give NaN.
float f8E4M3FNBitsToFloat(uint8_t bits);

/// The FP8 cache rule's scale for a lane group whose largest finite |x| is
/// `amax`: amax / 448 in f32, or 1 when amax is 0.
float f8E4M3FNScale(float amax);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_FLOATBITS_H
