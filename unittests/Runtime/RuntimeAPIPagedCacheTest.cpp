//===- RuntimeAPIPagedCacheTest.cpp - The paged-cache manager from C ------===//
//
// The C functions against PagedCache itself: the same seed and requests give
// the same pages and step fields, and every refusal has its status, its
// message and leaves the caller's memory and the cache as they were.
//
//===----------------------------------------------------------------------===//

#include "kvcache-c/Runtime.h"
#include "kvcache/Runtime/PagedCache.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

using namespace kvcache::runtime;

namespace {

kvcache_cache_geometry smallGeometry(int64_t totalNumPages) {
  kvcache_cache_geometry geometry;
  geometry.total_num_pages = totalNumPages;
  geometry.kv_dim = 2;
  geometry.num_layers = 1;
  geometry.page_size = 4;
  geometry.num_kv_heads = 2;
  geometry.head_dim = 8;
  return geometry;
}

CacheGeometry toCpp(const kvcache_cache_geometry &geometry) {
  CacheGeometry shape;
  shape.totalNumPages = geometry.total_num_pages;
  shape.kvDim = geometry.kv_dim;
  shape.numLayers = geometry.num_layers;
  shape.pageSize = geometry.page_size;
  shape.numKvHeads = geometry.num_kv_heads;
  shape.headDim = geometry.head_dim;
  return shape;
}

struct CacheDeleter {
  void operator()(kvcache_paged_cache *cache) const {
    kvcache_paged_cache_destroy(cache);
  }
};
using CacheHandle = std::unique_ptr<kvcache_paged_cache, CacheDeleter>;

CacheHandle create(const kvcache_cache_geometry &geometry, uint64_t seed) {
  kvcache_paged_cache *cache = nullptr;
  EXPECT_EQ(kvcache_paged_cache_create(&geometry, seed, &cache), KVCACHE_OK)
      << kvcache_error_message();
  return CacheHandle(cache);
}

std::string message() { return kvcache_error_message(); }

std::vector<uint32_t> pagesOf(const kvcache_paged_cache *cache, uint64_t id) {
  size_t numPages = 0;
  const uint32_t *pages = nullptr;
  EXPECT_EQ(kvcache_paged_cache_request(cache, id, nullptr, nullptr, &numPages,
                                        &pages),
            KVCACHE_OK)
      << message();
  return std::vector<uint32_t>(pages, pages + numPages);
}

/// A step's arrays, sized for `count` requests and `columns` columns, and
/// the kvcache_step_inputs that points at them.
struct StepBuffers {
  std::vector<int32_t> cacheLengths;
  std::vector<int32_t> lookupTable;
  std::vector<int32_t> maxLengths;
  std::vector<int64_t> dispatchMetadata;
  std::vector<int32_t> inputRowOffsets;
  kvcache_step_inputs inputs{};

