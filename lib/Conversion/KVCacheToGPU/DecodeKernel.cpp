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
// keys per step to keep more loads in flight. Each thread keeps an online
// softmax (running max, sum and f32 accumulator, in log2 units: q is
// pre-scaled by scale · log2(e) so exp2 replaces exp) per row; the states of
// the keys a warp split between its lanes merge through shuffles, the
// warps' states through workgroup memory.
//
// Dot products are summed over the key's lanes with shuffles. Summing each
// of a step's rows × unroll dot products over every lane costs
// log2(threadsPerKey) shuffles apiece, which made the kernel issue-bound on
// an H200; so when rows and unroll are powers of two whose product fits in
// the key's lanes, the sum is a reduce-scatter instead (computeStepScatter):
// each halving step sends half of the remaining values to the partner lane,
// so a lane ends with the full score of one (row, key) in a quarter of the
// shuffles, computes one exp2, and the other lanes' probabilities come back
// by one shuffle each. Lane bits permute which row and key each of a
// thread's slots holds (slot r holds row r ^ rowPerm, slot u key
// u ^ keyPerm), so the halving needs no selects. The running max is lazy
// there (as in FlashAttention-3): the accumulators are rescaled only when a
// row's max grows by more than 2^8, so most steps skip that work.
//
// Page ids of the split are staged in workgroup memory a window of
// blockSize pages at a time, so each id is read from global memory once.
//
//===----------------------------------------------------------------------===//

#include "DecodeCommon.h"
#include "Plan.h"

#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace kvcache;
using namespace kvcache::gpukernels;

namespace {

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
/// for its u-th key and w-th vector. In a window with a page off the pool,
/// onPool[u] says whether key u's page is in it (its V is then zeros and
/// its score masked); empty otherwise.
struct StepVectors {
  SmallVector<SmallVector<Value>> k, v;
  SmallVector<Value> onPool;
};

class DecodeKernelBuilder {
public:
  DecodeKernelBuilder(OpBuilder &b, Location loc, const KernelShape &shape,
                      bool multiToken)
      : e(b, loc), shape(shape), config(planDecode(shape, multiToken)) {}

  gpu::GPUFuncOp build(StringRef name, TypeRange argTypes);

private:
  void processRows(int64_t rows);
  /// `checkPages`: the window has a page off the pool (streamWindows).
  RowState streamKeys(Value windowBegin, Value windowEnd, Value window,
                      bool checkPages, ArrayRef<Value> limits,
                      ArrayRef<SmallVector<Value>> q, RowState state);
  StepVectors loadStep(Value firstKey, Value windowEnd, Value window,
                       bool checkPages);
  RowState computeStep(Value firstKey, Value windowEnd, ArrayRef<Value> limits,
                       ArrayRef<SmallVector<Value>> q, const StepVectors &kv,
                       RowState state);
  RowState computeStepScatter(Value firstKey, Value windowEnd,
                              ArrayRef<Value> limits,
                              ArrayRef<SmallVector<Value>> q,
                              const StepVectors &kv, RowState state);
  /// The (thread's partial) dot products of a step: dots[r][u].
  SmallVector<SmallVector<Value>> partialDots(ArrayRef<SmallVector<Value>> q,
                                              const StepVectors &kv);
  RowState mergeWarpLanes(RowState state);
  void writeRows(int64_t rows, Value chunkStart, const RowState &state);

  /// The element offset in a head_dim row of the thread's v-th vector.
  Value laneOffset(int64_t v) {
    return e.mul(e.add(e.index(v * config.threadsPerKey), slice),
                 e.index(shape.vectorWidth()));
  }
  /// The chunk row the thread's row slot `r` holds.
  Value rowOf(int64_t r) {
    return config.scatter ? e.xorI(e.index(r), rowPerm) : e.index(r);
  }
  /// The key the thread's key slot `u` of a step starting at `firstKey`
  /// holds.
  Value keyOf(Value firstKey, int64_t u) {
    Value step = config.scatter ? e.mul(e.xorI(e.index(u), keyPerm),
                                        e.index(config.keysPerStep))
                                : e.index(u * config.keysPerStep);
    return e.add(firstKey, e.add(step, keySlot));
  }

