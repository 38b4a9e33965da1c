//===- FloatBitsTest.cpp - f16, bf16 and f8E4M3FN conversions -------------===//

#include "kvcache/Runtime/FloatBits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace kvcache::runtime;

namespace {

TEST(FloatBits, Half) {
  EXPECT_EQ(floatToHalfBits(0.0f), 0x0000);
  EXPECT_EQ(floatToHalfBits(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalfBits(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalfBits(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalfBits(65504.0f), 0x7bff);
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7c00); // Rounds to infinity.
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -24)), 0x0001); // Subnormal.
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -14)), 0x0400); // Smallest normal.
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -26)), 0x0000);
  // Ties to even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10.
  EXPECT_EQ(floatToHalfBits(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(floatToHalfBits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(floatToHalfBits(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_TRUE(std::isnan(halfBitsToFloat(
      floatToHalfBits(std::numeric_limits<float>::quiet_NaN()))));
  for (uint32_t bits = 0; bits < 0x7c00; ++bits)
    ASSERT_EQ(floatToHalfBits(halfBitsToFloat(static_cast<uint16_t>(bits))),
              bits);
}

TEST(FloatBits, BFloat16) {
  EXPECT_EQ(floatToBFloat16Bits(1.0f), 0x3f80);
  EXPECT_EQ(floatToBFloat16Bits(-2.0f), 0xc000);
  EXPECT_EQ(bfloat16BitsToFloat(0x3f80), 1.0f);
  // Ties to even: 1 + 2^-8 is halfway between 1 and 1 + 2^-7.
  EXPECT_EQ(floatToBFloat16Bits(1.0f + std::ldexp(1.0f, -8)), 0x3f80);
  EXPECT_EQ(floatToBFloat16Bits(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
  EXPECT_TRUE(std::isnan(bfloat16BitsToFloat(
      floatToBFloat16Bits(std::numeric_limits<float>::quiet_NaN()))));
}

// The expected bytes are worked out by hand from e4m3fn's layout
// (s eeee mmm, bias 7; e = 0 is m * 2^-9; 0x7F and 0xFF are NaN).
TEST(FloatBits, F8E4M3FNEncode) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(floatToF8E4M3FNBits(0.0f), 0x00);
  EXPECT_EQ(floatToF8E4M3FNBits(-0.0f), 0x80);
  EXPECT_EQ(floatToF8E4M3FNBits(1.0f), 0x38);
  EXPECT_EQ(floatToF8E4M3FNBits(-2.0f), 0xc0);
  EXPECT_EQ(floatToF8E4M3FNBits(448.0f), 0x7e);
  EXPECT_EQ(floatToF8E4M3FNBits(-448.0f), 0xfe);
  EXPECT_EQ(floatToF8E4M3FNBits(416.0f), 0x7d);
  // 432 is halfway between 416 (m = 5) and 448 (m = 6): to even, 448.
  EXPECT_EQ(floatToF8E4M3FNBits(432.0f), 0x7e);
  EXPECT_EQ(floatToF8E4M3FNBits(424.0f), 0x7d);
  // 464 is halfway between 448 and 480 (m = 7, the NaN pattern): to even,
  // 448; past it satfinite keeps 448.
  EXPECT_EQ(floatToF8E4M3FNBits(464.0f), 0x7e);
  EXPECT_EQ(floatToF8E4M3FNBits(465.0f), 0x7e);
  EXPECT_EQ(floatToF8E4M3FNBits(1e30f), 0x7e);
  EXPECT_EQ(floatToF8E4M3FNBits(-1e30f), 0xfe);
  EXPECT_EQ(floatToF8E4M3FNBits(inf), 0x7e);
  EXPECT_EQ(floatToF8E4M3FNBits(-inf), 0xfe);
  EXPECT_EQ(floatToF8E4M3FNBits(nan), 0x7f);
  EXPECT_EQ(floatToF8E4M3FNBits(-nan), 0x7f);
  // Ties to even in the mantissa: 1 + 1/16 lies between 1 (m = 0) and
  // 1.125 (m = 1); 1 + 3/16 between 1.125 and 1.25 (m = 2).
  EXPECT_EQ(floatToF8E4M3FNBits(1.0625f), 0x38);
  EXPECT_EQ(floatToF8E4M3FNBits(1.1875f), 0x3a);
  EXPECT_EQ(floatToF8E4M3FNBits(1.0626f), 0x39);
  // Subnormals: m * 2^-9.
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(1.0f, -9)), 0x01);
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(-1.0f, -9)), 0x81);
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(7.0f, -9)), 0x07);
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(1.0f, -6)),
            0x08); // Smallest normal.
  // 2^-10 ties 0 and 2^-9: to even, 0 (and -0 for its negative).
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(1.0f, -10)), 0x00);
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(-1.0f, -10)), 0x80);
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(1.0f, -10) * 1.0001f), 0x01);
  // 1.5 * 2^-9 ties 1 and 2 steps: 2. 7.5 * 2^-9 ties 7 and 8: 8, the
  // smallest normal.
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(3.0f, -10)), 0x02);
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(15.0f, -10)), 0x08);
  EXPECT_EQ(floatToF8E4M3FNBits(std::ldexp(1.0f, -20)), 0x00);
  EXPECT_EQ(floatToF8E4M3FNBits(std::numeric_limits<float>::denorm_min()),
            0x00);
}

TEST(FloatBits, F8E4M3FNDecode) {
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x00), 0.0f);
  EXPECT_TRUE(std::signbit(f8E4M3FNBitsToFloat(0x80)));
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x80), 0.0f);
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x38), 1.0f);
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x39), 1.125f);
  EXPECT_EQ(f8E4M3FNBitsToFloat(0xc0), -2.0f);
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x01), 1.0f / 512.0f);
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x07), 7.0f / 512.0f);
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x08), 1.0f / 64.0f);
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x7e), 448.0f);
  EXPECT_EQ(f8E4M3FNBitsToFloat(0xfe), -448.0f);
  // No infinities: 0x7F is NaN, not 480.
  EXPECT_TRUE(std::isnan(f8E4M3FNBitsToFloat(0x7f)));
  EXPECT_TRUE(std::isnan(f8E4M3FNBitsToFloat(0xff)));
  EXPECT_EQ(f8E4M3FNBitsToFloat(0x78), 256.0f);
}

TEST(FloatBits, F8E4M3FNRoundTrip) {
  for (unsigned bits = 0; bits < 256; ++bits) {
    uint8_t byte = static_cast<uint8_t>(bits);
    float value = f8E4M3FNBitsToFloat(byte);
    bool isNaN = (bits & 0x7f) == 0x7f;
    ASSERT_EQ(std::isnan(value), isNaN) << "byte " << bits;
    ASSERT_EQ(floatToF8E4M3FNBits(value), isNaN ? 0x7f : byte)
        << "byte " << bits;
  }
  // Decoded values increase with the code: no gaps or overlaps.
  for (unsigned bits = 1; bits < 0x7f; ++bits)
    ASSERT_LT(f8E4M3FNBitsToFloat(static_cast<uint8_t>(bits - 1)),
              f8E4M3FNBitsToFloat(static_cast<uint8_t>(bits)));
}

TEST(FloatBits, F8E4M3FNScale) {
  EXPECT_EQ(f8E4M3FNScale(0.0f), 1.0f);
  EXPECT_EQ(f8E4M3FNScale(448.0f), 1.0f);
  EXPECT_EQ(f8E4M3FNScale(896.0f), 2.0f);
  EXPECT_EQ(f8E4M3FNScale(1.0f), 1.0f / 448.0f);
}

} // namespace
