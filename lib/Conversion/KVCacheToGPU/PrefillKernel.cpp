//===- PrefillKernel.cpp - Tiled paged attention for long queries ---------===//
//
// Flash attention on CUDA cores, correct first (tensor cores later): one CTA
// per (block of query rows, kv head, request), where the rows are the
// request's (token, group member) pairs, so a kv head's keys are read once
// for its whole GQA group. `threadsPerRow` lanes share a row, each holding
// `vectorsPerThread` 16-byte vectors of q and of the f32 accumulator. Keys
// stream through workgroup memory `tileKeys` at a time (zero-filled past the
// end, so masked keys add nothing); each thread scores the tile's keys,
// rescales its online softmax once per tile, and accumulates V. The causal
// mask is per row: row (token i) sees keys 0 .. cache_length + i.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"
#include "Kernels.h"
#include "OnlineSoftmax.h"
#include "PagedCache.h"
#include "Plan.h"

#include <limits>

using namespace mlir;
using namespace kvcache;
using namespace kvcache::gpukernels;

using softmax::kLog2E;
using softmax::kNoScore;

gpu::GPUFuncOp
kvcache::gpukernels::buildPrefillKernel(OpBuilder &b, Location loc,
                                        StringRef name, TypeRange argTypes,
                                        const KernelShape &shape) {
  PrefillPlan config = planPrefill(shape);
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  auto tileType = MemRefType::get({config.tileKeys * shape.headDim},
                                  shape.elementType, nullptr, workgroup);
  // Whether each key of the tile is on a page of the pool.
  auto onPoolType =
      MemRefType::get({config.tileKeys}, b.getI32Type(), nullptr, workgroup);
  // An MLA cache's latent rows are staged twice, as keys and as values:
  // read back from one tile, the P·V loads would be the score loads again,
  // and LLVM keeps the tile's keys live in registers from one to the other
  // (the kernel spilled kilobytes).
  auto kernel = createKernel(b, loc, name, argTypes,
                             {tileType, tileType, onPoolType}, shape.blockSize);
  Value keyTile = kernel.getWorkgroupAttributions()[0];
  Value valueTile = kernel.getWorkgroupAttributions()[1];
  Value tileOnPool = kernel.getWorkgroupAttributions()[2];
  Emitter e(b, loc);
  auto arg = [&](PrefillArg which) { return kernel.getArgument(which); };
  PagedCache cache(e, shape, arg(kPrefillKvBlocks), arg(kPrefillLookupTable),
                   arg(kPrefillLayer));
  VectorType vectorType = shape.vectorType();
  VectorType f32Vector = shape.f32VectorType();
  int64_t width = shape.vectorWidth();
  Value group = e.index(shape.groupSize());
  Value headDim = e.index(shape.headDim);

  Value tid = e.threadId();
  Value kvHead = e.blockId(gpu::Dimension::y);
  Value request = e.blockId(gpu::Dimension::z);
  Value offsets = arg(kPrefillRowOffsets);
  Value first = e.loadUnsigned(offsets, request);
  Value numTokens =
      e.sub(e.loadUnsigned(offsets, e.add(request, e.index(1))), first);
  Value cacheLength = e.loadUnsigned(arg(kPrefillCacheLengths), request);
  Value numKeys = e.add(cacheLength, numTokens);
  Value numRows = e.mul(numTokens, group);
  Value rowBase =
      e.mul(e.blockId(gpu::Dimension::x), e.index(config.rowsPerBlock));

  // Blocks past the request's rows exit together (no barrier is skipped).
  e.ifThen(e.ult(rowBase, numRows), [&] {
    Value part = e.remU(tid, e.index(config.threadsPerRow));
    Value flat = e.add(rowBase, e.divU(tid, e.index(config.threadsPerRow)));
    Value valid = e.ult(flat, numRows);
    Value clamped = e.minU(flat, e.sub(numRows, e.index(1)));
    Value token = e.divU(clamped, group);
    Value qHead = e.add(e.mul(kvHead, group), e.remU(clamped, group));
    Value qRow = e.add(first, token);
    Value limit =
        shape.causal ? e.add(cacheLength, e.add(token, e.index(1))) : numKeys;
    Value keyEnd = numKeys;
    if (shape.causal) {
      Value lastRow =
          e.sub(e.minU(e.add(rowBase, e.index(config.rowsPerBlock)), numRows),
                e.index(1));
      keyEnd =
          e.minU(numKeys,
                 e.add(cacheLength, e.add(e.divU(lastRow, group), e.index(1))));
    }
    auto laneOffset = [&](int64_t v) {
      return e.mul(e.add(e.index(v * config.threadsPerRow), part),
                   e.index(width));
    };

    Value scale = e.splat(f32Vector, e.f32(shape.scale * kLog2E));
    SmallVector<Value> q;
    for (int64_t v = 0; v < config.vectorsPerThread; ++v)
      q.push_back(e.mulF(e.extToF32(e.loadVector(vectorType, arg(kPrefillQ),
                                                 {qRow, qHead, laneOffset(v)})),
                         scale));

    SmallVector<Value> init = {e.f32(kNoScore), e.f32(0.0f)};
    init.append(config.vectorsPerThread, e.zeros(f32Vector));
    Value noScore = e.f32(-std::numeric_limits<float>::infinity());
    Value vectorsPerRow = e.index(shape.vectorsPerRow());
    SmallVector<Value> state = e.loop(
        e.index(0), keyEnd, e.index(config.tileKeys), init,
        [&](Value tileStart, ValueRange values) {
          // Stage the tile: consecutive threads load consecutive vectors.
          // A key whose page id is off the pool stages zeros (no load
          // leaves the pool), is recorded in the fault word, and is
          // masked below.
          Type i1 = b.getI1Type();
          Value noFault =
              arith::ConstantOp::create(b, e.loc, b.getBoolAttr(false));
          Value offPool = e.loop(
              tid, e.index(config.tileKeys * shape.vectorsPerRow()),
              e.index(shape.blockSize), ValueRange{noFault},
              [&](Value item, ValueRange seen) -> SmallVector<Value> {
                Value tileKey = e.divU(item, vectorsPerRow);
                Value lanes =
                    e.mul(e.remU(item, vectorsPerRow), e.index(width));
                Value key = e.add(tileStart, tileKey);
                SmallVector<Value> loaded = e.ifThenElse(
                    e.ult(key, keyEnd), {vectorType, vectorType, i1},
                    [&] {
                      Value page = cache.pageId(request, cache.pageIndex(key));
                      Value onPool = cache.onPool(page);
                      return e.ifThenElse(
                          onPool, {vectorType, vectorType, i1},
                          [&] {
                            Value slot = cache.slot(key);
                            Value key = cache.loadVector(abi::kKeyPart, page,
                                                         slot, kvHead, lanes);
                            Value value =
                                shape.mla
                                    ? key
                                    : cache.loadVector(abi::kValuePart, page,
                                                       slot, kvHead, lanes);
                            return SmallVector<Value>{key, value, onPool};
                          },
                          [&] {
                            e.ifThen(e.cmp(arith::CmpIPredicate::eq, lanes,
                                           e.index(0)),
                                     [&] {
                                       e.recordPageFault(arg(kPrefillFaultWord),
                                                         request, key);
                                     });
                            return SmallVector<Value>{e.zeros(vectorType),
                                                      e.zeros(vectorType),
                                                      onPool};
                          });
                    },
                    [&] {
                      // Past keyEnd: masked by the causal limit anyway.
                      return SmallVector<Value>{
                          e.zeros(vectorType), e.zeros(vectorType),
                          arith::ConstantOp::create(b, e.loc,
                                                    b.getBoolAttr(true))};
                    });
                Value at = e.add(e.mul(tileKey, headDim), lanes);
                e.storeVector(loaded[0], keyTile, at);
                e.storeVector(loaded[1], valueTile, at);
                e.ifThen(e.cmp(arith::CmpIPredicate::eq, lanes, e.index(0)),
                         [&] {
                           e.store(arith::ExtUIOp::create(
                                       b, e.loc, b.getI32Type(), loaded[2]),
                                   tileOnPool, tileKey);
                         });
                Value off = e.cmp(arith::CmpIPredicate::eq, loaded[2], noFault);
                return {e.orI(seen[0], off)};
              })[0];
          // One barrier publishes the tile and ORs the faults over the CTA.
          Value tileOffPool = noFault;
          if (shape.pageGuard)
            tileOffPool = e.barrierOr(offPool);
          else
            e.barrier();

          SmallVector<Value> scores;
          for (int64_t k = 0; k < config.tileKeys; ++k) {
            Value dot;
            for (int64_t v = 0; v < config.vectorsPerThread; ++v) {
              Value key = e.extToF32(e.loadVector(
                  vectorType, keyTile,
                  e.add(e.index(k * shape.headDim), laneOffset(v))));
              for (int64_t i = 0; i < width; ++i) {
                Value qi = e.extract(q[v], i), ki = e.extract(key, i);
                dot = dot ? e.fma(qi, ki, dot) : e.mulF(qi, ki);
              }
            }
            dot = e.groupSum(dot, config.threadsPerRow);
            Value key = e.add(tileStart, e.index(k));
            Value seen = e.andI(e.ult(key, keyEnd), e.ult(key, limit));
            scores.push_back(e.select(seen, dot, noScore));
          }
          // Keys off the pool (zeros were staged for them) score nothing;
          // only a tile that has one reads the flags.
          SmallVector<Type> scoreTypes(scores.size(), b.getF32Type());
          scores = e.ifThenElse(
              tileOffPool, scoreTypes,
              [&] {
                SmallVector<Value> masked;
                for (int64_t k = 0; k < config.tileKeys; ++k) {
                  Value onPool =
                      e.cmp(arith::CmpIPredicate::ne,
                            e.load(tileOnPool, e.index(k)), e.i32(0));
                  masked.push_back(e.select(onPool, scores[k], noScore));
                }
                return masked;
              },
              [&] { return scores; });
          Value newMax = values[0];
          for (Value score : scores)
            newMax = e.maxF(newMax, score);
          Value alpha = softmax::weight(e, values[0], newMax);
          Value sum = e.mulF(values[1], alpha);
          SmallVector<Value> acc;
          for (int64_t v = 0; v < config.vectorsPerThread; ++v)
            acc.push_back(e.mulF(values[2 + v], e.splat(f32Vector, alpha)));
          for (int64_t k = 0; k < config.tileKeys; ++k) {
            Value p = softmax::weight(e, scores[k], newMax);
            sum = e.addF(sum, p);
            Value pVector = e.splat(f32Vector, p);
            for (int64_t v = 0; v < config.vectorsPerThread; ++v) {
              Value value = e.extToF32(e.loadVector(
                  vectorType, valueTile,
                  e.add(e.index(k * shape.headDim), laneOffset(v))));
              acc[v] = e.fma(pVector, value, acc[v]);
            }
          }
          // The next tile overwrites what this one read.
          e.barrier();
          SmallVector<Value> next = {newMax, sum};
          llvm::append_range(next, acc);
          return next;
        });

    e.ifThen(valid, [&] {
      Value sum = state[1];
      Value inverse = softmax::inverseSum(e, sum, softmax::nonEmpty(e, sum));
      // The value lanes: all of them, or an MLA value's first value_dim
      // (a thread's vector v is in them for some lane parts only).
      for (int64_t v = 0; v < config.vectorsPerThread; ++v) {
        int64_t first = v * config.threadsPerRow * width;
        int64_t last =
            (v * config.threadsPerRow + config.threadsPerRow) * width;
        if (first >= shape.valueDim)
          break;
        auto write = [&, v] {
          e.storeVector(
              e.truncTo(shape.elementType,
                        e.mulF(state[2 + v], e.splat(f32Vector, inverse))),
              arg(kPrefillOut), {qRow, qHead, laneOffset(v)});
        };
        if (last <= shape.valueDim)
          write();
        else
          e.ifThen(e.ult(laneOffset(v), e.index(shape.valueDim)), write);
      }
    });
  });
  return kernel;
}
