//===- PagedCache.cpp - A paged KV-cache manager --------------------------===//

#include "kvcache/Runtime/PagedCache.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

namespace kvcache::runtime {

namespace {
constexpr int64_t kMaxI32 = std::numeric_limits<int32_t>::max();

void requireRequests(const std::vector<RequestId> &batch) {
  if (batch.empty())
    throw PagedCacheError("a step needs at least one request");
}

const CacheGeometry &validated(const CacheGeometry &geometry) {
  geometry.validate();
  return geometry;
}
} // namespace

int64_t pagesForTokens(int64_t numTokens, int64_t pageSize) {
  return (numTokens + pageSize - 1) / pageSize;
}

int64_t lookupTableColumns(int64_t maxPagesNeeded) {
  return (maxPagesNeeded + 7) / 8 * 8 + 16;
}

int64_t maxNumPartitions(int64_t numSms, int64_t batch, int64_t numKvHeads) {
  return std::clamp<int64_t>(numSms / (batch * numKvHeads), 1, 32);
}

int64_t numPartitions(int64_t numSms, int64_t batch, int64_t numKvHeads,
                      int64_t numKeys) {
  return std::min(maxNumPartitions(numSms, batch, numKvHeads),
                  std::max<int64_t>(1, numKeys / 512));
}

std::vector<int64_t> CacheGeometry::kvBlocksShape() const {
  return {totalNumPages, kvDim, numLayers, pageSize, numKvHeads, headDim};
}

void CacheGeometry::validate() const {
  const std::pair<const char *, int64_t> dims[] = {
      {"total_num_pages", totalNumPages}, {"kv_dim", kvDim},
      {"num_layers", numLayers},          {"page_size", pageSize},
      {"num_kv_heads", numKvHeads},       {"head_dim", headDim}};
  for (const auto &[name, value] : dims)
    if (value <= 0)
      throw PagedCacheError(std::string(name) + " must be positive, got " +
                            std::to_string(value));
  if (kvDim != 1 && kvDim != 2)
    throw PagedCacheError("kv_dim must be 2 (K and V) or 1 (MLA), got " +
                          std::to_string(kvDim));
  if (totalNumPages > kMaxI32)
    throw PagedCacheError(
        "total_num_pages must be at most " + std::to_string(kMaxI32) +
        " (page ids are i32), got " + std::to_string(totalNumPages));
}

PagedCache::PagedCache(const CacheGeometry &geometry,
                       std::optional<uint64_t> shuffleSeed)
    : shape(validated(geometry)),
      allocator(geometry.totalNumPages, shuffleSeed) {}

void PagedCache::checkSpec(const RequestSpec &spec) const {
  if (spec.cacheLength < 0 || spec.promptLength < 0)
    throw PagedCacheError("request lengths must be non-negative, got "
                          "cache_length " +
                          std::to_string(spec.cacheLength) +
                          " and prompt_length " +
                          std::to_string(spec.promptLength));
  if (spec.cacheLength > kMaxI32 - spec.promptLength)
    throw PagedCacheError("cache_length + prompt_length must be at most " +
                          std::to_string(kMaxI32) + " (an i32 field)");
}

int64_t PagedCache::pagesNeeded(const RequestSpec &spec) const {
  checkSpec(spec);
  return pagesForTokens(spec.cacheLength + spec.promptLength, shape.pageSize);
}

RequestId PagedCache::allocate(const RequestSpec &spec) {
  return allocateBatch({spec}).front();
}

std::vector<RequestId>
PagedCache::allocateBatch(const std::vector<RequestSpec> &specs) {
  int64_t needed = 0;
  for (const RequestSpec &spec : specs)
    needed += pagesNeeded(spec);
  if (needed > allocator.numFreePages())
    throw OutOfPagesError(
        "out of KV-cache pages: " +
        (specs.size() == 1
             ? "the request (cache_length " +
                   std::to_string(specs[0].cacheLength) + " + prompt_length " +
                   std::to_string(specs[0].promptLength) + ")"
             : "the batch of " + std::to_string(specs.size()) + " requests") +
        " needs " + std::to_string(needed) + " pages of " +
        std::to_string(shape.pageSize) + " tokens but only " +
        std::to_string(allocator.numFreePages()) + " of " +
        std::to_string(shape.totalNumPages) + " are free");
  std::vector<RequestId> ids;
  for (const RequestSpec &spec : specs) {
    RequestId id = nextId++;
    live[id] = Request{spec, allocator.allocate(pagesNeeded(spec))};
    ids.push_back(id);
  }
  return ids;
}

const PagedCache::Request &PagedCache::lookup(RequestId id) const {
  auto it = live.find(id);
  if (it != live.end())
    return it->second;
  if (id < nextId)
    throw PagedCacheError("request " + std::to_string(id) +
                          " was released already");
  throw PagedCacheError("request " + std::to_string(id) +
                        " was never allocated");
}

PagedCache::Request &PagedCache::lookup(RequestId id) {
  return const_cast<Request &>(std::as_const(*this).lookup(id));
}

void PagedCache::release(RequestId id) {
  allocator.release(lookup(id).pages);
  live.erase(id);
}

void PagedCache::advance(RequestId id, int64_t promptLength) {
  Request &request = lookup(id);
  RequestSpec next{request.spec.cacheLength + request.spec.promptLength,
                   promptLength};
  int64_t needed =
      pagesNeeded(next) - static_cast<int64_t>(request.pages.size());
  if (needed > allocator.numFreePages())
    throw OutOfPagesError(
        "out of KV-cache pages: request " + std::to_string(id) +
        " (cache_length " + std::to_string(next.cacheLength) +
        " + prompt_length " + std::to_string(next.promptLength) + ") needs " +
        std::to_string(needed) + " more pages of " +
        std::to_string(shape.pageSize) + " tokens but only " +
        std::to_string(allocator.numFreePages()) + " of " +
        std::to_string(shape.totalNumPages) + " are free");
  // Reserve first: once the allocator has handed pages out, nothing throws.
  request.pages.reserve(request.pages.size() + static_cast<size_t>(needed));
  std::vector<uint32_t> more = allocator.allocate(needed);
  request.pages.insert(request.pages.end(), more.begin(), more.end());
  request.spec = next;
}

const RequestSpec &PagedCache::spec(RequestId id) const {
  return lookup(id).spec;
}

const std::vector<uint32_t> &PagedCache::pages(RequestId id) const {
  return lookup(id).pages;
}

int64_t
PagedCache::lookupTableColumnsFor(const std::vector<RequestId> &batch) const {
  requireRequests(batch);
  size_t maxPages = 0;
  for (RequestId id : batch)
    maxPages = std::max(maxPages, lookup(id).pages.size());
  return lookupTableColumns(static_cast<int64_t>(maxPages));
}

StepInputs PagedCache::stepInputs(const std::vector<RequestId> &batch,
                                  const StepOptions &options) const {
  requireRequests(batch);
  if (options.stepsRemaining < 1)
    throw PagedCacheError("steps_remaining must be at least 1, got " +
                          std::to_string(options.stepsRemaining));
  if (options.numSms < 1)
    throw PagedCacheError("num_sms must be positive, got " +
                          std::to_string(options.numSms));
  StepInputs step;
  step.batch = static_cast<int64_t>(batch.size());
  int64_t totalTokens = 0;
  step.inputRowOffsets.push_back(0);
  for (RequestId id : batch) {
    const Request &request = lookup(id);
    step.maxPromptLength =
        std::max(step.maxPromptLength, request.spec.promptLength);
    step.maxCacheLength =
        std::max(step.maxCacheLength,
                 request.spec.cacheLength + request.spec.promptLength);
    step.cacheLengths.push_back(
        static_cast<uint32_t>(request.spec.cacheLength));
    totalTokens += request.spec.promptLength;
    if (totalTokens > kMaxI32)
      throw PagedCacheError("the batch has more than " +
                            std::to_string(kMaxI32) +
                            " new tokens (input_row_offsets is i32)");
    step.inputRowOffsets.push_back(static_cast<int32_t>(totalTokens));
  }
  if (step.maxCacheLength + options.stepsRemaining - 1 > kMaxI32)
    throw PagedCacheError("max_lengths overflows i32");

  step.lookupTableColumns = lookupTableColumnsFor(batch);
  step.lookupTable.assign(
      static_cast<size_t>(step.batch * step.lookupTableColumns),
      static_cast<uint32_t>(shape.totalNumPages));
  for (size_t b = 0; b < batch.size(); ++b) {
    const std::vector<uint32_t> &pages = lookup(batch[b]).pages;
    std::copy(pages.begin(), pages.end(),
              step.lookupTable.begin() +
                  static_cast<int64_t>(b) * step.lookupTableColumns);
  }

  step.maxLengths.push_back(static_cast<uint32_t>(step.maxPromptLength));
  step.maxLengths.push_back(static_cast<uint32_t>(step.maxCacheLength));
  for (int64_t i = 1; i < options.stepsRemaining; ++i) {
    step.maxLengths.push_back(1);
    step.maxLengths.push_back(static_cast<uint32_t>(step.maxCacheLength + i));
  }

  step.numPartitions = numPartitions(options.numSms, step.batch,
                                     shape.numKvHeads, step.maxCacheLength);
  step.attentionDispatchMetadata = {step.batch, step.maxPromptLength,
                                    step.numPartitions, step.maxCacheLength};
  return step;
}

namespace {
Array int32Array(const std::vector<uint32_t> &values,
                 std::vector<int64_t> shape) {
  Array array(DType::int32(), std::move(shape));
  std::memcpy(array.data(), values.data(), values.size() * sizeof(uint32_t));
  return array;
}
} // namespace

namespace {
/// kv_scales: float32, kv_blocks' first five dims, a last dim dividing
/// head_dim.
void checkScales(const Array &kvScales, const CacheGeometry &shape) {
  std::vector<int64_t> expected = shape.kvBlocksShape();
  const std::vector<int64_t> &actual = kvScales.shape();
  bool valid =
      actual.size() == expected.size() &&
      std::equal(expected.begin(), expected.end() - 1, actual.begin()) &&
      actual.back() > 0 && shape.headDim % actual.back() == 0;
  if (!valid)
    throw PagedCacheError("kv_scales has shape " + formatShape(actual) +
                          ", expected kv_blocks' first five dims " +
                          formatShape(expected) +
                          " with a last dim that divides head_dim");
  if (kvScales.dtype() != DType::float32())
    throw PagedCacheError("kv_scales must be float32, got " +
                          kvScales.dtype().name());
}
} // namespace

std::vector<NamedArray>
PagedCache::flatten(const StepInputs &step, Array kvBlocks,
                    const FlattenOptions &options) const {
  return flattenFields(step, std::move(kvBlocks), std::nullopt, options);
}

std::vector<NamedArray>
PagedCache::flatten(const StepInputs &step, Array kvBlocks, Array kvScales,
                    const FlattenOptions &options) const {
  checkScales(kvScales, shape);
  return flattenFields(step, std::move(kvBlocks), std::move(kvScales), options);
}

std::vector<NamedArray>
PagedCache::flattenFields(const StepInputs &step, Array kvBlocks,
                          std::optional<Array> kvScales,
                          const FlattenOptions &options) const {
  if (kvBlocks.shape() != shape.kvBlocksShape())
    throw PagedCacheError("kv_blocks has shape " +
                          formatShape(kvBlocks.shape()) + ", expected " +
                          formatShape(shape.kvBlocksShape()));
  const DType &dtype = kvBlocks.dtype();
  if (dtype != DType::float32() && dtype != DType::float16() &&
      dtype != DType::uint16() && dtype != DType::uint8())
    throw PagedCacheError("kv_blocks must hold a cache dtype (float32, "
                          "float16, uint16 for bf16 or uint8 for f8E4M3FN), "
                          "got " +
                          dtype.name());
  abi::FieldSet present = abi::FieldSet()
                              .with(abi::Field::kv_blocks)
                              .with(abi::Field::cache_lengths)
                              .with(abi::Field::lookup_table)
                              .with(abi::Field::max_lengths);
  bool isMLA = shape.kvDim == 1;
  if (options.withDispatchMetadata)
    present = present.with(abi::Field::attention_dispatch_metadata);
  if (options.withDispatchMetadata && isMLA)
    present = present.with(abi::Field::mla_num_partitions);
  if (kvScales)
    present = present.with(abi::Field::kv_scales);
  abi::CacheTraits traits;
  traits.isFP8 = kvBlocks.dtype().itemSize == 1;
  traits.isMLA = isMLA;
  std::vector<abi::PresenceError> errors = abi::checkPresence(present, traits);
  if (!errors.empty())
    throw PagedCacheError("the manager cannot flatten this cache: " +
                          errors.front().message);

  // Emit in the ABI table's order; each field's array built by its rule.
  std::vector<NamedArray> flat;
  for (abi::Field field : present.fields()) {
    Array array;
    switch (field) {
    case abi::Field::kv_blocks:
      array = std::move(kvBlocks);
      break;
    case abi::Field::cache_lengths:
      array = int32Array(step.cacheLengths, {step.batch});
      break;
    case abi::Field::lookup_table:
      array =
          int32Array(step.lookupTable, {step.batch, step.lookupTableColumns});
      break;
    case abi::Field::max_lengths:
      array = int32Array(step.maxLengths,
                         {static_cast<int64_t>(step.maxLengths.size() / 2), 2});
      break;
    case abi::Field::kv_scales:
      array = std::move(*kvScales);
      break;
    case abi::Field::attention_dispatch_metadata: {
      // MLA's metadata is MHA's without max_cache_valid_length (ABI.md).
      int64_t size =
          isMLA ? abi::kMLADispatchMetadataSize : abi::kMHADispatchMetadataSize;
      array = Array(DType::int64(), {size});
      std::memcpy(array.data(), step.attentionDispatchMetadata.data(),
                  size * sizeof(int64_t));
      break;
    }
    case abi::Field::mla_num_partitions:
      array = Array(DType::int64(), {1});
      std::memcpy(array.data(), &step.numPartitions, sizeof(int64_t));
      break;
    default:
      throw std::logic_error("flatten: no rule for field " +
                             std::string(abi::name(field)));
    }
    flat.push_back({abi::flatArgumentName(options.cache, options.device, field),
                    std::move(array)});
  }
  return flat;
}

} // namespace kvcache::runtime
