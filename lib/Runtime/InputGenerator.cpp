//===- InputGenerator.cpp - Random inputs for one attention step ----------===//

#include "kvcache/Runtime/InputGenerator.h"
#include "kvcache/Runtime/Consistency.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/FloatBits.h"
#include "kvcache/Runtime/Random.h"

#include <cstring>
#include <limits>
#include <new>

namespace kvcache::runtime {

namespace {

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
      options.dtype != ElementType::BF16)
    throw InputError("dtype must be f32, f16 or bf16, got " +
                     std::string(toString(options.dtype)));
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

} // namespace

std::vector<NamedArray> generateStepInputs(const GeneratorOptions &options) {
  checkOptions(options);
  std::vector<RequestSpec> specs;
  for (int64_t contextLength : options.contextLengths)
    specs.push_back({contextLength, options.promptLength});

  CacheGeometry geometry;
  geometry.kvDim = 2;
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
  std::vector<NamedArray> inputs =
      cache.flatten(step, randomArray("kv_blocks", options.dtype,
                                      geometry.kvBlocksShape(), random));

  Array offsets(DType::int32(), {step.batch + 1});
  std::memcpy(offsets.data(), step.inputRowOffsets.data(),
              step.inputRowOffsets.size() * sizeof(int32_t));
  inputs.push_back({kInputRowOffsetsName, std::move(offsets)});

  int64_t totalTokens = step.inputRowOffsets.back();
  inputs.push_back(
      {kQueryName,
       randomArray(kQueryName, options.dtype,
                   {totalTokens, options.numQHeads, options.headDim}, random)});
  for (const char *name : {kKeyName, kValueName})
    inputs.push_back(
        {name, randomArray(name, options.dtype,
                           {totalTokens, options.numKvHeads, options.headDim},
                           random)});
  inputs.push_back(
      {kOutputName,
       allocate(kOutputName, acceptedDTypes(options.dtype).front(),
                {totalTokens, options.numQHeads, options.headDim})});
  return inputs;
}

} // namespace kvcache::runtime
