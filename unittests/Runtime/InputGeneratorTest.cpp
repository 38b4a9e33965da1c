//===- InputGeneratorTest.cpp - Generated step inputs ---------------------===//

#include "TestArrays.h"

#include "kvcache/Runtime/ArgumentCheck.h"
#include "kvcache/Runtime/Consistency.h"
#include "kvcache/Runtime/FloatBits.h"
#include "kvcache/Runtime/InputGenerator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>

using namespace kvcache::runtime;
using namespace kvcache::runtime::testing;

namespace {

GeneratorOptions smallOptions() {
  GeneratorOptions options;
  options.contextLengths = {5, 0, 17};
  options.promptLength = 2;
  options.numQHeads = 4;
  options.numKvHeads = 2;
  options.headDim = 8;
  options.pageSize = 4;
  options.numLayers = 2;
  options.seed = 3;
  return options;
}

const Array &find(const std::vector<NamedArray> &inputs,
                  const std::string &name) {
  for (const NamedArray &input : inputs)
    if (input.name == name)
      return input.array;
  throw std::runtime_error("no input " + name);
}

TEST(InputGenerator, NamesShapesAndValues) {
  std::vector<NamedArray> inputs = generateStepInputs(smallOptions());
  std::vector<std::string> names;
  for (const NamedArray &input : inputs)
    names.push_back(input.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "kv_blocks", "cache_lengths", "lookup_table",
                       "max_lengths", "attention_dispatch_metadata",
                       "input_row_offsets", "q", "key", "value", "out"}));
  // 7, 2 and 19 tokens: 2 + 1 + 5 pages of 4.
  EXPECT_EQ(find(inputs, "kv_blocks").shape(),
            (std::vector<int64_t>{8, 2, 2, 4, 2, 8}));
  EXPECT_EQ(find(inputs, "q").shape(), (std::vector<int64_t>{6, 4, 8}));
  EXPECT_EQ(find(inputs, "key").shape(), (std::vector<int64_t>{6, 2, 8}));
  EXPECT_EQ(find(inputs, "out").shape(), (std::vector<int64_t>{6, 4, 8}));
  const Array &offsets = find(inputs, "input_row_offsets");
  EXPECT_EQ(offsets.integerAt(3), 6);
  const Array &metadata = find(inputs, "attention_dispatch_metadata");
  EXPECT_EQ(metadata.integerAt(0), 3);
  EXPECT_EQ(metadata.integerAt(1), 2);
  EXPECT_EQ(metadata.integerAt(3), 19);
  const Array &table = find(inputs, "lookup_table");
  EXPECT_EQ(table.shape(), (std::vector<int64_t>{3, 24}));
  std::set<int64_t> pages;
  for (int64_t b = 0, used[] = {2, 1, 5}; b < 3; ++b)
    for (int64_t p = 0; p < 24; ++p) {
      int64_t page = table.integerAt(b * 24 + p);
      if (p < used[b])
        pages.insert(page);
      else
        EXPECT_EQ(page, 8);
    }
  EXPECT_EQ(pages.size(), 8u);
  EXPECT_EQ(*pages.rbegin(), 7);
  // Values are in [-1, 1); out is zero.
  const float *q = find(inputs, "q").dataAs<float>();
  for (int64_t i = 0; i < 6 * 4 * 8; ++i)
    EXPECT_TRUE(q[i] >= -1.0f && q[i] < 1.0f);
  const Array &out = find(inputs, "out");
  for (int64_t i = 0; i < out.numElements(); ++i)
    EXPECT_EQ(out.dataAs<float>()[i], 0.0f);
}

