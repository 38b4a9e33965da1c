//===- ArgumentCheckTest.cpp - Arrays against manifest arguments ----------===//

#include "TestArrays.h"

#include "kvcache/Runtime/ArgumentCheck.h"
#include "kvcache/Runtime/Error.h"

#include <gtest/gtest.h>

using namespace kvcache::runtime;
using namespace kvcache::runtime::testing;

namespace {

std::string errorOf(const ManifestArgument &argument, const Array &array) {
  try {
    checkArgument(argument, array);
  } catch (const InputError &error) {
    return error.what();
  }
  return "";
}

TEST(ArgumentCheck, AcceptsMatchingArrays) {
  ManifestArgument q = memrefArgument(0, "q", ElementType::F32, {-1, 4, 8});
  EXPECT_EQ(errorOf(q, Array(DType::float32(), {3, 4, 8})), "");
  EXPECT_EQ(errorOf(q, Array(DType::float32(), {0, 4, 8})), "");
  ManifestArgument table =
      memrefArgument(5, "lookup_table", ElementType::I32, {-1, -1});
  EXPECT_EQ(errorOf(table, Array(DType::int32(), {2, 24})), "");
  // MAX stores the ABI's i32 fields as uint32.
  EXPECT_EQ(errorOf(table, Array(DType::uint32(), {2, 24})), "");
  ManifestArgument blocks =
      memrefArgument(1, "kv_blocks", ElementType::BF16, {-1, 2, 1, 4, 1, 8});
  EXPECT_EQ(errorOf(blocks, Array(DType::uint16(), {3, 2, 1, 4, 1, 8})), "");
  ManifestArgument fp8 =
      memrefArgument(1, "kv_blocks", ElementType::F8E4M3FN, {-1});
  EXPECT_EQ(errorOf(fp8, Array(DType::uint8(), {3})), "");
  ManifestArgument h = memrefArgument(1, "h", ElementType::F16, {2});
  EXPECT_EQ(errorOf(h, Array(DType::float16(), {2})), "");
  ManifestArgument i = memrefArgument(1, "i", ElementType::Index, {2});
  EXPECT_EQ(errorOf(i, Array(DType::int64(), {2})), "");
}

TEST(ArgumentCheck, Rank) {
  ManifestArgument table =
      memrefArgument(5, "lookup_table", ElementType::I32, {-1, -1});
  EXPECT_EQ(errorOf(table, Array(DType::int32(), {4})),
            "argument 'lookup_table' (#5): expected rank 2, got 1 (expected "
            "shape [?, ?], got [4])");
}

TEST(ArgumentCheck, DType) {
  ManifestArgument table =
      memrefArgument(5, "lookup_table", ElementType::I32, {-1, -1});
  EXPECT_EQ(errorOf(table, Array(DType{DType::Kind::Float, 8}, {2, 2})),
            "argument 'lookup_table' (#5): expected dtype int32 or uint32 "
            "(i32), got float64");
  ManifestArgument blocks =
      memrefArgument(0, "kv_blocks", ElementType::BF16, {-1});
  EXPECT_EQ(errorOf(blocks, Array(DType::float32(), {2})),
            "argument 'kv_blocks' (#0): expected dtype uint16 (bf16 bit "
            "patterns), got float32");
  ManifestArgument offsets =
      memrefArgument(2, "input_row_offsets", ElementType::I32, {-1});
  EXPECT_EQ(errorOf(offsets, Array(DType::int64(), {3})),
            "argument 'input_row_offsets' (#2): expected dtype int32 or "
            "uint32 (i32), got int64");
}

TEST(ArgumentCheck, StaticDims) {
  ManifestArgument blocks =
      memrefArgument(3, "kv_blocks", ElementType::F32, {-1, 2, 1, 16, 8, 128});
  EXPECT_EQ(errorOf(blocks, Array(DType::float32(), {4, 2, 1, 32, 8, 128})),
            "argument 'kv_blocks' (#3): dim 3: expected 16, got 32 (expected "
            "shape [?, 2, 1, 16, 8, 128], got [4, 2, 1, 32, 8, 128])");
}

TEST(ArgumentCheck, Scalars) {
  ManifestArgument layer = memrefArgument(9, "layer", ElementType::Index, {});
  layer.kind = ArgumentKind::Scalar;
  EXPECT_EQ(errorOf(layer, Array(DType::int64(), {})), "");
  EXPECT_EQ(errorOf(layer, Array(DType::int64(), {1})),
            "argument 'layer' (#9): expected a 0-d array (a scalar), got "
            "rank 1 (shape [1])");
  EXPECT_EQ(errorOf(layer, Array(DType::int32(), {})),
            "argument 'layer' (#9): expected dtype int64 (index), got int32");
}

} // namespace