  StepBuffers(size_t count, int64_t columns, int64_t stepsRemaining)
      : cacheLengths(count, -7), lookupTable(count * columns, -7),
        maxLengths(2 * stepsRemaining, -7), dispatchMetadata(4, -7),
        inputRowOffsets(count + 1, -7) {
    inputs.lookup_table_columns = columns;
    inputs.steps_remaining = stepsRemaining;
    inputs.num_sms = 0;
    inputs.cache_lengths = cacheLengths.data();
    inputs.lookup_table = lookupTable.data();
    inputs.max_lengths = maxLengths.data();
    inputs.attention_dispatch_metadata = dispatchMetadata.data();
    inputs.input_row_offsets = inputRowOffsets.data();
  }
};

template <typename T, typename U>
std::vector<T> as(const std::vector<U> &values) {
  return std::vector<T>(values.begin(), values.end());
}

TEST(RuntimeAPIPagedCache, StepMatchesPagedCache) {
  kvcache_cache_geometry geometry = smallGeometry(64);
  CacheHandle cache = create(geometry, 7);
  ASSERT_TRUE(cache);
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(cache.get()), 64);
  // 6, 3 and 32 tokens: 2, 1 and 8 pages of 4.
  int64_t cacheLengths[] = {5, 0, 30};
  int64_t promptLengths[] = {1, 3, 2};
  uint64_t ids[3] = {};
  ASSERT_EQ(kvcache_paged_cache_allocate(cache.get(), 3, cacheLengths,
                                         promptLengths, ids),
            KVCACHE_OK)
      << message();
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(cache.get()), 64 - 11);

  PagedCache expected(toCpp(geometry), 7);
  std::vector<RequestId> batch =
      expected.allocateBatch({{5, 1}, {0, 3}, {30, 2}});
  ASSERT_EQ(std::vector<RequestId>(ids, ids + 3), batch);
  for (RequestId id : batch)
    EXPECT_EQ(pagesOf(cache.get(), id), expected.pages(id));
  int64_t cacheLength = -1, promptLength = -1;
  ASSERT_EQ(kvcache_paged_cache_request(cache.get(), ids[2], &cacheLength,
                                        &promptLength, nullptr, nullptr),
            KVCACHE_OK);
  EXPECT_EQ(cacheLength, 30);
  EXPECT_EQ(promptLength, 2);

  int64_t columns = 0;
  ASSERT_EQ(
      kvcache_paged_cache_lookup_table_columns(cache.get(), 3, ids, &columns),
      KVCACHE_OK)
      << message();
  // round_up(8, 8) + 16.
  EXPECT_EQ(columns, 24);

  StepBuffers buffers(3, columns, 3);
  ASSERT_EQ(kvcache_paged_cache_step(cache.get(), 3, ids, &buffers.inputs),
            KVCACHE_OK)
      << message();
  StepOptions options;
  options.stepsRemaining = 3;
  StepInputs step = expected.stepInputs(batch, options);
  ASSERT_EQ(step.lookupTableColumns, columns);
  EXPECT_EQ(buffers.cacheLengths, as<int32_t>(step.cacheLengths));
  EXPECT_EQ(buffers.lookupTable, as<int32_t>(step.lookupTable));
  EXPECT_EQ(buffers.maxLengths, as<int32_t>(step.maxLengths));
  EXPECT_EQ(
      buffers.dispatchMetadata,
      as<int64_t>(std::vector<int64_t>(step.attentionDispatchMetadata.begin(),
                                       step.attentionDispatchMetadata.end())));
  EXPECT_EQ(buffers.inputRowOffsets, step.inputRowOffsets);

  // And by hand: slots past a request's pages hold total_num_pages.
  EXPECT_EQ(buffers.cacheLengths, (std::vector<int32_t>{5, 0, 30}));
  for (size_t b = 0; b < 3; ++b) {
    std::vector<uint32_t> pages = pagesOf(cache.get(), ids[b]);
    for (size_t slot = 0; slot < 24; ++slot)
      EXPECT_EQ(buffers.lookupTable[b * 24 + slot],
                slot < pages.size() ? static_cast<int32_t>(pages[slot]) : 64)
          << "request " << b << ", slot " << slot;
  }
  // [max_prompt_length, max_cache_length], then a decode row per step.
  EXPECT_EQ(buffers.maxLengths, (std::vector<int32_t>{3, 32, 1, 33, 1, 34}));
  // 132 / (3 * 2) = 22 slots, but 32 keys need one partition.
  EXPECT_EQ(buffers.dispatchMetadata, (std::vector<int64_t>{3, 3, 1, 32}));
  EXPECT_EQ(buffers.inputRowOffsets, (std::vector<int32_t>{0, 1, 4, 6}));

  // Any array may be left out.
  StepBuffers some(3, columns, 1);
  some.inputs.lookup_table = nullptr;
  some.inputs.attention_dispatch_metadata = nullptr;
  ASSERT_EQ(kvcache_paged_cache_step(cache.get(), 3, ids, &some.inputs),
            KVCACHE_OK)
      << message();
  EXPECT_EQ(some.cacheLengths, (std::vector<int32_t>{5, 0, 30}));
  EXPECT_EQ(some.maxLengths, (std::vector<int32_t>{3, 32}));
  EXPECT_EQ(some.lookupTable, std::vector<int32_t>(3 * 24, -7));
  EXPECT_EQ(some.dispatchMetadata, std::vector<int64_t>(4, -7));
}