TEST(InputGenerator, PassesTheConsistencyChecks) {
  GeneratorOptions options = smallOptions();
  options.totalPages = 40;
  std::vector<NamedArray> inputs = generateStepInputs(options);
  ManifestFunction function;
  std::vector<Array> arrays;
  using F = kvcache::abi::Field;
  auto add = [&](const char *name, ElementType type, std::vector<int64_t> shape,
                 std::optional<F> field) {
    function.arguments.push_back(
        memrefArgument(static_cast<unsigned>(arrays.size()), name, type,
                       std::move(shape), ArgumentRole::Input, field));
    arrays.push_back(find(inputs, name).clone());
    checkArgument(function.arguments.back(), arrays.back());
  };
  add("q", ElementType::F32, {-1, 4, 8}, std::nullopt);
  add("kv_blocks", ElementType::F32, {-1, 2, 2, 4, 2, 8}, F::kv_blocks);
  add("cache_lengths", ElementType::I32, {-1}, F::cache_lengths);
  add("lookup_table", ElementType::I32, {-1, -1}, F::lookup_table);
  add("max_lengths", ElementType::I32, {-1, 2}, F::max_lengths);
  add("attention_dispatch_metadata", ElementType::I64, {4},
      F::attention_dispatch_metadata);
  add("input_row_offsets", ElementType::I32, {-1}, std::nullopt);
  add("key", ElementType::F32, {-1, 2, 8}, std::nullopt);
  EXPECT_NO_THROW(checkCacheConsistency(function, arrays));
  EXPECT_EQ(find(inputs, "kv_blocks").dim(0), 40);
}

TEST(InputGenerator, SameSeedSameInputs) {
  std::vector<NamedArray> a = generateStepInputs(smallOptions());
  std::vector<NamedArray> b = generateStepInputs(smallOptions());
  GeneratorOptions other = smallOptions();
  other.seed = 4;
  std::vector<NamedArray> c = generateStepInputs(other);
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(std::memcmp(a[i].array.data(), b[i].array.data(),
                          a[i].array.numBytes()),
              0)
        << a[i].name;
  EXPECT_NE(
      std::memcmp(a[0].array.data(), c[0].array.data(), a[0].array.numBytes()),
      0);
}

TEST(InputGenerator, SixteenBitDTypes) {
  GeneratorOptions options = smallOptions();
  options.dtype = ElementType::BF16;
  std::vector<NamedArray> inputs = generateStepInputs(options);
  const Array &q = find(inputs, "q");
  EXPECT_EQ(q.dtype(), DType::uint16());
  float value = bfloat16BitsToFloat(q.dataAs<uint16_t>()[0]);
  EXPECT_TRUE(value >= -1.0f && value <= 1.0f);
  options.dtype = ElementType::F16;
  EXPECT_EQ(find(generateStepInputs(options), "kv_blocks").dtype(),
            DType::float16());
}

// An f8E4M3FN pool is quantised by the FP8 rule: in every lane group the
// largest |x| / scale is 448 (to within rounding, which the byte absorbs),
// so each group holds a +-448 byte; no byte is NaN, every scale is amax /
// 448 <= 1 / 448 for values in [-1, 1).
TEST(InputGenerator, F8E4M3FNCache) {
  GeneratorOptions options = smallOptions();
  options.dtype = ElementType::F8E4M3FN;
  options.headDim = 32;
  options.granularity = 8;
  options.activationDType = ElementType::BF16;
  std::vector<NamedArray> inputs = generateStepInputs(options);
  std::vector<std::string> names;
  for (const NamedArray &input : inputs)
    names.push_back(input.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "kv_blocks", "cache_lengths", "lookup_table", "max_lengths",
                "kv_scales", "attention_dispatch_metadata", "input_row_offsets",
                "q", "key", "value", "out"}));
  const Array &blocks = find(inputs, "kv_blocks");
  const Array &scales = find(inputs, "kv_scales");
  EXPECT_EQ(blocks.dtype(), DType::uint8());
  EXPECT_EQ(blocks.shape(), (std::vector<int64_t>{8, 2, 2, 4, 2, 32}));
  EXPECT_EQ(scales.dtype(), DType::float32());
  EXPECT_EQ(scales.shape(), (std::vector<int64_t>{8, 2, 2, 4, 2, 4}));
  EXPECT_EQ(find(inputs, "q").dtype(), DType::uint16());
  EXPECT_EQ(find(inputs, "out").dtype(), DType::uint16());
  const uint8_t *bytes = blocks.dataAs<uint8_t>();
  for (int64_t g = 0; g < scales.numElements(); ++g) {
    float scale = scales.dataAs<float>()[g];
    EXPECT_GT(scale, 0.0f);
    EXPECT_LE(scale, 1.0f / 448.0f);
    bool full = false;
    for (int64_t i = 0; i < 8; ++i) {
      uint8_t byte = bytes[g * 8 + i];
      EXPECT_NE(byte & 0x7f, 0x7f) << "NaN byte in group " << g;
      full |= (byte & 0x7f) == 0x7e;
    }
    EXPECT_TRUE(full) << "group " << g << " has no +-448 byte";
  }
  // 128 does not divide head_dim 32: one scale per row by default.
  options.granularity.reset();
  EXPECT_EQ(find(generateStepInputs(options), "kv_scales").dim(5), 1);
  options.headDim = 256;
  EXPECT_EQ(find(generateStepInputs(options), "kv_scales").dim(5), 2);
}

