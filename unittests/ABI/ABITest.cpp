//===- ABITest.cpp - The ABI table and its rules --------------------------===//

#include "kvcache/ABI/ABI.h"

#include <gtest/gtest.h>

using namespace kvcache::abi;

namespace {

TEST(ABITable, EnumeratorsAreFlattenPositions) {
  for (unsigned i = 0; i < kNumFields; ++i) {
    EXPECT_EQ(position(kFields[i].field), i);
    EXPECT_EQ(fieldFromName(kFields[i].name), kFields[i].field);
  }
  EXPECT_EQ(fieldFromName("page_stride"), std::nullopt);
  EXPECT_EQ(fieldFromName(""), std::nullopt);
}

TEST(ABITable, MatchesMAXFlattenOrder) {
  // KVCacheInputsPerDevice.flatten(), as MAX documents it.
  const char *const max[] = {"kv_blocks",
                             "cache_lengths",
                             "lookup_table",
                             "max_lengths",
                             "kv_scales",
                             "attention_dispatch_metadata",
                             "draft_attention_dispatch_metadata",
                             "mla_num_partitions",
                             "draft_mla_num_partitions"};
  ASSERT_EQ(std::size(max), kNumFields);
  for (unsigned i = 0; i < kNumFields; ++i)
    EXPECT_EQ(kFields[i].name, max[i]);
}

TEST(FieldSet, FlatIndexCountsPresentFieldsBefore) {
  FieldSet set = FieldSet()
                     .with(Field::kv_blocks)
                     .with(Field::cache_lengths)
                     .with(Field::lookup_table)
                     .with(Field::max_lengths)
                     .with(Field::mla_num_partitions);
  EXPECT_EQ(set.size(), 5u);
  EXPECT_EQ(set.flatIndex(Field::max_lengths), 3u);
  EXPECT_EQ(set.flatIndex(Field::mla_num_partitions), 4u);
  EXPECT_EQ(set.flatIndex(Field::kv_scales), std::nullopt);
  std::vector<Field> fields = set.fields();
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields.back(), Field::mla_num_partitions);
  EXPECT_EQ(set.without(Field::mla_num_partitions).size(), 4u);
}

FieldSet required() {
  return FieldSet()
      .with(Field::kv_blocks)
      .with(Field::cache_lengths)
      .with(Field::lookup_table)
      .with(Field::max_lengths);
}

TEST(Presence, RequiredFields) {
  EXPECT_TRUE(checkPresence(required(), {}).empty());
  auto errors = checkPresence(required().without(Field::lookup_table), {});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, Field::lookup_table);
  EXPECT_EQ(errors[0].message, "missing required field 'lookup_table'");
}

TEST(Presence, ScalesExactlyOnFP8) {
  CacheTraits fp8{/*isFP8=*/true, /*isMLA=*/false};
  EXPECT_EQ(checkPresence(required(), fp8).size(), 1u);
  EXPECT_TRUE(checkPresence(required().with(Field::kv_scales), fp8).empty());
  EXPECT_EQ(checkPresence(required().with(Field::kv_scales), {}).size(), 1u);
}

TEST(Presence, MLAFields) {
  CacheTraits mla{false, true};
  FieldSet withPartitions = required().with(Field::mla_num_partitions);
  EXPECT_TRUE(checkPresence(withPartitions, mla).empty());
  EXPECT_EQ(checkPresence(withPartitions, {}).size(), 1u);
  FieldSet draft = withPartitions.with(Field::draft_mla_num_partitions);
  auto errors = checkPresence(draft, mla);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].field, Field::draft_mla_num_partitions);
  EXPECT_TRUE(
      checkPresence(draft.with(Field::draft_attention_dispatch_metadata), mla)
          .empty());
}

TEST(Naming, FlatArgumentNames) {
  EXPECT_EQ(flatArgumentName("", 0, Field::kv_blocks), "kv_blocks");
  EXPECT_EQ(flatArgumentName("", 1, Field::kv_blocks), "d1.kv_blocks");
  EXPECT_EQ(flatArgumentName("draft", 0, Field::lookup_table),
            "draft.d0.lookup_table");
}

} // namespace
