//===- PagedCache.h - A paged KV-cache manager ------------------*- C++ -*-===//
//
// The host side of a paged KV cache, as a serving loop runs it: a free list
// of pages in a kv_blocks pool, requests that take ceil((cache_length +
// prompt_length) / page_size) pages each, and the step inputs of ABI.md built
// from the requests of a batch: lookup_table, cache_lengths, max_lengths and
// attention_dispatch_metadata, flattened in ABI order and named by
// abi::flatArgumentName.
//
// Pages are handed out from a seeded shuffle of the pool, so a request's
// pages are scattered as they are in a long-running server; kernels tested
// on contiguous pages could read the wrong page and still pass.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_PAGEDCACHE_H
#define KVCACHE_RUNTIME_PAGEDCACHE_H

#include "kvcache/ABI/ABI.h"
#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/PageAllocator.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kvcache::runtime {

//===----------------------------------------------------------------------===//
// The rules of ABI.md, as functions
//===----------------------------------------------------------------------===//

/// ceil(numTokens / pageSize).
int64_t pagesForTokens(int64_t numTokens, int64_t pageSize);

/// lookup_table's column count: round_up(maxPagesNeeded, 8) + 16.
int64_t lookupTableColumns(int64_t maxPagesNeeded);

/// MAX's split-K launch width: clamp(numSms / (batch * numKvHeads), 1, 32).
int64_t maxNumPartitions(int64_t numSms, int64_t batch, int64_t numKvHeads);

/// MAX's split-K count: min(maxNumPartitions, max(1, numKeys / 512)).
int64_t numPartitions(int64_t numSms, int64_t batch, int64_t numKvHeads,
                      int64_t numKeys);

/// The SM count MAX's rule assumes by default (an H100 SXM).
inline constexpr int64_t kDefaultNumSms = 132;

//===----------------------------------------------------------------------===//
// PagedCache
//===----------------------------------------------------------------------===//

/// The kv_blocks pool's dims: [total_num_pages, kv_dim, num_layers,
/// page_size, num_kv_heads, head_dim].
struct CacheGeometry {
  int64_t totalNumPages = 0;
  int64_t kvDim = 2;
  int64_t numLayers = 1;
  int64_t pageSize = 0;
  int64_t numKvHeads = 0;
  int64_t headDim = 0;

  std::vector<int64_t> kvBlocksShape() const;
  /// Throws PagedCacheError naming a dim that is not positive, a kv_dim
  /// other than 1 or 2, or a pool too large for the i32 page ids.
  void validate() const;
};

/// One request of a step: tokens already cached and new tokens this step.
struct RequestSpec {
  int64_t cacheLength = 0;
  int64_t promptLength = 0;
};

using RequestId = uint64_t;

struct StepOptions {
  /// Rows of max_lengths: this step and the decode steps after it.
  int64_t stepsRemaining = 1;
  /// For the split-K rule.
  int64_t numSms = kDefaultNumSms;
};

/// The values of one step's cache inputs, for the requests of a batch in
/// order. Page ids and lengths are what the ABI's i32 fields hold.
struct StepInputs {
  int64_t batch = 0;
  int64_t maxPromptLength = 0;
  /// max_b(cache_length_b + prompt_length_b).
  int64_t maxCacheLength = 0;
  int64_t numPartitions = 1;
  std::vector<uint32_t> cacheLengths;
  /// Row-major [batch, lookupTableColumns]; unassigned slots hold
  /// totalNumPages.
  int64_t lookupTableColumns = 0;
  std::vector<uint32_t> lookupTable;
  /// Row-major [stepsRemaining, 2].
  std::vector<uint32_t> maxLengths;
  /// MHA: [batch, q_max_seq_len, num_partitions, max_cache_valid_length].
  std::array<int64_t, 4> attentionDispatchMetadata{};
  /// [batch + 1] prefix sums of the prompt lengths.
  std::vector<int32_t> inputRowOffsets;
};

/// Which flat inputs to emit, for which cache and device.
struct FlattenOptions {
  /// kv_blocks, cache_lengths, lookup_table, max_lengths, kv_scales on an
  /// 8-bit float cache and, when `withDispatchMetadata`,
  /// attention_dispatch_metadata (3 entries on an MLA cache, which also gets
  /// mla_num_partitions, the same split count). The manager produces no
  /// draft fields.
  bool withDispatchMetadata = true;
  /// The cache's name ("" for the default cache) and device, for
  /// abi::flatArgumentName.
  std::string cache;
  int64_t device = 0;
};

class PagedCache {
public:
  explicit PagedCache(const CacheGeometry &geometry,
                      std::optional<uint64_t> shuffleSeed = std::nullopt);

  const CacheGeometry &geometry() const { return shape; }
  int64_t numFreePages() const { return allocator.numFreePages(); }
  const PageAllocator &pageAllocator() const { return allocator; }

  /// Pages that `spec` takes: ceil((cacheLength + promptLength) / pageSize).
  int64_t pagesNeeded(const RequestSpec &spec) const;

  /// Allocates one request's pages. Throws OutOfPagesError, or
  /// PagedCacheError for negative lengths.
  RequestId allocate(const RequestSpec &spec);
  /// Allocates every request or, when the pool is too small, none.
  std::vector<RequestId> allocateBatch(const std::vector<RequestSpec> &specs);
  /// Returns a request's pages. Throws PagedCacheError for a request that
  /// was released already or never allocated.
  void release(RequestId id);
  /// After a step: the request's new tokens are cached (cache_length +=
  /// prompt_length) and the next step brings `promptLength` new ones. Takes
  /// the pages that needs. Throws OutOfPagesError when too few are free, or
  /// PagedCacheError for a negative length, a total past i32 or a request
  /// that is not live, changing nothing.
  void advance(RequestId id, int64_t promptLength);

  const RequestSpec &spec(RequestId id) const;
  const std::vector<uint32_t> &pages(RequestId id) const;

  /// lookup_table's column count for a step of `batch`, as stepInputs
  /// builds it (without building the table).
  int64_t lookupTableColumnsFor(const std::vector<RequestId> &batch) const;

  /// The step inputs for `batch` (live requests, in batch order).
  StepInputs stepInputs(const std::vector<RequestId> &batch,
                        const StepOptions &options = {}) const;

  /// The flat cache inputs in ABI order. `kvBlocks` (shape
  /// geometry().kvBlocksShape(), any cache dtype) becomes the kv_blocks
  /// field; i32 fields are int32 arrays, i64 fields int64 arrays.
  std::vector<NamedArray> flatten(const StepInputs &step, Array kvBlocks,
                                  const FlattenOptions &options = {}) const;
  /// The same for an 8-bit float cache (uint8 `kvBlocks`): `kvScales` is
  /// float32 [kv_blocks dims 0-4, head_dim / granularity] and becomes the
  /// kv_scales field.
  std::vector<NamedArray> flatten(const StepInputs &step, Array kvBlocks,
                                  Array kvScales,
                                  const FlattenOptions &options = {}) const;

private:
  std::vector<NamedArray> flattenFields(const StepInputs &step, Array kvBlocks,
                                        std::optional<Array> kvScales,
                                        const FlattenOptions &options) const;
  struct Request {
    RequestSpec spec;
    std::vector<uint32_t> pages;
  };
  const Request &lookup(RequestId id) const;
  Request &lookup(RequestId id);
  void checkSpec(const RequestSpec &spec) const;

  CacheGeometry shape;
  PageAllocator allocator;
  std::map<RequestId, Request> live;
  RequestId nextId = 0;
};

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_PAGEDCACHE_H