TEST(InputGenerator, MLACache) {
  GeneratorOptions options = smallOptions();
  options.numKvHeads = 1;
  options.headDim = 10;
  options.valueDim = 6;
  std::vector<NamedArray> inputs = generateStepInputs(options);
  std::vector<std::string> names;
  for (const NamedArray &input : inputs)
    names.push_back(input.name);
  // The latent rows are the key; no value operand.
  EXPECT_EQ(names,
            (std::vector<std::string>{
                "kv_blocks", "cache_lengths", "lookup_table", "max_lengths",
                "attention_dispatch_metadata", "mla_num_partitions",
                "input_row_offsets", "q", "key", "out"}));
  EXPECT_EQ(find(inputs, "kv_blocks").shape(),
            (std::vector<int64_t>{8, 1, 2, 4, 1, 10}));
  EXPECT_EQ(find(inputs, "q").shape(), (std::vector<int64_t>{6, 4, 10}));
  EXPECT_EQ(find(inputs, "key").shape(), (std::vector<int64_t>{6, 1, 10}));
  EXPECT_EQ(find(inputs, "out").shape(), (std::vector<int64_t>{6, 4, 6}));
  const Array &metadata = find(inputs, "attention_dispatch_metadata");
  ASSERT_EQ(metadata.shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(metadata.integerAt(0), 3);
  EXPECT_EQ(metadata.integerAt(1), 2);
  const Array &partitions = find(inputs, "mla_num_partitions");
  ASSERT_EQ(partitions.shape(), (std::vector<int64_t>{1}));
  EXPECT_EQ(partitions.integerAt(0), metadata.integerAt(2));

  options.numKvHeads = 2; // An MLA cache has one kv head.
  EXPECT_THROW(generateStepInputs(options), InputError);
  options.numKvHeads = 1;
  for (int64_t bad : {0, 11}) {
    options.valueDim = bad;
    EXPECT_THROW(generateStepInputs(options), InputError);
  }
}

TEST(InputGenerator, Errors) {
  GeneratorOptions options = smallOptions();
  options.numQHeads = 3;
  EXPECT_THROW(generateStepInputs(options), InputError);
  options = smallOptions();
  options.totalPages = 7;
  EXPECT_THROW(generateStepInputs(options), OutOfPagesError);
  options = smallOptions();
  options.dtype = ElementType::I32;
  EXPECT_THROW(generateStepInputs(options), InputError);
  options = smallOptions();
  options.granularity = 4; // Only for f8E4M3FN caches.
  EXPECT_THROW(generateStepInputs(options), InputError);
  options.dtype = ElementType::F8E4M3FN;
  options.granularity = 3; // Does not divide head_dim 8.
  EXPECT_THROW(generateStepInputs(options), InputError);
  options.granularity = 4;
  options.activationDType = ElementType::F8E4M3FN;
  EXPECT_THROW(generateStepInputs(options), InputError);
  options = smallOptions();
  options.activationDType = ElementType::BF16; // Not the f32 cache's.
  EXPECT_THROW(generateStepInputs(options), InputError);
}

} // namespace
