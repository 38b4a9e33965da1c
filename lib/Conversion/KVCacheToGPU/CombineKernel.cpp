//===- CombineKernel.cpp - Merges the split-K partials of decode ----------===//
//
// One warp per (query row, q head): grid (total_tokens, ceil(num_q_heads /
// warps per CTA)). The merge is convert-kvcache-to-loops' combine in log2
// units: weights 2^(lse_s - max lse), output Σ w_s · o_s / Σ w_s, with empty
// splits (lse -inf) weighing 0.
//
// The kernel moves a few MB at most, so memory latency bounds it, not
// bandwidth: a loop over the partitions that waits for each load costs
// about a microsecond per eight partitions. So the warp's lanes share the
// work. Lane i reads the log-sum-exp of partition chunk + i (32 partitions
// per chunk) and its weight reaches the other lanes by shuffles; the
// head_dim row is cut into `units` of one output vector, and when a row has
// fewer units than a warp has lanes, `partitionLanes` groups of lanes take
// alternate partitions and add up by shuffles at the end. Each lane issues
// all the partial loads of an inner step before it uses them.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"
#include "Kernels.h"

#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace kvcache::gpukernels;

namespace {

/// How the lanes of a warp share the (partition, unit) pairs of one head.
struct CombineConfig {
  /// Output vectors (16 bytes of the element type) per head_dim row.
  int64_t units;
  /// Lane groups that take alternate partitions: 32 / units when that
  /// divides, else 1.
  int64_t partitionLanes;
  /// Units each lane accumulates (more than one when units > 32).
  int64_t unitsPerLane;
  /// Partitions of a chunk per inner step: a multiple of partitionLanes
  /// that divides 32, so each lane has step / partitionLanes loads in
  /// flight per unit.
  int64_t step;

  explicit CombineConfig(const KernelShape &shape) {
    units = shape.vectorsPerRow();
    partitionLanes = units <= 32 && 32 % units == 0 ? 32 / units : 1;
    unitsPerLane = partitionLanes > 1 ? 1 : llvm::divideCeil(units, 32);
    step = std::max<int64_t>(partitionLanes, 8);
  }
};

} // namespace

