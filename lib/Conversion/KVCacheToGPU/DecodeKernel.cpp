//===- DecodeKernel.cpp - Split-K paged decode attention ------------------===//
//
// One CTA per (split, kv head, request). The query rows of the whole GQA
// group (group × query length, in chunks of a few rows held in registers)
// share every K/V load, so each K/V byte of the split is read once per chunk
// and, for single-token decode, once in all. Two variants: one-token queries
// (chunks of `group` rows) and multi-token ones (speculative decoding;
// chunks of up to eight rows), so the common case's register budget does not
// pay for the other.
//
// Thread mapping: a key row of head_dim elements is `vectorsPerRow` 16-byte
// vectors; `threadsPerKey` consecutive lanes (a power of two dividing 32)
// hold `vectorsPerThread` of them, so a warp works on `32 / threadsPerKey`
// keys at once and the CTA on `keysPerStep`; each thread takes `unroll` such
// keys per step to keep more loads in flight. Dot products are summed
// over the key's lanes with xor shuffles. Each thread keeps an online
// softmax (running max, sum and f32 accumulator, in log2 units: q is
// pre-scaled by scale · log2(e) so exp2 replaces exp) per row; the states of
// the keys a warp split between its lanes merge through shuffles, the
// warps' states through workgroup memory.
//
// Page ids of the split are staged in workgroup memory a window of
// blockSize pages at a time, so each id is read from global memory once.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"
#include "Kernels.h"

#include <limits>

using namespace mlir;
using namespace kvcache::gpukernels;

namespace {

constexpr float kLog2E = 1.4426950408889634f;
/// Initial running max: finite, so exp2(max - newMax) never sees -inf - -inf.
constexpr float kNoScore = -1.0e30f;

/// The thread mapping, derived from the shape.
struct DecodeConfig {
  int64_t threadsPerKey = 1;
  int64_t vectorsPerThread = 1;
  int64_t keysPerStep = 1;
  int64_t warps = 1;
  /// Query rows per chunk (held in registers) and keys per thread per step.
  int64_t rowsPerChunk = 1;
  int64_t unroll = 2;
  /// CTAs per SM to ask ptxas for (0: let it choose).
  int64_t minBlocksPerSM = 0;

  DecodeConfig(const KernelShape &shape, bool multiToken) {
    int64_t vectors = shape.vectorsPerRow();
    while (threadsPerKey < 32 && vectors % (threadsPerKey * 2) == 0)
      threadsPerKey *= 2;
    vectorsPerThread = vectors / threadsPerKey;
    warps = shape.blockSize / 32;
    keysPerStep = warps * (32 / threadsPerKey);
    // A row costs 2 · lanesPerThread registers (q and the accumulator);
    // eight rows of eight lanes is what fits without spilling. A one-token
    // query has exactly `group` rows: chunks of that size waste no lanes.
    int64_t lanesPerThread = vectorsPerThread * shape.vectorWidth();
    int64_t maxRows = std::clamp<int64_t>(64 / lanesPerThread, 1, 8);
    rowsPerChunk = multiToken ? maxRows : std::min(shape.groupSize(), maxRows);
    // Two keys per step keep more loads in flight, unless the rows already
    // fill the registers.
    unroll = rowsPerChunk * lanesPerThread >= 64 ? 1 : 2;
    // Decode is bound by memory latency: more resident warps keep more
    // loads in flight. When the rows' state is small, ask for 128 registers
    // per thread (four 128-thread CTAs per SM) instead of the ~170 ptxas
    // takes on its own; larger states would spill.
    if (rowsPerChunk * (2 * lanesPerThread + 2) <= 72)
      minBlocksPerSM = std::max<int64_t>(1, 512 / shape.blockSize);
  }
};

/// One thread's online-softmax state for `rows` rows.
struct RowState {
  SmallVector<Value> max, sum;
  /// acc[row][v]: vector<vectorWidth x f32> for the thread's v-th vector.
  SmallVector<SmallVector<Value>> acc;

  SmallVector<Value> flatten() const {
    SmallVector<Value> values(max);
    llvm::append_range(values, sum);
    for (const auto &row : acc)
      llvm::append_range(values, row);
    return values;
  }
  static RowState unflatten(ValueRange values, int64_t rows, int64_t vectors) {
    RowState state;
    state.max.assign(values.begin(), values.begin() + rows);
    state.sum.assign(values.begin() + rows, values.begin() + 2 * rows);
    for (int64_t r = 0; r < rows; ++r) {
      auto begin = values.begin() + 2 * rows + r * vectors;
      state.acc.emplace_back(begin, begin + vectors);
    }
    return state;
  }
};

/// The K and V vectors a thread loads for one step: k[u][w] and v[u][w]
/// for its u-th key and w-th vector.
struct StepVectors {
  SmallVector<SmallVector<Value>> k, v;
};

class DecodeKernelBuilder {
public:
  DecodeKernelBuilder(OpBuilder &b, Location loc, const KernelShape &shape,
                      bool multiToken)
      : e(b, loc), shape(shape), config(shape, multiToken) {}

