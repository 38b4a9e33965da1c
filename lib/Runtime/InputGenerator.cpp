//===- InputGenerator.cpp - Random inputs for one attention step ----------===//

#include "kvcache/Runtime/InputGenerator.h"
#include "kvcache/Runtime/Consistency.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/FloatBits.h"
#include "kvcache/Runtime/Random.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

namespace kvcache::runtime {

namespace {

ElementType activationDType(const GeneratorOptions &options) {
  if (options.activationDType)
    return *options.activationDType;
  return options.dtype == ElementType::F8E4M3FN ? ElementType::F32
                                                : options.dtype;
}

int64_t scaleGranularity(const GeneratorOptions &options) {
  if (options.granularity)
    return *options.granularity;
  return options.headDim % abi::kDefaultScaleGranularity == 0
             ? abi::kDefaultScaleGranularity
             : options.headDim;
}

void checkOptions(const GeneratorOptions &options) {
  auto positive = [](const char *option, int64_t value) {
    if (value <= 0)
      throw InputError(std::string(option) + " must be positive, got " +
                       std::to_string(value));
  };
  if (options.contextLengths.empty())
    throw InputError("the batch must have at least one request");
  positive("prompt length", options.promptLength);
  const int64_t maxTokens = std::numeric_limits<int32_t>::max();
  for (size_t b = 0; b < options.contextLengths.size(); ++b) {
    int64_t length = options.contextLengths[b];
    if (length < 0)
      throw InputError("context length of request " + std::to_string(b) +
                       " must be non-negative, got " + std::to_string(length));
    if (length > maxTokens - options.promptLength)
      throw InputError("request " + std::to_string(b) + " has " +
                       std::to_string(length) + " + " +
                       std::to_string(options.promptLength) +
                       " tokens, more than the i32 fields hold (" +
                       std::to_string(maxTokens) + ")");
  }
  positive("num-q-heads", options.numQHeads);
  positive("num-kv-heads", options.numKvHeads);
  positive("head-dim", options.headDim);
  positive("page-size", options.pageSize);
  positive("num-layers", options.numLayers);
  positive("num-sms", options.numSms);
  positive("steps-remaining", options.stepsRemaining);
  if (options.numQHeads % options.numKvHeads != 0)
    throw InputError("num-q-heads (" + std::to_string(options.numQHeads) +
                     ") must be a multiple of num-kv-heads (" +
                     std::to_string(options.numKvHeads) + ")");
  if (options.dtype != ElementType::F32 && options.dtype != ElementType::F16 &&
      options.dtype != ElementType::BF16 &&
      options.dtype != ElementType::F8E4M3FN)
    throw InputError("dtype must be f32, f16, bf16 or f8E4M3FN, got " +
                     std::string(toString(options.dtype)));
  ElementType activations = activationDType(options);
  if (activations != ElementType::F32 && activations != ElementType::F16 &&
      activations != ElementType::BF16)
    throw InputError("activation dtype must be f32, f16 or bf16, got " +
                     std::string(toString(activations)));
  if (options.activationDType && options.dtype != ElementType::F8E4M3FN &&
      activations != options.dtype)
    throw InputError("activation dtype " + std::string(toString(activations)) +
                     " must be the cache dtype, " +
                     std::string(toString(options.dtype)) +
                     ", unless the cache is f8E4M3FN");
  if (options.valueDim) {
    if (options.numKvHeads != 1)
      throw InputError("an MLA cache (value-dim given) has one kv head, got "
                       "num-kv-heads " +
                       std::to_string(options.numKvHeads));
    if (*options.valueDim < 1 || *options.valueDim > options.headDim)
      throw InputError("value-dim must be in [1, head-dim " +
                       std::to_string(options.headDim) + "], got " +
                       std::to_string(*options.valueDim));
  }
  if (options.granularity && options.dtype != ElementType::F8E4M3FN)
    throw InputError("granularity applies to f8E4M3FN caches only");
  if (options.dtype == ElementType::F8E4M3FN) {
    int64_t granularity = scaleGranularity(options);
    if (granularity <= 0 || options.headDim % granularity != 0)
      throw InputError("granularity (" + std::to_string(granularity) +
                       ") must be positive and divide head-dim (" +
                       std::to_string(options.headDim) + ")");
  }
}

/// A zero-filled array, or an InputError that says how large it was.
Array allocate(const char *name, DType dtype, std::vector<int64_t> shape) {
  try {
    return Array(dtype, shape);
  } catch (const std::bad_alloc &) {
    throw InputError(std::string(name) + " of shape " + formatShape(shape) +
                     " (" + dtype.name() +
                     ") is more than this machine can allocate");
  }
}

/// An array of `dtype` (f32, f16 or bf16) filled with values in [-1, 1).
Array randomArray(const char *name, ElementType dtype,
                  std::vector<int64_t> shape, SplitMix64 &random) {
  Array array = allocate(name, acceptedDTypes(dtype).front(), std::move(shape));
  int64_t count = array.numElements();
  if (dtype == ElementType::F32) {
    float *values = array.dataAs<float>();
    for (int64_t i = 0; i < count; ++i)
      values[i] = random.symmetricUnit();
    return array;
  }
  uint16_t *bits = array.dataAs<uint16_t>();
  for (int64_t i = 0; i < count; ++i) {
    float value = random.symmetricUnit();
    bits[i] = dtype == ElementType::F16 ? floatToHalfBits(value)
                                        : floatToBFloat16Bits(value);
  }
  return array;
}

/// An f8E4M3FN pool and its kv_scales: values in [-1, 1) quantised lane
/// group by lane group with docs/ABI.md's rule (all finite, so amax is the
/// largest |x|).
std::pair<Array, Array> randomQuantisedPool(const CacheGeometry &geometry,
                                            int64_t granularity,
                                            SplitMix64 &random) {
  std::vector<int64_t> shape = geometry.kvBlocksShape();
  Array blocks = allocate("kv_blocks", DType::uint8(), shape);
  shape.back() /= granularity;
  Array scales = allocate("kv_scales", DType::float32(), shape);
  uint8_t *bytes = blocks.dataAs<uint8_t>();
  float *scale = scales.dataAs<float>();
  std::vector<float> group(static_cast<size_t>(granularity));
  for (int64_t g = 0; g < scales.numElements(); ++g) {
    float amax = 0.0f;
    for (float &x : group) {
      x = random.symmetricUnit();
      amax = std::max(amax, std::fabs(x));
    }
    scale[g] = f8E4M3FNScale(amax);
    for (int64_t i = 0; i < granularity; ++i)
      bytes[g * granularity + i] = floatToF8E4M3FNBits(group[i] / scale[g]);
  }
  return {std::move(blocks), std::move(scales)};
}

} // namespace

std::vector<NamedArray> generateStepInputs(const GeneratorOptions &options) {
  checkOptions(options);
  std::vector<RequestSpec> specs;
  for (int64_t contextLength : options.contextLengths)
    specs.push_back({contextLength, options.promptLength});

  CacheGeometry geometry;
  bool isMLA = options.valueDim.has_value();
  geometry.kvDim = isMLA ? 1 : 2;
  geometry.numLayers = options.numLayers;
  geometry.pageSize = options.pageSize;
  geometry.numKvHeads = options.numKvHeads;
  geometry.headDim = options.headDim;
  int64_t needed = 0;
  for (const RequestSpec &spec : specs)
    needed +=
        pagesForTokens(spec.cacheLength + spec.promptLength, options.pageSize);
  if (!options.totalPages && needed > std::numeric_limits<int32_t>::max())
    throw InputError("the batch needs " + std::to_string(needed) +
                     " pages, more than i32 page ids can number");
  geometry.totalNumPages = options.totalPages.value_or(needed);
  if (geometry.totalNumPages <= 0)
    throw InputError("total pages must be positive, got " +
                     std::to_string(geometry.totalNumPages));

  // One stream for the page order, another for values, so that changing a
  // shape does not reshuffle pages for the same seed.
  PagedCache cache(geometry, options.seed);
  std::vector<RequestId> batch = cache.allocateBatch(specs);
  StepOptions stepOptions;
  stepOptions.numSms = options.numSms;
  stepOptions.stepsRemaining = options.stepsRemaining;
  StepInputs step = cache.stepInputs(batch, stepOptions);

  SplitMix64 random(options.seed ^ 0x6b76636163686521ull);
  std::vector<NamedArray> inputs;
  if (options.dtype == ElementType::F8E4M3FN) {
    auto [blocks, scales] =
        randomQuantisedPool(geometry, scaleGranularity(options), random);
    inputs = cache.flatten(step, std::move(blocks), std::move(scales));
  } else {
    inputs = cache.flatten(step, randomArray("kv_blocks", options.dtype,
                                             geometry.kvBlocksShape(), random));
  }
  ElementType activations = activationDType(options);

  Array offsets(DType::int32(), {step.batch + 1});
  std::memcpy(offsets.data(), step.inputRowOffsets.data(),
              step.inputRowOffsets.size() * sizeof(int32_t));
  inputs.push_back({kInputRowOffsetsName, std::move(offsets)});

  int64_t totalTokens = step.inputRowOffsets.back();
  inputs.push_back(
      {kQueryName,
       randomArray(kQueryName, activations,
                   {totalTokens, options.numQHeads, options.headDim}, random)});
  // An MLA row is one latent vector: `key` holds it, there is no value.
  std::vector<const char *> rowNames = {kKeyName};
  if (!isMLA)
    rowNames.push_back(kValueName);
  for (const char *name : rowNames)
    inputs.push_back(
        {name, randomArray(name, activations,
                           {totalTokens, options.numKvHeads, options.headDim},
                           random)});
  inputs.push_back(
      {kOutputName, allocate(kOutputName, acceptedDTypes(activations).front(),
                             {totalTokens, options.numQHeads,
                              options.valueDim.value_or(options.headDim)})});
  return inputs;
}

} // namespace kvcache::runtime