TEST(RuntimeAPIPagedCache, SplitRuleTakesNumSms) {
  CacheHandle cache = create(smallGeometry(1100), 3);
  ASSERT_TRUE(cache);
  int64_t cacheLength = 4095, promptLength = 1;
  uint64_t id = 99;
  ASSERT_EQ(kvcache_paged_cache_allocate(cache.get(), 1, &cacheLength,
                                         &promptLength, &id),
            KVCACHE_OK)
      << message();
  EXPECT_EQ(id, 0u);
  int64_t columns = 0;
  ASSERT_EQ(
      kvcache_paged_cache_lookup_table_columns(cache.get(), 1, &id, &columns),
      KVCACHE_OK);
  EXPECT_EQ(columns, 1024 + 16);
  StepBuffers buffers(1, columns, 1);
  // 0: 132 SMs, max_np = min(132 / 2, 32); 4096 keys / 512 = 8.
  ASSERT_EQ(kvcache_paged_cache_step(cache.get(), 1, &id, &buffers.inputs),
            KVCACHE_OK);
  EXPECT_EQ(buffers.dispatchMetadata, (std::vector<int64_t>{1, 1, 8, 4096}));
  // 4 SMs: max_np = 4 / 2.
  buffers.inputs.num_sms = 4;
  ASSERT_EQ(kvcache_paged_cache_step(cache.get(), 1, &id, &buffers.inputs),
            KVCACHE_OK);
  EXPECT_EQ(buffers.dispatchMetadata, (std::vector<int64_t>{1, 1, 2, 4096}));
  buffers.inputs.num_sms = -1;
  EXPECT_EQ(kvcache_paged_cache_step(cache.get(), 1, &id, &buffers.inputs),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "num_sms must be positive, got -1");
}

TEST(RuntimeAPIPagedCache, WrongColumnsWriteNothing) {
  CacheHandle cache = create(smallGeometry(16), 1);
  ASSERT_TRUE(cache);
  int64_t cacheLengths[] = {5, 0};
  int64_t promptLengths[] = {1, 3};
  uint64_t ids[2];
  ASSERT_EQ(kvcache_paged_cache_allocate(cache.get(), 2, cacheLengths,
                                         promptLengths, ids),
            KVCACHE_OK);
  StepBuffers buffers(2, 32, 2);
  EXPECT_EQ(kvcache_paged_cache_step(cache.get(), 2, ids, &buffers.inputs),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "lookup_table_columns is 32, expected 24 for these "
                       "requests (what kvcache_paged_cache_lookup_table_"
                       "columns says)");
  EXPECT_EQ(buffers.cacheLengths, std::vector<int32_t>(2, -7));
  EXPECT_EQ(buffers.lookupTable, std::vector<int32_t>(2 * 32, -7));
  EXPECT_EQ(buffers.maxLengths, std::vector<int32_t>(4, -7));
  EXPECT_EQ(buffers.dispatchMetadata, std::vector<int64_t>(4, -7));
  EXPECT_EQ(buffers.inputRowOffsets, std::vector<int32_t>(3, -7));

  // A step and its columns need a request.
  int64_t columns = -1;
  EXPECT_EQ(
      kvcache_paged_cache_lookup_table_columns(cache.get(), 0, ids, &columns),
      KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "a step needs at least one request");
  EXPECT_EQ(columns, -1);
  EXPECT_EQ(kvcache_paged_cache_step(cache.get(), 0, nullptr, &buffers.inputs),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "a step needs at least one request");
  buffers.inputs.steps_remaining = 0;
  buffers.inputs.lookup_table_columns = 24;
  EXPECT_EQ(kvcache_paged_cache_step(cache.get(), 2, ids, &buffers.inputs),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "steps_remaining must be at least 1, got 0");
  EXPECT_EQ(buffers.cacheLengths, std::vector<int32_t>(2, -7));
}

