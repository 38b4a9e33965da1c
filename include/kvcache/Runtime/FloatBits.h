//===- FloatBits.h - f16 and bf16 bit patterns ------------------*- C++ -*-===//
//
// NumPy has no bf16 dtype and C++17 no 16-bit float type, so 16-bit floats
// are handled as their bit patterns. Conversions from f32 round to nearest,
// ties to even, as MLIR's arith.truncf does.
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

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_FLOATBITS_H
