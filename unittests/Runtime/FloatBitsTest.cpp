//===- FloatBitsTest.cpp - f16 and bf16 conversions -----------------------===//

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

} // namespace