gpu::GPUFuncOp
kvcache::gpukernels::buildCombineKernel(OpBuilder &b, Location loc,
                                        StringRef name, TypeRange argTypes,
                                        const KernelShape &shape) {
  auto kernel = createKernel(b, loc, name, argTypes, /*workgroupBuffers=*/{},
                             shape.blockSize);
  Emitter e(b, loc);
  CombineConfig config(shape);
  auto arg = [&](CombineArg which) { return kernel.getArgument(which); };
  Value offsets = arg(kCombineRowOffsets);
  Value numPartitions = arg(kCombineNumPartitions);
  Value slots = arg(kCombineSlots);
  Value partialOut = arg(kCombinePartialOut);
  Value partialLse = arg(kCombinePartialLse);
  VectorType f32Vector = shape.f32VectorType();
  Value warpSize = e.index(32);

  Value row = e.blockId(gpu::Dimension::x);
  Value lane = e.remU(e.threadId(), warpSize);
  Value qHead = e.add(
      e.mul(e.blockId(gpu::Dimension::y), e.index(combineWarpsPerBlock(shape))),
      e.divU(e.threadId(), warpSize));
  Value batch = e.sub(e.dim(offsets, 0), e.index(1));
  // One partition wrote `out` directly; rows outside every request were
  // never written by the decode kernel. Every condition is uniform over a
  // warp, so the shuffles below run in whole warps.
  Value active =
      e.andI(e.andI(e.cmp(arith::CmpIPredicate::ugt, numPartitions, e.index(1)),
                    e.ult(qHead, e.index(shape.numQHeads))),
             e.andI(e.cmp(arith::CmpIPredicate::ule,
                          e.loadUnsigned(offsets, e.index(0)), row),
                    e.ult(row, e.loadUnsigned(offsets, batch))));
  e.ifThen(active, [&] {
    Value base =
        e.mul(e.add(e.mul(row, e.index(shape.numQHeads)), qHead), slots);
    Value lastPartition = e.sub(numPartitions, e.index(1));
    Value negInf = e.f32(-std::numeric_limits<float>::infinity());

    Value laneMax =
        e.loop(lane, numPartitions, warpSize, negInf,
               [&](Value s, ValueRange acc) {
                 Value lse = e.load(partialLse, e.add(base, s));
                 return SmallVector<Value>{e.maxF(acc.front(), lse)};
               })
            .front();
    Value max = e.groupMax(laneMax, 32);
    // All splits empty cannot happen for a row with keys; keep the weights
    // finite anyway.
    Value finiteMax = e.select(e.cmpF(arith::CmpFPredicate::OEQ, max, negInf),
                               e.f32(0.0f), max);

    // The lane's partition group and units.
    Value partitionGroup = e.index(0);
    SmallVector<Value> units;
    if (config.partitionLanes > 1) {
      partitionGroup = e.divU(lane, e.index(config.units));
      units.push_back(e.remU(lane, e.index(config.units)));
    } else {
      for (int64_t t = 0; t < config.unitsPerLane; ++t)
        units.push_back(e.add(lane, e.index(32 * t)));
    }
    // Lanes past the last unit load the last one (a valid address) and
    // store nothing.
    SmallVector<Value> unitOffsets;
    for (Value unit : units)
      unitOffsets.push_back(e.mul(e.minU(unit, e.index(config.units - 1)),
                                  e.index(shape.vectorWidth())));

    SmallVector<Value> inits = {e.f32(0.0f)};
    inits.append(units.size(), e.zeros(f32Vector));
    SmallVector<Value> sums = e.loop(
        e.index(0), numPartitions, warpSize, inits,
        [&](Value chunk, ValueRange acc) {
          Value mine = e.add(chunk, lane);
          Value lse =
              e.load(partialLse, e.add(base, e.minU(mine, lastPartition)));
          Value weight = e.select(e.ult(mine, numPartitions),
                                  e.exp2(e.subF(lse, finiteMax)), e.f32(0.0f));
          Value count = e.minU(warpSize, e.sub(numPartitions, chunk));
          int64_t loads = config.step / config.partitionLanes;
          SmallVector<Value> unitAcc = e.loop(
              e.index(0), count, e.index(config.step), acc.drop_front(),
              [&](Value first, ValueRange unitAccIn) {
                // j < 32: `first` is a multiple of `step`, which divides 32.
                // Lanes j past `count` hold weight 0.
                SmallVector<Value> sources;
                SmallVector<SmallVector<Value>> partials;
                for (int64_t k = 0; k < loads; ++k) {
                  Value j =
                      e.add(first, e.add(e.index(k * config.partitionLanes),
                                         partitionGroup));
                  sources.push_back(j);
                  Value partition =
                      e.add(base, e.minU(e.add(chunk, j), lastPartition));
                  Value rowStart = e.mul(partition, e.index(shape.headDim));
                  SmallVector<Value> perUnit;
                  for (Value unitOffset : unitOffsets)
                    perUnit.push_back(e.loadVector(
                        f32Vector, partialOut, e.add(rowStart, unitOffset)));
                  partials.push_back(std::move(perUnit));
                }
                SmallVector<Value> result(unitAccIn);
                for (int64_t k = 0; k < loads; ++k) {
                  Value w =
                      e.splat(f32Vector, e.shuffleIdx(weight, sources[k]));
                  for (size_t t = 0; t < result.size(); ++t)
                    result[t] = e.fma(w, partials[k][t], result[t]);
                }
                return result;
              });
          SmallVector<Value> result = {e.addF(acc.front(), weight)};
          llvm::append_range(result, unitAcc);
          return result;
        });

    Value total = e.groupSum(sums.front(), 32);
    SmallVector<Value> results(sums.begin() + 1, sums.end());
    for (int64_t offset = config.units;
         config.partitionLanes > 1 && offset < 32; offset *= 2)
      results[0] = e.addF(results[0], e.shuffleXor(results[0], offset));
    Value inverse =
        e.select(e.cmpF(arith::CmpFPredicate::OGT, total, e.f32(0.0f)),
                 e.divF(e.f32(1.0f), total), e.f32(0.0f));
    Value inverseVector = e.splat(f32Vector, inverse);
    for (size_t t = 0; t < units.size(); ++t) {
      Value unit = units[t], result = results[t];
      Value owner = config.partitionLanes > 1
                        ? e.ult(lane, e.index(config.units))
                        : e.ult(unit, e.index(config.units));
      e.ifThen(owner, [&] {
        e.storeVector(
            e.truncTo(shape.elementType, e.mulF(result, inverseVector)),
            arg(kCombineOut),
            {row, qHead, e.mul(unit, e.index(shape.vectorWidth()))});
      });
    }
  });
  return kernel;
}
