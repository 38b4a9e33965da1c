//===- FloatBits.cpp - f16, bf16 and f8E4M3FN bit patterns ----------------===//

#include "kvcache/Runtime/FloatBits.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace kvcache::runtime {

namespace {
uint32_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}
float floatOf(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}
} // namespace

uint16_t floatToBFloat16Bits(float value) {
  uint32_t bits = bitsOf(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet and a NaN.
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  uint32_t roundingBias = 0x7fffu + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + roundingBias) >> 16);
}

float bfloat16BitsToFloat(uint16_t bits) {
  return floatOf(static_cast<uint32_t>(bits) << 16);
}

uint16_t floatToHalfBits(float value) {
  uint32_t bits = bitsOf(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude > 0x7f800000u) // NaN
    return sign | 0x7e00u;
  if (magnitude >= 0x477ff000u) // Rounds to or past 65520: infinity.
    return sign | 0x7c00u;
  if (magnitude < 0x38800000u) { // Below 2^-14: subnormal or zero.
    if (magnitude < 0x33000000u) // Below half the smallest subnormal.
      return sign;
    // Shift the full mantissa into subnormal position, rounding to even.
    uint32_t exponent = magnitude >> 23;
    uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
    // value / 2^-24 = mantissa * 2^(exponent - 126); exponent is 102..112.
    uint32_t shift = 126 - exponent;
    uint32_t half = mantissa >> shift;
    uint32_t rest = mantissa & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (half & 1)))
      ++half;
    return sign | static_cast<uint16_t>(half);
  }
  // Normal: rebias the exponent (127 -> 15) and round the mantissa to even.
  uint32_t rebased = magnitude - (112u << 23);
  uint32_t roundingBias = 0xfffu + ((rebased >> 13) & 1);
  return sign | static_cast<uint16_t>((rebased + roundingBias) >> 13);
}

float halfBitsToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0x1f)
    return floatOf(sign | 0x7f800000u | (mantissa << 13));
  if (exponent == 0) {
    // Subnormal: value = mantissa * 2^-24.
    float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return sign ? -magnitude : magnitude;
  }
  return floatOf(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint8_t floatToF8E4M3FNBits(float value) {
  if (std::isnan(value))
    return 0x7f;
  uint32_t bits = bitsOf(value);
  uint8_t sign = static_cast<uint8_t>((bits >> 24) & 0x80u);
  uint32_t magnitude = bits & 0x7fffffffu;
  if (magnitude >= 0x43e00000u) // 448 and up, inf included: satfinite.
    return sign | 0x7e;
  if (magnitude < 0x3c800000u) { // Below 2^-6: subnormal or zero.
    // value / 2^-9, rounded to even: 2^-10 ties to 0, 2^-9 * 7.5 to 8 (the
    // smallest normal).
    float steps = std::fabs(value) * 512.0f; // Exact: a power of two.
    float rounded = std::nearbyint(steps);   // The default mode: to even.
    return sign | static_cast<uint8_t>(rounded);
  }
  // Normal: rebias the exponent (127 -> 7) and round the mantissa to even.
  uint32_t rebased = magnitude - (120u << 23);
  uint32_t roundingBias = 0x7ffffu + ((rebased >> 20) & 1);
  return sign | static_cast<uint8_t>((rebased + roundingBias) >> 20);
}

float f8E4M3FNBitsToFloat(uint8_t bits) {
  uint32_t exponent = (bits >> 3) & 0xfu;
  uint32_t mantissa = bits & 0x7u;
  float magnitude;
  if (exponent == 0xf && mantissa == 0x7)
    magnitude = std::numeric_limits<float>::quiet_NaN();
  else if (exponent == 0) // Subnormal: mantissa * 2^-9.
    magnitude = std::ldexp(static_cast<float>(mantissa), -9);
  else
    magnitude = std::ldexp(1.0f + static_cast<float>(mantissa) / 8.0f,
                           static_cast<int>(exponent) - 7);
  return (bits & 0x80) ? -magnitude : magnitude;
}

float f8E4M3FNScale(float amax) { return amax == 0.0f ? 1.0f : amax / 448.0f; }

} // namespace kvcache::runtime
