//===- RuntimeAPIPagedCache.cpp - The paged-cache manager from C ----------===//
//
// kvcache_paged_cache is PagedCache; these functions only check C's
// pointers and copy between C arrays and the manager's vectors. A step's
// fields are built whole before any of the caller's arrays is written, so a
// refused step leaves them as they were.
//
//===----------------------------------------------------------------------===//

#include "RuntimeAPI.h"

#include <algorithm>
#include <memory>

using namespace kvcache::runtime;
using namespace kvcache::runtime::capi;

namespace {

/// The batch ids[0..count); `ids` may be null only when count is 0.
std::vector<RequestId> batchOf(size_t count, const uint64_t *ids) {
  if (!count)
    return {};
  if (!ids)
    throw UsageError("ids is null for count " + std::to_string(count));
  return std::vector<RequestId>(ids, ids + count);
}

/// Copies `values` to `destination` as `T`s, unless it is null (not wanted).
template <typename T, typename Values>
void copyTo(T *destination, const Values &values) {
  if (destination)
    std::transform(values.begin(), values.end(), destination,
                   [](auto value) { return static_cast<T>(value); });
}

} // namespace

kvcache_status
kvcache_paged_cache_create(const kvcache_cache_geometry *geometry,
                           uint64_t seed, kvcache_paged_cache **cache) {
  return guarded([&] {
    requireNonNull(cache, "cache");
    *cache = nullptr;
    requireNonNull(geometry, "geometry");
    CacheGeometry shape;
    shape.totalNumPages = geometry->total_num_pages;
    shape.kvDim = geometry->kv_dim;
    shape.numLayers = geometry->num_layers;
    shape.pageSize = geometry->page_size;
    shape.numKvHeads = geometry->num_kv_heads;
    shape.headDim = geometry->head_dim;
    *cache = std::make_unique<kvcache_paged_cache>(shape, seed).release();
  });
}

void kvcache_paged_cache_destroy(kvcache_paged_cache *cache) { delete cache; }

int64_t kvcache_paged_cache_num_free_pages(const kvcache_paged_cache *cache) {
  return cache ? cache->cache.numFreePages() : 0;
}

kvcache_status kvcache_paged_cache_allocate(kvcache_paged_cache *cache,
                                            size_t count,
                                            const int64_t *cache_lengths,
                                            const int64_t *prompt_lengths,
                                            uint64_t *ids) {
  return guarded([&] {
    requireNonNull(cache, "cache");
    if (!count)
      return;
    requireNonNull(cache_lengths, "cache_lengths");
    requireNonNull(prompt_lengths, "prompt_lengths");
    requireNonNull(ids, "ids");
    std::vector<RequestSpec> specs(count);
    for (size_t i = 0; i < count; ++i)
      specs[i] = {cache_lengths[i], prompt_lengths[i]};
    std::vector<RequestId> allocated = cache->cache.allocateBatch(specs);
    std::copy(allocated.begin(), allocated.end(), ids);
  });
}

kvcache_status kvcache_paged_cache_advance(kvcache_paged_cache *cache,
                                           uint64_t id, int64_t prompt_length) {
  return guarded([&] {
    requireNonNull(cache, "cache");
    cache->cache.advance(id, prompt_length);
  });
}

kvcache_status kvcache_paged_cache_release(kvcache_paged_cache *cache,
                                           uint64_t id) {
  return guarded([&] {
    requireNonNull(cache, "cache");
    cache->cache.release(id);
  });
}

kvcache_status kvcache_paged_cache_request(const kvcache_paged_cache *cache,
                                           uint64_t id, int64_t *cache_length,
                                           int64_t *prompt_length,
                                           size_t *num_pages,
                                           const uint32_t **pages) {
  return guarded([&] {
    requireNonNull(cache, "cache");
    const RequestSpec &spec = cache->cache.spec(id);
    const std::vector<uint32_t> &held = cache->cache.pages(id);
    if (cache_length)
      *cache_length = spec.cacheLength;
    if (prompt_length)
      *prompt_length = spec.promptLength;
    if (num_pages)
      *num_pages = held.size();
    if (pages)
      *pages = held.data();
  });
}

kvcache_status
kvcache_paged_cache_lookup_table_columns(const kvcache_paged_cache *cache,
                                         size_t count, const uint64_t *ids,
                                         int64_t *columns) {
  return guarded([&] {
    requireNonNull(cache, "cache");
    requireNonNull(columns, "columns");
    *columns = cache->cache.lookupTableColumnsFor(batchOf(count, ids));
  });
}

kvcache_status kvcache_paged_cache_step(const kvcache_paged_cache *cache,
                                        size_t count, const uint64_t *ids,
                                        const kvcache_step_inputs *step) {
  return guarded([&] {
    requireNonNull(cache, "cache");
    requireNonNull(step, "step");
    StepOptions options;
    options.stepsRemaining = step->steps_remaining;
    options.numSms = step->num_sms == 0 ? kDefaultNumSms : step->num_sms;
    StepInputs inputs = cache->cache.stepInputs(batchOf(count, ids), options);
    if (step->lookup_table_columns != inputs.lookupTableColumns)
      throw InputError("lookup_table_columns is " +
                       std::to_string(step->lookup_table_columns) +
                       ", expected " +
                       std::to_string(inputs.lookupTableColumns) +
                       " for these requests (what "
                       "kvcache_paged_cache_lookup_table_columns says)");
    copyTo(step->cache_lengths, inputs.cacheLengths);
    copyTo(step->lookup_table, inputs.lookupTable);
    copyTo(step->max_lengths, inputs.maxLengths);
    copyTo(step->attention_dispatch_metadata, inputs.attentionDispatchMetadata);
    copyTo(step->input_row_offsets, inputs.inputRowOffsets);
  });
}