TEST(RuntimeAPIPagedCache, OutOfPagesTakesNothing) {
  CacheHandle cache = create(smallGeometry(4), 5);
  ASSERT_TRUE(cache);
  int64_t cacheLengths[] = {3, 0, 0};
  int64_t promptLengths[] = {1, 8, 8};
  uint64_t ids[3] = {77, 77, 77};
  ASSERT_EQ(kvcache_paged_cache_allocate(cache.get(), 1, cacheLengths,
                                         promptLengths, ids),
            KVCACHE_OK);
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(cache.get()), 3);
  // 2 + 2 pages, 3 free: neither is admitted.
  EXPECT_EQ(kvcache_paged_cache_allocate(cache.get(), 2, cacheLengths + 1,
                                         promptLengths + 1, ids + 1),
            KVCACHE_ERROR_OUT_OF_PAGES);
  EXPECT_NE(message().find("out of KV-cache pages"), std::string::npos)
      << message();
  EXPECT_EQ(message(), "out of KV-cache pages: the batch of 2 requests needs "
                       "4 pages of 4 tokens but only 3 of 4 are free");
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(cache.get()), 3);
  EXPECT_EQ(ids[1], 77u);
  EXPECT_EQ(ids[2], 77u);

  // Growing past the pool takes nothing either.
  std::vector<uint32_t> pages = pagesOf(cache.get(), ids[0]);
  EXPECT_EQ(kvcache_paged_cache_advance(cache.get(), ids[0], 13),
            KVCACHE_ERROR_OUT_OF_PAGES);
  EXPECT_NE(message().find("out of KV-cache pages"), std::string::npos)
      << message();
  int64_t cacheLength = -1, promptLength = -1;
  ASSERT_EQ(kvcache_paged_cache_request(cache.get(), ids[0], &cacheLength,
                                        &promptLength, nullptr, nullptr),
            KVCACHE_OK);
  EXPECT_EQ(cacheLength, 3);
  EXPECT_EQ(promptLength, 1);
  EXPECT_EQ(pagesOf(cache.get(), ids[0]), pages);
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(cache.get()), 3);
}

TEST(RuntimeAPIPagedCache, AdvanceAndRelease) {
  CacheHandle cache = create(smallGeometry(16), 9);
  ASSERT_TRUE(cache);
  int64_t cacheLength = 0, promptLength = 4;
  uint64_t id;
  ASSERT_EQ(kvcache_paged_cache_allocate(cache.get(), 1, &cacheLength,
                                         &promptLength, &id),
            KVCACHE_OK);
  std::vector<uint32_t> first = pagesOf(cache.get(), id);
  ASSERT_EQ(first.size(), 1u);
  // 4 cached + 1 new: a second page.
  ASSERT_EQ(kvcache_paged_cache_advance(cache.get(), id, 1), KVCACHE_OK)
      << message();
  size_t numPages = 0;
  ASSERT_EQ(kvcache_paged_cache_request(cache.get(), id, &cacheLength,
                                        &promptLength, &numPages, nullptr),
            KVCACHE_OK);
  EXPECT_EQ(cacheLength, 4);
  EXPECT_EQ(promptLength, 1);
  EXPECT_EQ(numPages, 2u);
  EXPECT_EQ(pagesOf(cache.get(), id)[0], first[0]);
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(cache.get()), 14);

  EXPECT_EQ(kvcache_paged_cache_advance(cache.get(), id, -1),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "request lengths must be non-negative, got "
                       "cache_length 5 and prompt_length -1");

  ASSERT_EQ(kvcache_paged_cache_release(cache.get(), id), KVCACHE_OK);
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(cache.get()), 16);
  EXPECT_EQ(kvcache_paged_cache_request(cache.get(), id, &cacheLength, nullptr,
                                        nullptr, nullptr),
            KVCACHE_ERROR_INPUT);
  EXPECT_NE(message().find("released already"), std::string::npos) << message();
  EXPECT_EQ(kvcache_paged_cache_release(cache.get(), id), KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "request 0 was released already");
  EXPECT_EQ(kvcache_paged_cache_advance(cache.get(), id, 1),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(kvcache_paged_cache_release(cache.get(), 5), KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "request 5 was never allocated");
  StepBuffers buffers(1, 16, 1);
  EXPECT_EQ(kvcache_paged_cache_step(cache.get(), 1, &id, &buffers.inputs),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "request 0 was released already");
}

