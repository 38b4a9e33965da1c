//===- DecodeCommon.cpp - What the two decode kernels share ---------------===//

#include "DecodeCommon.h"

#include <limits>

using namespace mlir;
using namespace kvcache::gpukernels;

DecodeFrame kvcache::gpukernels::beginDecodeKernel(
    Emitter &e, StringRef name, TypeRange argTypes, const KernelShape &shape,
    int64_t rowsPerChunk, int64_t minBlocksPerSM, int64_t keyAlign,
    function_ref<void(DecodeFrame &)> body) {
  MLIRContext *ctx = e.b.getContext();
  auto workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  Type f32 = e.b.getF32Type();
  DecodeFrame frame;
  frame.warps = shape.blockSize / 32;
  frame.rowsPerChunk = rowsPerChunk;
  SmallVector<Type> buffers = {
      MemRefType::get({shape.blockSize}, e.b.getI32Type(), nullptr, workgroup),
      MemRefType::get({frame.warps * rowsPerChunk * shape.headDim}, f32,
                      nullptr, workgroup),
      MemRefType::get({frame.warps * rowsPerChunk * 2}, f32, nullptr,
                      workgroup)};
  frame.kernel = createKernel(e.b, e.loc, name, argTypes, buffers,
                              shape.blockSize, minBlocksPerSM);
  frame.pageIds = frame.kernel.getWorkgroupAttributions()[0];
  frame.warpAcc = frame.kernel.getWorkgroupAttributions()[1];
  frame.warpMaxSum = frame.kernel.getWorkgroupAttributions()[2];
  frame.cache =
      PagedCache(e, shape, frame.arg(kDecodeKvBlocks),
                 frame.arg(kDecodeLookupTable), frame.arg(kDecodeLayer));

  frame.tid = e.threadId();
  frame.lane = e.remU(frame.tid, e.index(32));
  frame.warp = e.divU(frame.tid, e.index(32));
  frame.split = e.blockId(gpu::Dimension::x);
  frame.kvHead = e.blockId(gpu::Dimension::y);
  frame.request = e.blockId(gpu::Dimension::z);
  frame.numPartitions = frame.arg(kDecodeNumPartitions);

  // Partitions past the active count exit: the grid keeps its shape whatever
  // the context length.
  e.ifThen(e.ult(frame.split, frame.numPartitions), [&] {
    Value offsets = frame.arg(kDecodeRowOffsets);
    frame.first = e.loadUnsigned(offsets, frame.request);
    Value numTokens = e.sub(
        e.loadUnsigned(offsets, e.add(frame.request, e.index(1))), frame.first);
    frame.cacheLength =
        e.loadUnsigned(frame.arg(kDecodeCacheLengths), frame.request);
    frame.numKeys = e.add(frame.cacheLength, numTokens);
    // Equal chunks of the request's keys, as convert-kvcache-to-loops cuts,
    // rounded up to whole key tiles of the kernel (the last splits may then
    // be empty: they write an empty state).
    Value chunk = e.ceilDivU(frame.numKeys, frame.numPartitions);
    if (keyAlign > 1)
      chunk = e.mul(e.ceilDivU(chunk, e.index(keyAlign)), e.index(keyAlign));
    frame.splitBegin = e.minU(e.mul(frame.split, chunk), frame.numKeys);
    frame.splitEnd = e.minU(e.add(frame.splitBegin, chunk), frame.numKeys);
    frame.numRows = e.mul(numTokens, e.index(shape.groupSize()));
    body(frame);
  });
  return frame;
}

std::pair<Value, Value>
kvcache::gpukernels::queryRowAndHead(Emitter &e, const DecodeFrame &frame,
                                     const KernelShape &shape, Value flat) {
  Value group = e.index(shape.groupSize());
  Value qRow = e.add(frame.first, e.divU(flat, group));
  Value qHead = e.add(e.mul(frame.kvHead, group), e.remU(flat, group));
  return {qRow, qHead};
}

SmallVector<Value>
kvcache::gpukernels::streamWindows(Emitter &e, const DecodeFrame &frame,
                                   const KernelShape &shape, Value keyEnd,
                                   ValueRange state, WindowBody body) {
  const PagedCache &cache = frame.cache;
  Value firstPage = cache.pageIndex(frame.splitBegin);
  Value endPage = cache.pagesFor(keyEnd);
  Value windowPages = e.index(shape.blockSize);
  Value falseValue =
      arith::ConstantOp::create(e.b, e.loc, e.b.getBoolAttr(false));
  return e.loop(
      firstPage, endPage, windowPages, state,
      [&](Value window, ValueRange values) {
        Value column = e.add(window, frame.tid);
        Value staging = e.ult(frame.tid, e.sub(endPage, window));
        Value windowOffPool = falseValue;
        if (shape.pageGuard) {
          Value offPool = e.ifThenElse(
              staging, {e.b.getI1Type()},
              [&]() -> SmallVector<Value> {
                Value id = cache.pageId(frame.request, column);
                Value onPool = cache.onPool(id);
                e.store(arith::IndexCastOp::create(
                            e.b, e.loc, e.b.getI32Type(),
                            e.select(onPool, id, e.index(kOffPoolPage))),
                        frame.pageIds, frame.tid);
                return {e.cmp(arith::CmpIPredicate::eq, onPool, falseValue)};
              },
              [&]() -> SmallVector<Value> { return {falseValue}; })[0];
          e.ifThen(offPool, [&] {
            // The first key of the page this CTA reads.
            Value position = e.maxU(frame.splitBegin, cache.firstKey(column));
            e.recordPageFault(frame.arg(kDecodeFaultWord), frame.request,
                              position);
          });
          // One barrier publishes the ids and ORs the faults over the CTA.
          windowOffPool = e.barrierOr(offPool);
        } else {
          // Unchecked (to measure what the check costs): ids as they are.
          e.ifThen(staging, [&] {
            e.store(cache.pageIdWord(frame.request, column), frame.pageIds,
                    frame.tid);
          });
          e.barrier();
        }
        Value windowBegin = e.maxU(frame.splitBegin, cache.firstKey(window));
        Value windowEnd =
            e.minU(keyEnd, cache.firstKey(e.add(window, windowPages)));
        SmallVector<Value> result =
            body(window, windowBegin, windowEnd, windowOffPool, values);
        // The next window overwrites the ids this one reads.
        e.barrier();
        return result;
      });
}

