//===- InputGenerator.h - Random inputs for one attention step --*- C++ -*-===//
//
// Builds realistic inputs for a decode or prefill step with the paged-cache
// manager: a kv_blocks pool of random values whose pages are handed out in a
// shuffled order, the cache fields of ABI.md for the batch, and the ragged
// activations of ABI.md's "Ragged queries" (q, key, value as
// [total_tokens, heads, head_dim], out zero-filled, input_row_offsets). The
// same options and seed give the same arrays.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_INPUTGENERATOR_H
#define KVCACHE_RUNTIME_INPUTGENERATOR_H

#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/DType.h"
#include "kvcache/Runtime/PagedCache.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace kvcache::runtime {

struct GeneratorOptions {
  /// Tokens already cached, one entry per request (the batch).
  std::vector<int64_t> contextLengths;
  /// New tokens per request: 1 for decode, more for prefill.
  int64_t promptLength = 1;
  int64_t numQHeads = 0;
  int64_t numKvHeads = 0;
  int64_t headDim = 0;
  /// An MLA cache (kv_dim 1, one kv head): the latent's first `valueDim`
  /// lanes are the value, and `out` has that many lanes.
  std::optional<int64_t> valueDim;
  int64_t pageSize = 0;
  int64_t numLayers = 1;
  /// The dtype of kv_blocks: f32, f16, bf16 or f8E4M3FN.
  ElementType dtype = ElementType::F32;
  /// The dtype of q, key, value and out (f32, f16 or bf16); by default the
  /// cache's, f32 on an f8E4M3FN cache.
  std::optional<ElementType> activationDType;
  /// f8E4M3FN caches: head_dim lanes per kv_scales entry; by default
  /// abi::kDefaultScaleGranularity, or head_dim when that does not divide it.
  std::optional<int64_t> granularity;
  uint64_t seed = 0;
  /// Pool size; by default exactly the pages the batch needs.
  std::optional<int64_t> totalPages;
  int64_t numSms = kDefaultNumSms;
  int64_t stepsRemaining = 1;
};

/// Names of the activations, as graphs name them.
inline constexpr const char *kQueryName = "q";
inline constexpr const char *kKeyName = "key";
inline constexpr const char *kValueName = "value";
inline constexpr const char *kOutputName = "out";

/// The cache fields in ABI order (kv_blocks, cache_lengths, lookup_table,
/// max_lengths, kv_scales on an f8E4M3FN cache, attention_dispatch_metadata,
/// mla_num_partitions on an MLA cache), then input_row_offsets, q, key,
/// value (not on an MLA cache, whose `key` holds the latent rows) and out
/// ([tokens, q heads, valueDim] on an MLA cache). An f8E4M3FN pool holds
/// random values quantised by docs/ABI.md's rule, with their scales. Throws
/// InputError for invalid options (naming the option) and OutOfPagesError when
/// totalPages is too small.
std::vector<NamedArray> generateStepInputs(const GeneratorOptions &options);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_INPUTGENERATOR_H
