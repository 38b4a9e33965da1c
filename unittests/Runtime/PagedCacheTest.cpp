//===- PagedCacheTest.cpp - The paged-cache manager -----------------------===//

#include "kvcache/Runtime/PagedCache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <set>

using namespace kvcache::runtime;

namespace {

CacheGeometry smallGeometry(int64_t totalNumPages = 16) {
  CacheGeometry geometry;
  geometry.totalNumPages = totalNumPages;
  geometry.kvDim = 2;
  geometry.numLayers = 1;
  geometry.pageSize = 4;
  geometry.numKvHeads = 2;
  geometry.headDim = 8;
  return geometry;
}

template <typename Fn> std::string errorOf(Fn fn) {
  try {
    fn();
  } catch (const PagedCacheError &error) {
    return error.what();
  }
  return "";
}

TEST(PagedCacheRules, PagesAndColumns) {
  EXPECT_EQ(pagesForTokens(0, 16), 0);
  EXPECT_EQ(pagesForTokens(1, 16), 1);
  EXPECT_EQ(pagesForTokens(16, 16), 1);
  EXPECT_EQ(pagesForTokens(17, 16), 2);
  EXPECT_EQ(lookupTableColumns(0), 16);
  EXPECT_EQ(lookupTableColumns(1), 24);
  EXPECT_EQ(lookupTableColumns(8), 24);
  EXPECT_EQ(lookupTableColumns(9), 32);
}

TEST(PagedCacheRules, SplitRule) {
  // max_np = clamp(num_sms / (batch * num_kv_heads), 1, 32).
  EXPECT_EQ(maxNumPartitions(132, 1, 8), 16);
  EXPECT_EQ(maxNumPartitions(132, 1, 1), 32);
  EXPECT_EQ(maxNumPartitions(132, 64, 8), 1);
  EXPECT_EQ(maxNumPartitions(132, 2, 8), 8);
  // np = min(max_np, max(1, num_keys / 512)).
  EXPECT_EQ(numPartitions(132, 1, 8, 4096), 8);
  EXPECT_EQ(numPartitions(132, 1, 8, 32768), 16);
  EXPECT_EQ(numPartitions(132, 1, 1, 100000), 32);
  EXPECT_EQ(numPartitions(132, 64, 8, 4096), 1);
  EXPECT_EQ(numPartitions(132, 2, 8, 1000), 1);
  EXPECT_EQ(numPartitions(132, 2, 8, 2048), 4);
  EXPECT_EQ(numPartitions(132, 4, 8, 0), 1);
  EXPECT_EQ(numPartitions(108, 1, 4, 8192), 16);
}

TEST(PagedCache, HandComputedStep) {
  PagedCache cache(smallGeometry());
  // 6, 3 and 10 tokens: 2, 1 and 3 pages of 4.
  std::vector<RequestId> batch = cache.allocateBatch({{5, 1}, {0, 3}, {9, 1}});
  EXPECT_EQ(cache.numFreePages(), 10);
  EXPECT_EQ(cache.pages(batch[0]), (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(cache.pages(batch[1]), (std::vector<uint32_t>{2}));
  EXPECT_EQ(cache.pages(batch[2]), (std::vector<uint32_t>{3, 4, 5}));

  StepOptions options;
  options.stepsRemaining = 3;
  StepInputs step = cache.stepInputs(batch, options);
  EXPECT_EQ(step.batch, 3);
  EXPECT_EQ(step.cacheLengths, (std::vector<uint32_t>{5, 0, 9}));
  EXPECT_EQ(step.maxPromptLength, 3);
  EXPECT_EQ(step.maxCacheLength, 10);
  // round_up(3, 8) + 16 columns; unassigned slots hold total_num_pages.
  ASSERT_EQ(step.lookupTableColumns, 24);
  std::vector<uint32_t> expected(3 * 24, 16);
  expected[0] = 0;
  expected[1] = 1;
  expected[24] = 2;
  expected[48] = 3;
  expected[49] = 4;
  expected[50] = 5;
  EXPECT_EQ(step.lookupTable, expected);
  EXPECT_EQ(step.maxLengths, (std::vector<uint32_t>{3, 10, 1, 11, 1, 12}));
  // 132 / (3 * 2) = 22 slots, but 10 keys need one partition.
  EXPECT_EQ(step.attentionDispatchMetadata,
            (std::array<int64_t, 4>{3, 3, 1, 10}));
  EXPECT_EQ(step.inputRowOffsets, (std::vector<int32_t>{0, 1, 4, 5}));
}

TEST(PagedCache, DecodeStepSplitsLongContexts) {
  CacheGeometry geometry = smallGeometry(4096);
  geometry.pageSize = 16;
  geometry.numKvHeads = 8;
  PagedCache cache(geometry);
  RequestId id = cache.allocate({4095, 1});
  EXPECT_EQ(cache.pages(id).size(), 256u);
  StepInputs step = cache.stepInputs({id});
  // max_np = 132 / 8 = 16; 4096 keys / 512 = 8.
  EXPECT_EQ(step.attentionDispatchMetadata,
            (std::array<int64_t, 4>{1, 1, 8, 4096}));
  EXPECT_EQ(step.lookupTableColumns, 256 + 16);
  EXPECT_EQ(step.maxLengths, (std::vector<uint32_t>{1, 4096}));
}

TEST(PagedCache, FreeListReuse) {
  PagedCache cache(smallGeometry());
  RequestId a = cache.allocate({7, 1}); // 2 pages
  std::vector<uint32_t> pagesOfA = cache.pages(a);
  RequestId b = cache.allocate({0, 4}); // 1 page
  cache.release(a);
  EXPECT_EQ(cache.numFreePages(), 15);
  RequestId c = cache.allocate({0, 8});
  EXPECT_EQ(cache.pages(c), pagesOfA);
  EXPECT_NE(cache.pages(b), pagesOfA);
  EXPECT_FALSE(cache.pageAllocator().isAllocated(3));
  EXPECT_TRUE(cache.pageAllocator().isAllocated(pagesOfA[0]));
}

TEST(PagedCache, DoubleReleaseIsAnError) {
  PagedCache cache(smallGeometry());
  RequestId a = cache.allocate({3, 1});
  cache.release(a);
  EXPECT_EQ(errorOf([&] { cache.release(a); }),
            "request 0 was released already");
  EXPECT_EQ(errorOf([&] { cache.release(42); }),
            "request 42 was never allocated");
  EXPECT_EQ(errorOf([&] { cache.stepInputs({a}); }),
            "request 0 was released already");
  EXPECT_EQ(cache.numFreePages(), 16);
}

TEST(PagedCache, OutOfPages) {
  PagedCache cache(smallGeometry(4));
  cache.allocate({3, 1});
  try {
    cache.allocate({15, 1}); // 4 pages, 3 free
    FAIL() << "expected OutOfPagesError";
  } catch (const OutOfPagesError &error) {
    EXPECT_EQ(std::string(error.what()),
              "out of KV-cache pages: the request (cache_length 15 + "
              "prompt_length 1) needs 4 pages of 4 tokens but only 3 of 4 "
              "are free");
  }
  // A batch is all or nothing.
  EXPECT_THROW(cache.allocateBatch({{0, 4}, {0, 4}, {0, 4}, {0, 4}}),
               OutOfPagesError);
  EXPECT_EQ(cache.numFreePages(), 3);
  EXPECT_EQ(errorOf([&] {
              cache.allocateBatch({{0, 4}, {0, 4}, {0, 8}});
            }),
            "out of KV-cache pages: the batch of 3 requests needs 4 pages of "
            "4 tokens but only 3 of 4 are free");
}

TEST(PagedCache, AdvanceGrowsAcrossAPageBoundary) {
  PagedCache cache(smallGeometry());
  RequestId id = cache.allocate({2, 2}); // 4 tokens: 1 page of 4
  std::vector<uint32_t> first = cache.pages(id);
  ASSERT_EQ(first.size(), 1u);
  cache.advance(id, 1); // 5 tokens: 2 pages
  EXPECT_EQ(cache.spec(id).cacheLength, 4);
  EXPECT_EQ(cache.spec(id).promptLength, 1);
  ASSERT_EQ(cache.pages(id).size(), 2u);
  EXPECT_EQ(cache.pages(id)[0], first[0]);
  EXPECT_EQ(cache.numFreePages(), 14);
  cache.advance(id, 3); // 8 tokens: still 2 pages
  EXPECT_EQ(cache.spec(id).cacheLength, 5);
  EXPECT_EQ(cache.pages(id).size(), 2u);
  EXPECT_EQ(cache.numFreePages(), 14);
  cache.advance(id, 0); // 8 tokens cached, none new
  EXPECT_EQ(cache.spec(id).cacheLength, 8);
  EXPECT_EQ(cache.spec(id).promptLength, 0);
  EXPECT_EQ(cache.pages(id).size(), 2u);
  StepInputs step = cache.stepInputs({id});
  EXPECT_EQ(step.cacheLengths, (std::vector<uint32_t>{8}));
  EXPECT_EQ(step.maxLengths, (std::vector<uint32_t>{0, 8}));
}

TEST(PagedCache, AdvanceErrorsChangeNothing) {
  PagedCache cache(smallGeometry(4));
  RequestId id = cache.allocate({3, 1});    // 1 page
  RequestId other = cache.allocate({0, 8}); // 2 pages
  std::vector<uint32_t> pages = cache.pages(id);
  // 4 + 9 tokens: 4 pages, 3 more, 1 free.
  try {
    cache.advance(id, 9);
    FAIL() << "expected OutOfPagesError";
  } catch (const OutOfPagesError &error) {
    EXPECT_EQ(std::string(error.what()),
              "out of KV-cache pages: request 0 (cache_length 4 + "
              "prompt_length 9) needs 3 more pages of 4 tokens but only 1 of "
              "4 are free");
  }
  EXPECT_EQ(cache.spec(id).cacheLength, 3);
  EXPECT_EQ(cache.spec(id).promptLength, 1);
  EXPECT_EQ(cache.pages(id), pages);
  EXPECT_EQ(cache.numFreePages(), 1);

  EXPECT_EQ(errorOf([&] { cache.advance(id, -1); }),
            "request lengths must be non-negative, got cache_length 4 and "
            "prompt_length -1");
  EXPECT_EQ(
      errorOf([&] { cache.advance(id, std::numeric_limits<int32_t>::max()); }),
      "cache_length + prompt_length must be at most 2147483647 (an i32 "
      "field)");
  EXPECT_EQ(cache.spec(id).cacheLength, 3);
  EXPECT_EQ(cache.spec(id).promptLength, 1);
  EXPECT_EQ(cache.pages(id), pages);

  cache.release(other);
  EXPECT_EQ(errorOf([&] { cache.advance(other, 1); }),
            "request 1 was released already");
  EXPECT_EQ(errorOf([&] { cache.advance(7, 1); }),
            "request 7 was never allocated");
  EXPECT_EQ(cache.numFreePages(), 3);
}

TEST(PagedCache, ShuffledPagesAreScatteredAndSeeded) {
  PagedCache cache(smallGeometry(64), /*shuffleSeed=*/7);
  std::vector<RequestId> batch = cache.allocateBatch({{30, 2}, {61, 3}});
  std::vector<uint32_t> all = cache.pages(batch[0]);
  all.insert(all.end(), cache.pages(batch[1]).begin(),
             cache.pages(batch[1]).end());
  ASSERT_EQ(all.size(), 8u + 16u);
  EXPECT_EQ(std::set<uint32_t>(all.begin(), all.end()).size(), all.size());
  EXPECT_TRUE(std::all_of(all.begin(), all.end(),
                          [](uint32_t page) { return page < 64; }));
  std::vector<uint32_t> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(all, sorted);

  PagedCache same(smallGeometry(64), 7);
  std::vector<RequestId> again = same.allocateBatch({{30, 2}, {61, 3}});
  EXPECT_EQ(same.pages(again[0]), cache.pages(batch[0]));
  PagedCache other(smallGeometry(64), 8);
  EXPECT_NE(other.pages(other.allocate({30, 2})), cache.pages(batch[0]));
}

TEST(PagedCache, FlattenInABIOrder) {
  PagedCache cache(smallGeometry());
  std::vector<RequestId> batch = cache.allocateBatch({{5, 1}, {0, 3}});
  StepInputs step = cache.stepInputs(batch);
  Array kvBlocks(DType::uint16(), smallGeometry().kvBlocksShape());
  std::vector<NamedArray> flat = cache.flatten(step, std::move(kvBlocks));
  std::vector<std::string> names;
  for (const NamedArray &input : flat)
    names.push_back(input.name);
  EXPECT_EQ(names, (std::vector<std::string>{"kv_blocks", "cache_lengths",
                                             "lookup_table", "max_lengths",
                                             "attention_dispatch_metadata"}));
  EXPECT_EQ(flat[0].array.shape(), (std::vector<int64_t>{16, 2, 1, 4, 2, 8}));
  EXPECT_EQ(flat[1].array.dtype(), DType::int32());
  EXPECT_EQ(flat[1].array.shape(), (std::vector<int64_t>{2}));
  EXPECT_EQ(flat[2].array.shape(), (std::vector<int64_t>{2, 24}));
  EXPECT_EQ(flat[2].array.integerAt(2), 16); // The sentinel.
  EXPECT_EQ(flat[3].array.shape(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(flat[3].array.integerAt(1), 6);
  EXPECT_EQ(flat[4].array.dtype(), DType::int64());
  EXPECT_EQ(flat[4].array.integerAt(3), 6);

  FlattenOptions options;
  options.cache = "draft";
  options.device = 1;
  options.withDispatchMetadata = false;
  flat = cache.flatten(
      step, Array(DType::float32(), smallGeometry().kvBlocksShape()), options);
  ASSERT_EQ(flat.size(), 4u);
  EXPECT_EQ(flat[0].name, "draft.d1.kv_blocks");
  EXPECT_EQ(flat[3].name, "draft.d1.max_lengths");
  options.cache = "";
  EXPECT_EQ(
      cache
          .flatten(step,
                   Array(DType::float32(), smallGeometry().kvBlocksShape()),
                   options)[1]
          .name,
      "d1.cache_lengths");
}

TEST(PagedCache, FlattenAnMLACache) {
  CacheGeometry geometry = smallGeometry();
  geometry.kvDim = 1;
  geometry.numKvHeads = 1;
  PagedCache cache(geometry);
  StepInputs step = cache.stepInputs(cache.allocateBatch({{5, 1}, {0, 3}}));
  std::vector<NamedArray> flat =
      cache.flatten(step, Array(DType::uint16(), geometry.kvBlocksShape()));
  std::vector<std::string> names;
  for (const NamedArray &input : flat)
    names.push_back(input.name);
  EXPECT_EQ(names, (std::vector<std::string>{"kv_blocks", "cache_lengths",
                                             "lookup_table", "max_lengths",
                                             "attention_dispatch_metadata",
                                             "mla_num_partitions"}));
  // MLA's metadata drops max_cache_valid_length; the partition count is
  // the same split count.
  EXPECT_EQ(flat[4].array.shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(flat[4].array.integerAt(0), 2);
  EXPECT_EQ(flat[4].array.integerAt(1), 3);
  EXPECT_EQ(flat[4].array.integerAt(2), step.numPartitions);
  EXPECT_EQ(flat[5].array.dtype(), DType::int64());
  EXPECT_EQ(flat[5].array.shape(), (std::vector<int64_t>{1}));
  EXPECT_EQ(flat[5].array.integerAt(0), step.numPartitions);
}

TEST(PagedCache, FlattenErrors) {
  PagedCache cache(smallGeometry());
  StepInputs step = cache.stepInputs({cache.allocate({1, 1})});
  EXPECT_EQ(errorOf([&] {
              cache.flatten(step, Array(DType::float32(), {16, 2, 1, 4, 2}));
            }),
            "kv_blocks has shape [16, 2, 1, 4, 2], expected [16, 2, 1, 4, 2, "
            "8]");
  EXPECT_EQ(errorOf([&] {
              cache.flatten(
                  step, Array(DType::uint8(), smallGeometry().kvBlocksShape()));
            }),
            "the manager cannot flatten this cache: an 8-bit float cache "
            "requires 'kv_scales'");
  EXPECT_EQ(errorOf([&] {
              cache.flatten(
                  step, Array(DType::int32(), smallGeometry().kvBlocksShape()));
            }),
            "kv_blocks must hold a cache dtype (float32, float16, uint16 for "
            "bf16 or uint8 for f8E4M3FN), got int32");
}

TEST(PagedCache, FlattenAnF8Cache) {
  PagedCache cache(smallGeometry());
  StepInputs step = cache.stepInputs({cache.allocate({1, 1})});
  std::vector<int64_t> blocksShape = smallGeometry().kvBlocksShape();
  std::vector<NamedArray> flat =
      cache.flatten(step, Array(DType::uint8(), blocksShape),
                    Array(DType::float32(), {16, 2, 1, 4, 2, 2}));
  std::vector<std::string> names;
  for (const NamedArray &input : flat)
    names.push_back(input.name);
  EXPECT_EQ(names, (std::vector<std::string>{"kv_blocks", "cache_lengths",
                                             "lookup_table", "max_lengths",
                                             "kv_scales",
                                             "attention_dispatch_metadata"}));
  EXPECT_EQ(flat[4].array.shape(), (std::vector<int64_t>{16, 2, 1, 4, 2, 2}));
  EXPECT_EQ(errorOf([&] {
              cache.flatten(step, Array(DType::uint8(), blocksShape),
                            Array(DType::float32(), {16, 2, 1, 4, 2, 3}));
            }),
            "kv_scales has shape [16, 2, 1, 4, 2, 3], expected kv_blocks' "
            "first five dims [16, 2, 1, 4, 2, 8] with a last dim that divides "
            "head_dim");
  EXPECT_EQ(errorOf([&] {
              cache.flatten(step, Array(DType::uint8(), blocksShape),
                            Array(DType::float16(), {16, 2, 1, 4, 2, 1}));
            }),
            "kv_scales must be float32, got float16");
  EXPECT_NE(errorOf([&] {
              cache.flatten(step, Array(DType::uint16(), blocksShape),
                            Array(DType::float32(), {16, 2, 1, 4, 2, 1}));
            }).find("kv_scales"),
            std::string::npos);
}

TEST(PagedCache, InvalidArguments) {
  CacheGeometry geometry = smallGeometry();
  geometry.pageSize = 0;
  EXPECT_EQ(errorOf([&] { PagedCache cache(geometry); }),
            "page_size must be positive, got 0");
  geometry = smallGeometry();
  geometry.kvDim = 3;
  EXPECT_EQ(errorOf([&] { PagedCache cache(geometry); }),
            "kv_dim must be 2 (K and V) or 1 (MLA), got 3");
  PagedCache cache(smallGeometry());
  EXPECT_EQ(errorOf([&] {
              cache.allocate({-1, 1});
            }),
            "request lengths must be non-negative, got cache_length -1 and "
            "prompt_length 1");
  EXPECT_EQ(errorOf([&] { cache.stepInputs({}); }),
            "a step needs at least one request");
}

TEST(PageAllocator, ReleaseErrorsChangeNothing) {
  PageAllocator allocator(8);
  std::vector<uint32_t> pages = allocator.allocate(3);
  EXPECT_EQ(pages, (std::vector<uint32_t>{0, 1, 2}));
  EXPECT_EQ(errorOf([&] {
              allocator.release({0, 9});
            }),
            "cannot release page 9: the pool has pages 0..7");
  EXPECT_EQ(errorOf([&] {
              allocator.release({1, 1});
            }),
            "cannot release page 1 twice in one call");
  EXPECT_EQ(errorOf([&] {
              allocator.release({0, 5});
            }),
            "cannot release page 5: it is not allocated (a double release?)");
  EXPECT_EQ(allocator.numFreePages(), 5);
  allocator.release(pages);
  EXPECT_EQ(errorOf([&] { allocator.release({2}); }),
            "cannot release page 2: it is not allocated (a double release?)");
  EXPECT_EQ(allocator.allocate(3), pages);
  EXPECT_EQ(errorOf([&] { allocator.allocate(6); }),
            "out of KV-cache pages: 6 needed, 5 of 8 free");
}

} // namespace