TEST(RuntimeAPIPagedCache, InvalidGeometry) {
  kvcache_cache_geometry geometry = smallGeometry(16);
  geometry.page_size = 0;
  kvcache_paged_cache *cache = reinterpret_cast<kvcache_paged_cache *>(8);
  EXPECT_EQ(kvcache_paged_cache_create(&geometry, 0, &cache),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(cache, nullptr);
  EXPECT_EQ(message(), "page_size must be positive, got 0");
  geometry = smallGeometry(16);
  geometry.kv_dim = 3;
  EXPECT_EQ(kvcache_paged_cache_create(&geometry, 0, &cache),
            KVCACHE_ERROR_INPUT);
  EXPECT_EQ(message(), "kv_dim must be 2 (K and V) or 1 (MLA), got 3");
}

TEST(RuntimeAPIPagedCache, NullPointersAreMisuse) {
  kvcache_cache_geometry geometry = smallGeometry(16);
  kvcache_paged_cache *raw = nullptr;
  EXPECT_EQ(kvcache_paged_cache_create(nullptr, 0, &raw), KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "geometry is null");
  EXPECT_EQ(kvcache_paged_cache_create(&geometry, 0, nullptr),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "cache is null");
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(nullptr), 0);
  kvcache_paged_cache_destroy(nullptr);

  int64_t length = 1;
  uint64_t id = 0;
  int64_t columns = 0;
  kvcache_step_inputs inputs{};
  inputs.steps_remaining = 1;
  EXPECT_EQ(kvcache_paged_cache_allocate(nullptr, 1, &length, &length, &id),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(kvcache_paged_cache_advance(nullptr, 0, 1), KVCACHE_ERROR_USAGE);
  EXPECT_EQ(kvcache_paged_cache_release(nullptr, 0), KVCACHE_ERROR_USAGE);
  EXPECT_EQ(kvcache_paged_cache_request(nullptr, 0, nullptr, nullptr, nullptr,
                                        nullptr),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(kvcache_paged_cache_lookup_table_columns(nullptr, 1, &id, &columns),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(kvcache_paged_cache_step(nullptr, 1, &id, &inputs),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "cache is null");

  CacheHandle cache = create(geometry, 0);
  ASSERT_TRUE(cache);
  EXPECT_EQ(kvcache_paged_cache_allocate(cache.get(), 1, nullptr, &length, &id),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "cache_lengths is null");
  EXPECT_EQ(kvcache_paged_cache_allocate(cache.get(), 1, &length, nullptr, &id),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "prompt_lengths is null");
  EXPECT_EQ(
      kvcache_paged_cache_allocate(cache.get(), 1, &length, &length, nullptr),
      KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "ids is null");
  EXPECT_EQ(kvcache_paged_cache_num_free_pages(cache.get()), 16);
  // Nothing to admit: nothing is read.
  EXPECT_EQ(
      kvcache_paged_cache_allocate(cache.get(), 0, nullptr, nullptr, nullptr),
      KVCACHE_OK);
  ASSERT_EQ(kvcache_paged_cache_allocate(cache.get(), 1, &length, &length, &id),
            KVCACHE_OK);
  EXPECT_EQ(
      kvcache_paged_cache_lookup_table_columns(cache.get(), 1, &id, nullptr),
      KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "columns is null");
  EXPECT_EQ(kvcache_paged_cache_lookup_table_columns(cache.get(), 2, nullptr,
                                                     &columns),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "ids is null for count 2");
  EXPECT_EQ(kvcache_paged_cache_step(cache.get(), 1, &id, nullptr),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "step is null");
  EXPECT_EQ(kvcache_paged_cache_step(cache.get(), 2, nullptr, &inputs),
            KVCACHE_ERROR_USAGE);
  EXPECT_EQ(message(), "ids is null for count 2");
}

} // namespace