  Emitter e;
  const KernelShape &shape;
  DecodePlan config;
  DecodeFrame frame;

  Value arg(DecodeArg which) { return frame.arg(which); }

  // The thread's place in its warp's keys, set by build().
  Value slice, keySlot, rowPerm, keyPerm;
};

gpu::GPUFuncOp DecodeKernelBuilder::build(StringRef name, TypeRange argTypes) {
  return beginDecodeKernel(
             e, name, argTypes, shape, config.rowsPerChunk,
             config.minBlocksPerSM, /*keyAlign=*/1,
             [&](DecodeFrame &begun) {
               frame = begun;
               slice = e.remU(frame.lane, e.index(config.threadsPerKey));
               keySlot =
                   e.add(e.mul(frame.warp, e.index(32 / config.threadsPerKey)),
                         e.divU(frame.lane, e.index(config.threadsPerKey)));
               if (config.scatter) {
                 rowPerm =
                     e.divU(slice, e.index(int64_t(1) << config.rowShift));
                 keyPerm = e.remU(
                     e.divU(slice, e.index(int64_t(1) << config.keyShift)),
                     e.index(config.unroll));
               }
               processRows(config.rowsPerChunk);
             })
      .kernel;
}

void DecodeKernelBuilder::processRows(int64_t rows) {
  Value group = e.index(shape.groupSize());
  Value lastRow = e.sub(frame.numRows, e.index(1));
  e.loop(e.index(0), frame.numRows, e.index(rows), [&](Value chunkStart) {
    // Row r of the chunk is (token, group member) = divmod(flat, group);
    // rows past the end repeat the last row and are never written.
    SmallVector<Value> limits;
    SmallVector<SmallVector<Value>> q;
    Value scale = e.splat(shape.f32VectorType(), e.f32(shape.scale * kLog2E));
    for (int64_t r = 0; r < rows; ++r) {
      Value flat = e.minU(e.add(chunkStart, rowOf(r)), lastRow);
      Value token = e.divU(flat, group);
      auto [qRow, qHead] = queryRowAndHead(e, frame, shape, flat);
      limits.push_back(shape.causal
                           ? e.add(frame.cacheLength, e.add(token, e.index(1)))
                           : frame.numKeys);
      SmallVector<Value> rowQ;
      for (int64_t v = 0; v < config.vectorsPerThread; ++v)
        rowQ.push_back(
            e.mulF(e.extToF32(e.loadVector(shape.vectorType(), arg(kDecodeQ),
                                           {qRow, qHead, laneOffset(v)})),
                   scale));
      q.push_back(std::move(rowQ));
    }
    // The chunk's last row sees the most keys.
    Value keyEnd = frame.splitEnd;
    if (shape.causal) {
      Value chunkLast = e.sub(
          e.minU(e.add(chunkStart, e.index(rows)), frame.numRows), e.index(1));
      keyEnd = e.minU(frame.splitEnd,
                      e.add(frame.cacheLength,
                            e.add(e.divU(chunkLast, group), e.index(1))));
    }

    RowState state;
    for (int64_t r = 0; r < rows; ++r) {
      state.max.push_back(e.f32(kNoScore));
      state.sum.push_back(e.f32(0.0f));
      state.acc.emplace_back(config.vectorsPerThread,
                             e.zeros(shape.f32VectorType()));
    }

    SmallVector<Value> finalState = streamWindows(
        e, frame, shape, keyEnd, state.flatten(),
        [&](Value window, Value windowBegin, Value windowEnd, Value offPool,
            ValueRange values) {
          // Every window reads its staged ids checked: a copy of the loop
          // for windows with a page off the pool (as the tensor-core kernel
          // has) made ptxas spill the multi-token f32 kernel on sm_80.
          return streamKeys(
                     windowBegin, windowEnd, window,
                     /*checkPages=*/shape.pageGuard, limits, q,
                     RowState::unflatten(values, rows, config.vectorsPerThread))
              .flatten();
        });
    RowState merged = mergeWarpLanes(
        RowState::unflatten(finalState, rows, config.vectorsPerThread));
    writeRows(rows, chunkStart, merged);
  });
}

RowState DecodeKernelBuilder::streamKeys(Value windowBegin, Value windowEnd,
                                         Value window, bool checkPages,
                                         ArrayRef<Value> limits,
                                         ArrayRef<SmallVector<Value>> q,
                                         RowState state) {
  // Each step issues all its loads before computing. (Prefetching the next
  // step's K/V through the loop measured slower on an H200: it costs
  // registers the four-CTA budget needs.)
  int64_t rows = limits.size();
  SmallVector<Value> result = e.loop(
      windowBegin, windowEnd, e.index(config.keysPerStep * config.unroll),
      state.flatten(), [&](Value firstKey, ValueRange values) {
        StepVectors kv = loadStep(firstKey, windowEnd, window, checkPages);
        RowState state =
            RowState::unflatten(values, rows, config.vectorsPerThread);
        return (config.scatter
                    ? computeStepScatter(firstKey, windowEnd, limits, q, kv,
                                         state)
                    : computeStep(firstKey, windowEnd, limits, q, kv, state))
            .flatten();
      });
  return RowState::unflatten(result, rows, config.vectorsPerThread);
}

StepVectors DecodeKernelBuilder::loadStep(Value firstKey, Value windowEnd,
                                          Value window, bool checkPages) {
  const PagedCache &cache = frame.cache;
  Value lastKey = e.sub(windowEnd, e.index(1));
  Value kvHead = frame.kvHead;
  // Keys past the window's end load its last key (a staged page id, a valid
  // address); computeStep masks them.
  StepVectors step;
  for (int64_t u = 0; u < config.unroll; ++u) {
    Value clamped = e.minU(keyOf(firstKey, u), lastKey);
    Value page =
        e.loadUnsigned(frame.pageIds, e.sub(cache.pageIndex(clamped), window));
    Value onPool;
    if (checkPages)
      std::tie(page, onPool) = stagedPage(e, page);
    Value slot = cache.slot(clamped);
    SmallVector<Value> keyVectors, valueVectors;
    for (int64_t w = 0; w < config.vectorsPerThread; ++w)
      keyVectors.push_back(
          cache.loadVector(abi::kKeyPart, page, slot, kvHead, laneOffset(w)));
    // An MLA value is the key row itself (finishChunk writes its first
    // value_dim lanes): one load serves both.
    if (shape.mla)
      valueVectors = keyVectors;
    else
      for (int64_t w = 0; w < config.vectorsPerThread; ++w)
        valueVectors.push_back(cache.loadVector(abi::kValuePart, page, slot,
                                                kvHead, laneOffset(w)));
    if (checkPages) {
      // Keys off the pool load page 0: its V would reach the sums through
      // p = 0 as 0 * V, which is NaN for a NaN V.
      for (Value &vector : valueVectors)
        vector = e.select(onPool, vector, e.zeros(shape.vectorType()));
      step.onPool.push_back(onPool);
    }
    step.k.push_back(std::move(keyVectors));
    step.v.push_back(std::move(valueVectors));
  }
  return step;
}

SmallVector<SmallVector<Value>>
DecodeKernelBuilder::partialDots(ArrayRef<SmallVector<Value>> q,
                                 const StepVectors &kv) {
  SmallVector<SmallVector<Value>> dots;
  for (const SmallVector<Value> &rowQ : q) {
    SmallVector<Value> rowDots;
    for (const SmallVector<Value> &keyVectors : kv.k) {
      Value dot;
      for (int64_t w = 0; w < config.vectorsPerThread; ++w) {
        Value keyF32 = e.extToF32(keyVectors[w]);
        for (int64_t i = 0; i < shape.vectorWidth(); ++i) {
          Value qi = e.extract(rowQ[w], i), ki = e.extract(keyF32, i);
          dot = dot ? e.fma(qi, ki, dot) : e.mulF(qi, ki);
        }
      }
      rowDots.push_back(dot);
    }
    dots.push_back(std::move(rowDots));
  }
  return dots;
}

RowState DecodeKernelBuilder::computeStep(Value firstKey, Value windowEnd,
                                          ArrayRef<Value> limits,
                                          ArrayRef<SmallVector<Value>> q,
                                          const StepVectors &kv,
                                          RowState state) {
  int64_t rows = limits.size();
  const auto &v = kv.v;
  SmallVector<Value> keys, inWindow;
  for (int64_t u = 0; u < config.unroll; ++u) {
    keys.push_back(keyOf(firstKey, u));
    inWindow.push_back(e.ult(keys.back(), windowEnd));
    if (!kv.onPool.empty())
      inWindow.back() = e.andI(inWindow.back(), kv.onPool[u]);
  }

  Value noScore = e.f32(-std::numeric_limits<float>::infinity());
  SmallVector<SmallVector<Value>> dots = partialDots(q, kv);
  for (int64_t r = 0; r < rows; ++r) {
    SmallVector<Value> scores;
    for (int64_t u = 0; u < config.unroll; ++u) {
      Value dot = e.groupSum(dots[r][u], config.threadsPerKey);
      Value valid = inWindow[u];
      if (shape.causal)
        valid = e.andI(valid, e.ult(keys[u], limits[r]));
      scores.push_back(e.select(valid, dot, noScore));
    }
    Value newMax = state.max[r];
    for (Value score : scores)
      newMax = e.maxF(newMax, score);
    Value alpha = softmax::weight(e, state.max[r], newMax);
    Value sum = e.mulF(state.sum[r], alpha);
    SmallVector<Value> acc;
    for (Value vector : state.acc[r])
      acc.push_back(e.mulF(vector, e.splat(shape.f32VectorType(), alpha)));
    for (int64_t u = 0; u < config.unroll; ++u) {
      Value p = softmax::weight(e, scores[u], newMax);
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

RowState DecodeKernelBuilder::computeStepScatter(
    Value firstKey, Value windowEnd, ArrayRef<Value> limits,
    ArrayRef<SmallVector<Value>> q, const StepVectors &kv, RowState state) {
  int64_t rows = limits.size();
  int64_t keys = config.unroll;
  // Reduce-scatter the slots' partial dots, (r, u) at r * keys + u: each
  // step keeps the first half and adds the partner's second half, which
  // holds the same (row, key) because the partner's permutation differs in
  // exactly that bit.
  SmallVector<Value> values;
  for (const SmallVector<Value> &rowDots : partialDots(q, kv))
    llvm::append_range(values, rowDots);
  int64_t offset = config.threadsPerKey / 2;
  for (; values.size() > 1; offset /= 2) {
    size_t half = values.size() / 2;
    SmallVector<Value> kept;
    for (size_t i = 0; i < half; ++i)
      kept.push_back(e.addF(values[i], e.shuffleXor(values[half + i], offset)));
    values = std::move(kept);
  }
  Value score = values.front();
  for (; offset > 0; offset /= 2)
    score = e.addF(score, e.shuffleXor(score, offset));

  // The lane's score: row rowOf(0), key keyOf(firstKey, 0).
  Value key = keyOf(firstKey, 0);
  Value valid = e.ult(key, windowEnd);
  if (!kv.onPool.empty())
    valid = e.andI(valid, kv.onPool[0]);
  if (shape.causal)
    valid = e.andI(valid, e.ult(key, limits[0]));
  score =
      e.select(valid, score, e.f32(-std::numeric_limits<float>::infinity()));

  // The row's max over the step's keys (lanes that differ in key bits),
  // then slot r's from the lane whose row bits differ by r.
  Value stepMax = score;
  for (int64_t bit = 1; bit < keys; bit *= 2)
    stepMax = e.maxF(stepMax, e.shuffleXor(stepMax, bit << config.keyShift));
  SmallVector<Value> newMax;
  Value grows;
  for (int64_t r = 0; r < rows; ++r) {
    Value rowMax =
        r == 0 ? stepMax : e.shuffleXor(stepMax, r << config.rowShift);
    newMax.push_back(e.maxF(state.max[r], rowMax));
    Value rowGrows = softmax::exceedsLazyBound(e, newMax.back(), state.max[r]);
    grows = grows ? e.orI(grows, rowGrows) : rowGrows;
  }
  // Rescale every row to its new max when one row's grows past the
  // threshold; otherwise keep the maxes as the reference (p <= 2^8).
  SmallVector<Value> current = state.flatten();
  state = RowState::unflatten(
      e.ifThenElse(
          grows, ValueRange(current).getTypes(),
          [&] {
            RowState next = state;
            for (int64_t r = 0; r < rows; ++r) {
              Value alpha = softmax::weight(e, state.max[r], newMax[r]);
              Value alphaVector = e.splat(shape.f32VectorType(), alpha);
              next.max[r] = newMax[r];
              next.sum[r] = e.mulF(state.sum[r], alpha);
              for (Value &acc : next.acc[r])
                acc = e.mulF(acc, alphaVector);
            }
            return next.flatten();
          },
          [&] { return current; }),
      rows, config.vectorsPerThread);

  // The lane's probability, then slot (r, u)'s from the lane whose
  // permutation differs by (r, u).
  Value p = softmax::weight(e, score, state.max[0]);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t u = 0; u < keys; ++u) {
      int64_t mask = (r << config.rowShift) | (u << config.keyShift);
      Value slotP = mask == 0 ? p : e.shuffleXor(p, mask);
      state.sum[r] = e.addF(state.sum[r], slotP);
      Value pVector = e.splat(shape.f32VectorType(), slotP);
      for (int64_t w = 0; w < config.vectorsPerThread; ++w)
        state.acc[r][w] =
            e.fma(pVector, e.extToF32(kv.v[u][w]), state.acc[r][w]);
    }
  }
  return state;
}

RowState DecodeKernelBuilder::mergeWarpLanes(RowState state) {
  for (int64_t offset = config.threadsPerKey; offset < 32; offset *= 2) {
    for (size_t r = 0; r < state.max.size(); ++r) {
      Value otherMax = e.shuffleXor(state.max[r], offset);
      Value otherSum = e.shuffleXor(state.sum[r], offset);
      Value newMax = e.maxF(state.max[r], otherMax);
      Value mine = softmax::weight(e, state.max[r], newMax);
      Value theirs = softmax::weight(e, otherMax, newMax);
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
  int64_t headDim = shape.headDim;
  // Lanes of the warp's first key slot hold the merged warp state.
  e.ifThen(e.ult(frame.lane, e.index(config.threadsPerKey)), [&] {
    for (int64_t r = 0; r < rows; ++r) {
      Value rowBase = e.mul(e.add(e.mul(frame.warp, e.index(rows)), rowOf(r)),
                            e.index(headDim));
      for (int64_t v = 0; v < config.vectorsPerThread; ++v)
        e.storeVector(state.acc[r][v], frame.warpAcc,
                      e.add(rowBase, laneOffset(v)));
    }
  });
  // Lane 0's slots hold rows in order (its permutation is the identity).
  e.ifThen(e.cmp(arith::CmpIPredicate::eq, frame.lane, e.index(0)), [&] {
    for (int64_t r = 0; r < rows; ++r) {
      Value base = e.mul(e.add(e.mul(frame.warp, e.index(rows)), e.index(r)),
                         e.index(2));
      e.store(state.max[r], frame.warpMaxSum, base);
      e.store(state.sum[r], frame.warpMaxSum, e.add(base, e.index(1)));
    }
  });
  finishChunk(e, frame, shape, rows, chunkStart);
}

} // namespace

gpu::GPUFuncOp kvcache::gpukernels::buildDecodeKernel(
    OpBuilder &b, Location loc, StringRef name, TypeRange argTypes,
    const KernelShape &shape, bool multiToken) {
  return DecodeKernelBuilder(b, loc, shape, multiToken).build(name, argTypes);
}