std::pair<Value, Value> kvcache::gpukernels::stagedPage(Emitter &e,
                                                        Value staged) {
  Value onPool = e.cmp(arith::CmpIPredicate::ne, staged, e.index(kOffPoolPage));
  return {e.select(onPool, staged, e.index(0)), onPool};
}

void kvcache::gpukernels::finishChunk(Emitter &e, const DecodeFrame &frame,
                                      const KernelShape &shape, int64_t rows,
                                      Value chunkStart) {
  e.barrier();
  int64_t width = shape.vectorWidth();
  int64_t headDim = shape.headDim;
  // Thread t merges the warps' states for (row, vector) pairs t, t + block…
  // of the value lanes (warpAcc rows are head_dim wide; an MLA value is the
  // first value_dim lanes).
  Value vectorsPerRow = e.index(shape.valueVectorsPerRow());
  e.loop(
      frame.tid, e.index(rows * shape.valueVectorsPerRow()),
      e.index(shape.blockSize), [&](Value item) {
        Value r = e.divU(item, vectorsPerRow);
        Value lanes = e.mul(e.remU(item, vectorsPerRow), e.index(width));
        SmallVector<Value> maxes, sums;
        Value max = e.f32(kNoScore);
        for (int64_t w = 0; w < frame.warps; ++w) {
          Value base = e.mul(e.add(e.index(w * rows), r), e.index(2));
          maxes.push_back(e.load(frame.warpMaxSum, base));
          sums.push_back(e.load(frame.warpMaxSum, e.add(base, e.index(1))));
          max = e.maxF(max, maxes.back());
        }
        Value sum = e.f32(0.0f);
        Value acc = e.zeros(shape.f32VectorType());
        for (int64_t w = 0; w < frame.warps; ++w) {
          Value weight = softmax::weight(e, maxes[w], max);
          sum = e.fma(sums[w], weight, sum);
          Value partial = e.loadVector(
              shape.f32VectorType(), frame.warpAcc,
              e.add(e.mul(e.add(e.index(w * rows), r), e.index(headDim)),
                    lanes));
          acc = e.fma(e.splat(shape.f32VectorType(), weight), partial, acc);
        }
        // A row with no key in this split (causal limit, or a split past
        // the request's keys) has sum 0: output 0, log-sum-exp -inf.
        Value nonEmpty = softmax::nonEmpty(e, sum);
        Value inverse = softmax::inverseSum(e, sum, nonEmpty);
        Value normalised = e.mulF(acc, e.splat(shape.f32VectorType(), inverse));
        Value flat = e.add(chunkStart, r);
        e.ifThen(e.ult(flat, frame.numRows), [&] {
          // Named values: the lambdas below capture them.
          std::pair<Value, Value> rowHead =
              queryRowAndHead(e, frame, shape, flat);
          Value qRow = rowHead.first, qHead = rowHead.second;
          e.ifThenElse(
              e.cmp(arith::CmpIPredicate::eq, frame.numPartitions, e.index(1)),
              [&] {
                e.storeVector(e.truncTo(shape.elementType, normalised),
                              frame.arg(kDecodeOut), {qRow, qHead, lanes});
              },
              [&] {
                Value slots = e.gridDim(gpu::Dimension::x);
                Value partial = e.add(
                    e.mul(e.add(e.mul(qRow, e.index(shape.numQHeads)), qHead),
                          slots),
                    frame.split);
                e.storeVector(
                    normalised, frame.arg(kDecodePartialOut),
                    e.add(e.mul(partial, e.index(shape.valueDim)), lanes));
                e.ifThen(e.cmp(arith::CmpIPredicate::eq, lanes, e.index(0)),
                         [&] {
                           Value lse = e.select(
                               nonEmpty, e.addF(max, e.log2(sum)),
                               e.f32(-std::numeric_limits<float>::infinity()));
                           e.store(lse, frame.arg(kDecodePartialLse), partial);
                         });
              });
        });
      });
  // The next chunk overwrites the warps' states.
  e.barrier();
}
