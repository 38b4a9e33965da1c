//===- ConsistencyTest.cpp - Cross-checks of cache inputs -----------------===//

#include "TestArrays.h"

#include "kvcache/Runtime/Consistency.h"
#include "kvcache/Runtime/Error.h"

#include <gtest/gtest.h>

using namespace kvcache::runtime;
using namespace kvcache::runtime::testing;

namespace {

/// A decode/prefill step: page size 4, 8 pages, two requests with 5 and 0
/// cached tokens and 1 and 3 new tokens (positions 0..5 and 0..2: two pages
/// and one).
class Consistency : public ::testing::Test {
protected:
  void SetUp() override {
    auto add = [&](ManifestArgument argument, Array array) {
      function.arguments.push_back(std::move(argument));
      arrays.push_back(std::move(array));
    };
    using F = kvcache::abi::Field;
    add(memrefArgument(0, "q", ElementType::F32, {-1, 2, 2}),
        Array(DType::float32(), {4, 2, 2}));
    add(memrefArgument(1, "kv_blocks", ElementType::F32, {-1, 2, 1, 4, 1, 2},
                       ArgumentRole::Cache, F::kv_blocks),
        Array(DType::float32(), {8, 2, 1, 4, 1, 2}));
    add(memrefArgument(2, "cache_lengths", ElementType::I32, {-1},
                       ArgumentRole::Cache, F::cache_lengths),
        int32s({2}, {5, 0}));
    std::vector<int64_t> table(2 * 24, 8);
    table[0] = 3;
    table[1] = 7;
    table[24] = 1;
    add(memrefArgument(3, "lookup_table", ElementType::I32, {-1, -1},
                       ArgumentRole::Cache, F::lookup_table),
        int32s({2, 24}, table));
    add(memrefArgument(4, "max_lengths", ElementType::I32, {-1, 2},
                       ArgumentRole::Cache, F::max_lengths),
        int32s({1, 2}, {3, 6}));
    add(memrefArgument(5, "attention_dispatch_metadata", ElementType::I64, {4},
                       ArgumentRole::Cache, F::attention_dispatch_metadata),
        integers(DType::int64(), {4}, {2, 3, 1, 6}));
    add(memrefArgument(6, "input_row_offsets", ElementType::I32, {-1}),
        int32s({3}, {0, 1, 4}));
    add(memrefArgument(7, "out", ElementType::F32, {-1, 2, 2},
                       ArgumentRole::Output),
        Array(DType::float32(), {4, 2, 2}));
    // The checks key on the operand each argument feeds, never its name.
    function.arguments[0].operand = ArgumentOperand::Query;
    function.arguments[6].operand = ArgumentOperand::RowOffsets;
    function.arguments[7].operand = ArgumentOperand::Out;
  }

  /// Adds `key` and `value` rows (the function stores).
  void addStore() {
    for (const char *name : {"key", "value"}) {
      unsigned index = static_cast<unsigned>(function.arguments.size());
      function.arguments.push_back(
          memrefArgument(index, name, ElementType::F32, {-1, 1, 2}));
      function.arguments.back().operand =
          name[0] == 'k' ? ArgumentOperand::Key : ArgumentOperand::Value;
      arrays.push_back(Array(DType::float32(), {4, 1, 2}));
    }
  }

  std::string check() {
    try {
      checkCacheConsistency(function, arrays);
    } catch (const InputError &error) {
      return error.what();
    }
    return "";
  }

  void setInt32(size_t argument, int64_t flat, int32_t value) {
    arrays[argument].dataAs<int32_t>()[flat] = value;
  }