  gpu::GPUFuncOp build(StringRef name, TypeRange argTypes);

private:
  void processRows(int64_t rows);
  RowState streamKeys(Value windowBegin, Value windowEnd, Value window,
                      ArrayRef<Value> limits, ArrayRef<SmallVector<Value>> q,
                      RowState state);
  StepVectors loadStep(Value firstKey, Value windowEnd, Value window);
  RowState computeStep(Value firstKey, Value windowEnd, ArrayRef<Value> limits,
                       ArrayRef<SmallVector<Value>> q, const StepVectors &kv,
                       RowState state);
  RowState mergeWarpLanes(RowState state);
  void writeRows(int64_t rows, Value chunkStart, const RowState &state);

  /// The element offset in a head_dim row of the thread's v-th vector.
  Value laneOffset(int64_t v) {
    return e.mul(e.add(e.index(v * config.threadsPerKey), slice),
                 e.index(shape.vectorWidth()));
  }

  Emitter e;
  const KernelShape &shape;
  DecodeConfig config;
  gpu::GPUFuncOp kernel;

  Value arg(DecodeArg which) { return kernel.getArgument(which); }

  // Per-thread and per-CTA values, set by build().
  Value tid, lane, warp, slice, keySlot;
  Value split, kvHead, request, numPartitions;
  Value first, cacheLength, numKeys, splitBegin, splitEnd, numRows;
  Value pageIds, warpAcc, warpMaxSum;
};

gpu::GPUFuncOp DecodeKernelBuilder::build(StringRef name, TypeRange argTypes) {
  MLIRContext *ctx = e.b.getContext();
  auto workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Type f32 = e.b.getF32Type();
  int64_t maxRows = config.rowsPerChunk;
  SmallVector<Type> buffers = {
      MemRefType::get({shape.blockSize}, e.b.getI32Type(), nullptr, workgroup),
      MemRefType::get({config.warps * maxRows * shape.headDim}, f32, nullptr,
                      workgroup),
      MemRefType::get({config.warps * maxRows * 2}, f32, nullptr, workgroup)};
  kernel = createKernel(e.b, e.loc, name, argTypes, buffers, shape.blockSize,
                        config.minBlocksPerSM);
  pageIds = kernel.getWorkgroupAttributions()[0];
  warpAcc = kernel.getWorkgroupAttributions()[1];
  warpMaxSum = kernel.getWorkgroupAttributions()[2];

  tid = e.threadId();
  lane = e.remU(tid, e.index(32));
  warp = e.divU(tid, e.index(32));
  slice = e.remU(lane, e.index(config.threadsPerKey));
  keySlot = e.add(e.mul(warp, e.index(32 / config.threadsPerKey)),
                  e.divU(lane, e.index(config.threadsPerKey)));
  split = e.blockId(gpu::Dimension::x);
  kvHead = e.blockId(gpu::Dimension::y);
  request = e.blockId(gpu::Dimension::z);
  numPartitions = arg(kDecodeNumPartitions);

  // Partitions past the active count exit: the grid keeps its shape whatever
  // the context length.
  e.ifThen(e.ult(split, numPartitions), [&] {
    Value offsets = arg(kDecodeRowOffsets);
    first = e.loadUnsigned(offsets, request);
    Value numTokens =
        e.sub(e.loadUnsigned(offsets, e.add(request, e.index(1))), first);
    cacheLength = e.loadUnsigned(arg(kDecodeCacheLengths), request);
    numKeys = e.add(cacheLength, numTokens);
    // Equal chunks of the request's keys, as convert-kvcache-to-loops cuts.
    Value chunk = e.ceilDivU(numKeys, numPartitions);
    splitBegin = e.mul(split, chunk);
    splitEnd = e.minU(e.add(splitBegin, chunk), numKeys);
    numRows = e.mul(numTokens, e.index(shape.groupSize()));
    processRows(config.rowsPerChunk);
  });
  return kernel;
}

void DecodeKernelBuilder::processRows(int64_t rows) {
  Value group = e.index(shape.groupSize());
  Value pageSize = e.index(shape.pageSize);
  Value lastRow = e.sub(numRows, e.index(1));
  e.loop(e.index(0), numRows, e.index(rows), [&](Value chunkStart) {
    // Row r of the chunk is (token, group member) = divmod(flat, group);
    // rows past the end repeat the last row and are never written.
    SmallVector<Value> limits;
    SmallVector<SmallVector<Value>> q;
    Value scale = e.splat(shape.f32VectorType(), e.f32(shape.scale * kLog2E));
    for (int64_t r = 0; r < rows; ++r) {
      Value flat = e.minU(e.add(chunkStart, e.index(r)), lastRow);
      Value token = e.divU(flat, group);
      Value qHead = e.add(e.mul(kvHead, group), e.remU(flat, group));
      Value qRow = e.add(first, token);
      limits.push_back(shape.causal
                           ? e.add(cacheLength, e.add(token, e.index(1)))
                           : numKeys);
      SmallVector<Value> rowQ;
      for (int64_t v = 0; v < config.vectorsPerThread; ++v)
        rowQ.push_back(
            e.mulF(e.extToF32(e.loadVector(shape.vectorType(), arg(kDecodeQ),
                                           {qRow, qHead, laneOffset(v)})),
                   scale));
      q.push_back(std::move(rowQ));
    }
    // The chunk's last row sees the most keys.
    Value keyEnd = splitEnd;
    if (shape.causal) {
      Value chunkLast =
          e.sub(e.minU(e.add(chunkStart, e.index(rows)), numRows), e.index(1));
      keyEnd =
          e.minU(splitEnd, e.add(cacheLength,
                                 e.add(e.divU(chunkLast, group), e.index(1))));
    }

    RowState state;
    for (int64_t r = 0; r < rows; ++r) {
      state.max.push_back(e.f32(kNoScore));
      state.sum.push_back(e.f32(0.0f));
      state.acc.emplace_back(config.vectorsPerThread,
                             e.zeros(shape.f32VectorType()));
    }

    // Windows of blockSize pages: stage their ids, then stream their keys.
    Value firstPage = e.divU(splitBegin, pageSize);
    Value endPage = e.ceilDivU(keyEnd, pageSize);
    Value windowPages = e.index(shape.blockSize);
    SmallVector<Value> finalState = e.loop(
        firstPage, endPage, windowPages, state.flatten(),
        [&](Value window, ValueRange values) {
          e.ifThen(e.ult(tid, e.sub(endPage, window)), [&] {
            e.store(
                e.load(arg(kDecodeLookupTable), {request, e.add(window, tid)}),
                pageIds, tid);
          });
          e.barrier();
          Value windowBegin = e.maxU(splitBegin, e.mul(window, pageSize));
          Value windowEnd =
              e.minU(keyEnd, e.mul(e.add(window, windowPages), pageSize));
          SmallVector<Value> result =
              streamKeys(
                  windowBegin, windowEnd, window, limits, q,
                  RowState::unflatten(values, rows, config.vectorsPerThread))
                  .flatten();
          // The next window overwrites the ids this one reads.
          e.barrier();
          return result;
        });
    RowState merged = mergeWarpLanes(
        RowState::unflatten(finalState, rows, config.vectorsPerThread));
    writeRows(rows, chunkStart, merged);
  });
}

RowState DecodeKernelBuilder::streamKeys(Value windowBegin, Value windowEnd,
                                         Value window, ArrayRef<Value> limits,
                                         ArrayRef<SmallVector<Value>> q,
                                         RowState state) {
  // Each step issues all its loads before computing. (Prefetching the next
  // step's K/V through the loop measured slower on an H200: it costs
  // registers the four-CTA budget needs.)
  int64_t rows = limits.size();
  SmallVector<Value> result = e.loop(
      windowBegin, windowEnd, e.index(config.keysPerStep * config.unroll),
      state.flatten(), [&](Value firstKey, ValueRange values) {
        StepVectors kv = loadStep(firstKey, windowEnd, window);
        return computeStep(
                   firstKey, windowEnd, limits, q, kv,
                   RowState::unflatten(values, rows, config.vectorsPerThread))
            .flatten();
      });
  return RowState::unflatten(result, rows, config.vectorsPerThread);
}

StepVectors DecodeKernelBuilder::loadStep(Value firstKey, Value windowEnd,
                                          Value window) {
  Value pageSize = e.index(shape.pageSize);
  Value lastKey = e.sub(windowEnd, e.index(1));
  Value kvBlocks = arg(kDecodeKvBlocks), layer = arg(kDecodeLayer);
  // Keys past the window's end load its last key (a staged page id, a valid
  // address); computeStep masks them.
  StepVectors step;
  for (int64_t u = 0; u < config.unroll; ++u) {
    Value key =
        e.add(firstKey, e.add(e.index(u * config.keysPerStep), keySlot));
    Value clamped = e.minU(key, lastKey);
    Value page =
        e.loadUnsigned(pageIds, e.sub(e.divU(clamped, pageSize), window));
    Value slot = e.remU(clamped, pageSize);
    SmallVector<Value> keyVectors, valueVectors;
    for (int64_t kv = 0; kv < 2; ++kv)
      for (int64_t w = 0; w < config.vectorsPerThread; ++w)
        (kv == 0 ? keyVectors : valueVectors)
            .push_back(e.loadVector(
                shape.vectorType(), kvBlocks,
                {page, e.index(kv), layer, slot, kvHead, laneOffset(w)}));
    step.k.push_back(std::move(keyVectors));
    step.v.push_back(std::move(valueVectors));
  }
  return step;
}

RowState DecodeKernelBuilder::computeStep(Value firstKey, Value windowEnd,
                                          ArrayRef<Value> limits,
                                          ArrayRef<SmallVector<Value>> q,
                                          const StepVectors &kv,
                                          RowState state) {
  int64_t rows = limits.size();
  const auto &k = kv.k;
  const auto &v = kv.v;
  SmallVector<Value> keys, inWindow;
  for (int64_t u = 0; u < config.unroll; ++u) {
    keys.push_back(
        e.add(firstKey, e.add(e.index(u * config.keysPerStep), keySlot)));
    inWindow.push_back(e.ult(keys.back(), windowEnd));
  }

  Value noScore = e.f32(-std::numeric_limits<float>::infinity());
  int64_t width = shape.vectorWidth();
  for (int64_t r = 0; r < rows; ++r) {
    SmallVector<Value> scores;
    for (int64_t u = 0; u < config.unroll; ++u) {
      Value dot;
      for (int64_t w = 0; w < config.vectorsPerThread; ++w) {
        Value keyF32 = e.extToF32(k[u][w]);
        for (int64_t i = 0; i < width; ++i) {
          Value qi = e.extract(q[r][w], i), ki = e.extract(keyF32, i);
          dot = dot ? e.fma(qi, ki, dot) : e.mulF(qi, ki);
        }
      }
      dot = e.groupSum(dot, config.threadsPerKey);
      Value valid = inWindow[u];
      if (shape.causal)
        valid = e.andI(valid, e.ult(keys[u], limits[r]));
      scores.push_back(e.select(valid, dot, noScore));
    }
    Value newMax = state.max[r];
    for (Value score : scores)
      newMax = e.maxF(newMax, score);
    Value alpha = e.exp2(e.subF(state.max[r], newMax));
    Value sum = e.mulF(state.sum[r], alpha);
    SmallVector<Value> acc;
    for (Value vector : state.acc[r])
      acc.push_back(e.mulF(vector, e.splat(shape.f32VectorType(), alpha)));
    for (int64_t u = 0; u < config.unroll; ++u) {
      Value p = e.exp2(e.subF(scores[u], newMax));
      sum = e.addF(sum, p);
      Value pVector = e.splat(shape.f32VectorType(), p);
      for (int64_t w = 0; w < config.vectorsPerThread; ++w)
        acc[w] = e.fma(pVector, e.extToF32(v[u][w]), acc[w]);
    }
    state.max[r] = newMax;
    state.sum[r] = sum;
    state.acc[r] = std::move(acc);
  }
  return state;
}

RowState DecodeKernelBuilder::mergeWarpLanes(RowState state) {
  for (int64_t offset = config.threadsPerKey; offset < 32; offset *= 2) {
    for (size_t r = 0; r < state.max.size(); ++r) {
      Value otherMax = e.shuffleXor(state.max[r], offset);
      Value otherSum = e.shuffleXor(state.sum[r], offset);
      Value newMax = e.maxF(state.max[r], otherMax);
      Value mine = e.exp2(e.subF(state.max[r], newMax));
      Value theirs = e.exp2(e.subF(otherMax, newMax));
      state.sum[r] = e.fma(state.sum[r], mine, e.mulF(otherSum, theirs));
      state.max[r] = newMax;
      Value mineVector = e.splat(shape.f32VectorType(), mine);
      Value theirsVector = e.splat(shape.f32VectorType(), theirs);
      for (Value &acc : state.acc[r])
        acc = e.fma(acc, mineVector,
                    e.mulF(e.shuffleXor(acc, offset), theirsVector));
    }
  }
  return state;
}

void DecodeKernelBuilder::writeRows(int64_t rows, Value chunkStart,
                                    const RowState &state) {
  int64_t width = shape.vectorWidth();
  int64_t headDim = shape.headDim;
  // Lanes of the warp's first key slot hold the merged warp state.
  e.ifThen(e.ult(lane, e.index(config.threadsPerKey)), [&] {
    for (int64_t r = 0; r < rows; ++r) {
      Value rowBase = e.mul(e.add(e.mul(warp, e.index(rows)), e.index(r)),
                            e.index(headDim));
      for (int64_t v = 0; v < config.vectorsPerThread; ++v)
        e.storeVector(state.acc[r][v], warpAcc, e.add(rowBase, laneOffset(v)));
    }
  });
  e.ifThen(e.cmp(arith::CmpIPredicate::eq, lane, e.index(0)), [&] {
    for (int64_t r = 0; r < rows; ++r) {
      Value base =
          e.mul(e.add(e.mul(warp, e.index(rows)), e.index(r)), e.index(2));
      e.store(state.max[r], warpMaxSum, base);
      e.store(state.sum[r], warpMaxSum, e.add(base, e.index(1)));
    }
  });
  e.barrier();

  // Thread t merges the warps' states for (row, vector) pairs t, t + block…
  Value vectorsPerRow = e.index(shape.vectorsPerRow());
  Value group = e.index(shape.groupSize());
  e.loop(
      tid, e.index(rows * shape.vectorsPerRow()), e.index(shape.blockSize),
      [&](Value item) {
        Value r = e.divU(item, vectorsPerRow);
        Value lanes = e.mul(e.remU(item, vectorsPerRow), e.index(width));
        SmallVector<Value> maxes, sums;
        Value max = e.f32(kNoScore);
        for (int64_t w = 0; w < config.warps; ++w) {
          Value base = e.mul(e.add(e.index(w * rows), r), e.index(2));
          maxes.push_back(e.load(warpMaxSum, base));
          sums.push_back(e.load(warpMaxSum, e.add(base, e.index(1))));
          max = e.maxF(max, maxes.back());
        }
        Value sum = e.f32(0.0f);
        Value acc = e.zeros(shape.f32VectorType());
        for (int64_t w = 0; w < config.warps; ++w) {
          Value weight = e.exp2(e.subF(maxes[w], max));
          sum = e.fma(sums[w], weight, sum);
          Value partial = e.loadVector(
              shape.f32VectorType(), warpAcc,
              e.add(e.mul(e.add(e.index(w * rows), r), e.index(headDim)),
                    lanes));
          acc = e.fma(e.splat(shape.f32VectorType(), weight), partial, acc);
        }
        // A row with no key in this split (causal limit, or a split past
        // the request's keys) has sum 0: output 0, log-sum-exp -inf.
        Value nonEmpty = e.cmpF(arith::CmpFPredicate::OGT, sum, e.f32(0));
        Value inverse =
            e.select(nonEmpty, e.divF(e.f32(1.0f), sum), e.f32(0.0f));
        Value normalised = e.mulF(acc, e.splat(shape.f32VectorType(), inverse));
        Value flat = e.add(chunkStart, r);
        e.ifThen(e.ult(flat, numRows), [&] {
          Value qRow = e.add(first, e.divU(flat, group));
          Value qHead = e.add(e.mul(kvHead, group), e.remU(flat, group));
          e.ifThenElse(
              e.cmp(arith::CmpIPredicate::eq, numPartitions, e.index(1)),
              [&] {
                e.storeVector(e.truncTo(shape.elementType, normalised),
                              arg(kDecodeOut), {qRow, qHead, lanes});
              },
              [&] {
                Value slots = e.gridDim(gpu::Dimension::x);
                Value partial = e.add(
                    e.mul(e.add(e.mul(qRow, e.index(shape.numQHeads)), qHead),
                          slots),
                    split);
                e.storeVector(normalised, arg(kDecodePartialOut),
                              e.add(e.mul(partial, e.index(headDim)), lanes));
                e.ifThen(e.cmp(arith::CmpIPredicate::eq, lanes, e.index(0)),
                         [&] {
                           Value lse = e.select(
                               nonEmpty, e.addF(max, e.log2(sum)),
                               e.f32(-std::numeric_limits<float>::infinity()));
                           e.store(lse, arg(kDecodePartialLse), partial);
                         });
              });
        });
      });
  // The next chunk overwrites the warps' states.
  e.barrier();
}

} // namespace

gpu::GPUFuncOp kvcache::gpukernels::buildDecodeKernel(
    OpBuilder &b, Location loc, StringRef name, TypeRange argTypes,
    const KernelShape &shape, bool multiToken) {
  return DecodeKernelBuilder(b, loc, shape, multiToken).build(name, argTypes);
}