  ManifestFunction function;
  std::vector<Array> arrays;
};

TEST_F(Consistency, ValidInputsPass) { EXPECT_EQ(check(), ""); }

TEST_F(Consistency, SentinelAtUnusedPositionsIsFine) {
  // Row 1 uses one page; the sentinel (8) after it is never read.
  EXPECT_EQ(arrays[3].integerAt(25), 8);
  setInt32(3, 30, 1000);
  EXPECT_EQ(check(), "");
}

TEST_F(Consistency, BatchSizesDisagree) {
  arrays[2] = int32s({3}, {5, 0, 0});
  EXPECT_EQ(check(), "batch sizes disagree: 'cache_lengths' has 3 entries "
                     "but 'lookup_table' has 2 rows (both are one per "
                     "request)");
}

TEST_F(Consistency, PageOutOfRangeAtAUsedPosition) {
  setInt32(3, 1, 8);
  EXPECT_EQ(check(), "lookup_table[0, 1] = 8 is not a valid page "
                     "(total_num_pages = 8) but request 0 uses position 5");
  setInt32(3, 1, 7);
  setInt32(3, 24, 40);
  EXPECT_EQ(check(), "lookup_table[1, 0] = 40 is not a valid page "
                     "(total_num_pages = 8) but request 1 uses position 2");
}

TEST_F(Consistency, NegativeInt32PageIsReadAsUnsigned) {
  setInt32(3, 0, -1);
  EXPECT_EQ(check(), "lookup_table[0, 0] = 4294967295 (-1 as int32, read as "
                     "uint32) is not a valid page (total_num_pages = 8) but "
                     "request 0 uses position 3");
}

TEST_F(Consistency, RowTooShort) {
  setInt32(2, 0, 200);
  EXPECT_EQ(check(), "request 0 uses positions 0..200 (cache_lengths[0] = 200 "
                     "plus 1 new tokens), which need 51 pages of 4, but "
                     "'lookup_table' has only 24 columns");
}

TEST_F(Consistency, RowOffsetsLength) {
  arrays[6] = int32s({4}, {0, 1, 2, 4});
  EXPECT_EQ(check(), "'input_row_offsets' has 4 entries, expected batch + 1 "
                     "= 3 (batch = 2 entries in 'cache_lengths')");
}

TEST_F(Consistency, RowOffsetsStartAtZero) {
  setInt32(6, 0, 1);
  EXPECT_EQ(check(), "input_row_offsets[0] = 1, expected 0 (row offsets "
                     "start at 0)");
}

TEST_F(Consistency, RowOffsetsNonDecreasing) {
  arrays[6] = int32s({3}, {0, 5, 4});
  EXPECT_EQ(check(), "'input_row_offsets' must be non-decreasing: "
                     "input_row_offsets[2] = 4 is less than "
                     "input_row_offsets[1] = 5");
}

TEST_F(Consistency, RowOffsetsEndAtTheRowCount) {
  arrays[6] = int32s({3}, {0, 1, 3});
  EXPECT_EQ(check(), "input_row_offsets[2] = 3 (the total number of new "
                     "tokens) but argument 'q' (#0) has 4 rows (dim 0)");
}

TEST_F(Consistency, MaxLengthsCoverTheBatch) {
  setInt32(4, 1, 5);
  EXPECT_EQ(check(), "max_lengths[0, 1] = 5 (max_cache_length) is too small: "
                     "request 0 uses 6 positions (cache_lengths plus its new "
                     "tokens)");
  setInt32(4, 1, 6);
  setInt32(4, 0, 2);
  EXPECT_EQ(check(), "max_lengths[0, 0] = 2 (max_prompt_length) is too "
                     "small: request 1 has 3 new tokens");
}

TEST_F(Consistency, DispatchMetadata) {
  arrays[5].dataAs<int64_t>()[0] = 3;
  EXPECT_EQ(check(), "attention_dispatch_metadata[0] = 3 (batch_size) but "
                     "the batch is 2 ('cache_lengths' has 2 entries)");
  arrays[5].dataAs<int64_t>()[0] = 2;
  arrays[5].dataAs<int64_t>()[3] = 4;
  EXPECT_EQ(check(), "attention_dispatch_metadata[3] = 4 "
                     "(max_cache_valid_length) is too small: request 0 uses "
                     "6 positions (cache_lengths plus its new tokens)");
}

TEST_F(Consistency, WithoutRowOffsetsOnlyCachedPositionsCount) {
  function.arguments.pop_back();
  arrays.pop_back();
  function.arguments.pop_back();
  arrays.pop_back();
  // Request 0 then uses positions 0..4 (pages 0 and 1), request 1 none.
  setInt32(3, 24, 99);
  EXPECT_EQ(check(), "");
  setInt32(3, 1, 99);
  EXPECT_EQ(check(), "lookup_table[0, 1] = 99 is not a valid page "
                     "(total_num_pages = 8) but request 0 uses position 4");
}

TEST_F(Consistency, OffsetsOfBatchEntriesSaySo) {
  // One entry short: the length is the problem, not the rows it ends at.
  arrays[6] = int32s({2}, {0, 1});
  EXPECT_EQ(check(), "'input_row_offsets' has 2 entries, expected batch + 1 = "
                     "3 (batch = 2 entries in 'cache_lengths')");
}

TEST_F(Consistency, RowOffsetsAreFoundByOperandNotName) {
  function.arguments[6].name = "row_offsets";
  setInt32(6, 0, 1);
  EXPECT_EQ(check(), "row_offsets[0] = 1, expected 0 (row offsets start at 0)");
  // Named input_row_offsets but feeding no row-offsets operand: not offsets.
  function.arguments[6].name = "input_row_offsets";
  function.arguments[6].operand.reset();
  EXPECT_EQ(check(), "");
}

TEST_F(Consistency, OnlyRaggedOperandsHaveOneRowPerToken) {
  // A static rank-3 input that feeds no query/key/value/out operand.
  function.arguments.push_back(
      memrefArgument(8, "weights", ElementType::F32, {3, 4, 8}));
  arrays.push_back(Array(DType::float32(), {3, 4, 8}));
  EXPECT_EQ(check(), "");
  function.arguments[8].operand = ArgumentOperand::Query;
  EXPECT_EQ(check(), "input_row_offsets[2] = 4 (the total number of new "
                     "tokens) but argument 'weights' (#8) has 3 rows (dim 0)");
}

TEST_F(Consistency, WritesMayNotShareAPage) {
  addStore();
  EXPECT_EQ(check(), "");
  // Request 1's new tokens (positions 0..2) go to page 7, which request 0
  // writes too (its position 5 and new token).
  setInt32(3, 24, 7);
  EXPECT_EQ(check(), "page 7 of the pool is used twice and written: request 0 "
                     "writes position 5 there (lookup_table[0, 1]) and "
                     "request 1 writes position 0 there (lookup_table[1, 0]); "
                     "a page may be shared only while no request of the call "
                     "writes it");
  // Into a page request 0 only reads (positions 0..3, page 3).
  setInt32(3, 24, 3);
  EXPECT_EQ(check(), "page 3 of the pool is used twice and written: request 0 "
                     "reads position 0 there (lookup_table[0, 0]) and "
                     "request 1 writes position 0 there (lookup_table[1, 0]); "
                     "a page may be shared only while no request of the call "
                     "writes it");
}

TEST_F(Consistency, ReadOnlyPagesMayBeShared) {
  addStore();
  // Both requests read page 3 (a shared prefix) and write their own pages.
  setInt32(4, 1, 9);
  setInt32(2, 1, 4);
  setInt32(3, 24, 3);
  setInt32(3, 25, 1);
  arrays[5].dataAs<int64_t>()[3] = 9;
  EXPECT_EQ(check(), "");
  // Without a store, even written-looking pages may be shared.
  function.arguments.resize(8);
  arrays.resize(8);
  setInt32(3, 25, 7);
  EXPECT_EQ(check(), "");
}

TEST_F(Consistency, Uint32FieldsAreAccepted) {
  arrays[3] = integers(DType::uint32(), {2, 24}, std::vector<int64_t>(48, 2));
  EXPECT_EQ(check(), "");
}

} // namespace
