//===- CombineKernel.cpp - Merges the split-K partials of decode ----------===//
//
// Merges the split-K partials of each (query row, q head): the combine of
// convert-kvcache-to-loops in log2 units, weights 2^(lse_s - max lse),
// output Σ w_s · o_s / Σ w_s, with empty splits (lse -inf) weighing 0.
//
// The kernel moves a few MB at most and, at batch 1, runs a few CTAs on a
// GPU of a hundred SMs: memory latency bounds it, not bandwidth. Each load
// that must wait for an earlier one adds a round trip to memory (about a
// microsecond when the partials come from HBM), so the kernel is laid out
// around its chain of dependent loads, one round trip for up to
// loadsPerStep partitions per lane:
//  - the row offsets only decide whether the results are stored: every
//    address is valid whatever the row, so no load waits for them;
//  - each lane loads the log-sum-exps and partial vectors of its own
//    partitions itself, `loadsPerStep` of them per step (a partition past
//    the active count loads nothing), so no weight travels by shuffle;
//  - the max log-sum-exp takes two more loads per lane per 64 partitions
//    and shuffles; the first step's loads, the offsets' and the max's all
//    go out before anything waits for one;
//  - the value row (value_dim lanes: head_dim, or an MLA value's) is cut
//    into `units` of one output vector; lane groups
//    (`partitionLanes` per warp) take alternate partitions and add up by
//    shuffles. With many slots the host gives a (row, head) up to a CTA's
//    warps (`warpsPerHead`, chosen from `slots`, which does not depend on
//    the context length, so graph capture keeps the launch shape): more
//    lanes, fewer partitions each; the warps add up through workgroup
//    memory.
// At batch 1 × 32k keys (49 partitions, four warps per head, 7 partitions
// per lane) that is one round trip where one warp per head, loading a
// 32-partition chunk's log-sum-exps and then 8-partition steps, waited for
// twelve; at batch 64 (3 partitions) one instead of four. The price is
// registers: eight partitions' partials per lane are 64 of them.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"
#include "Kernels.h"
#include "OnlineSoftmax.h"
#include "Plan.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace kvcache::gpukernels;

namespace {

/// Partitions whose log-sum-exps each warp loads without a loop for the max
/// (two per lane); the split rule launches at most this many by default.
constexpr int64_t kMaxUnrolled = 64;

constexpr float kInf = std::numeric_limits<float>::infinity();

/// A lane's running sums: Σ w_s, then Σ w_s · o_s per unit.
using Sums = SmallVector<Value>;

/// The merge of one (row, q head) as one lane emits it.
struct HeadMerge {
  Emitter &e;
  const KernelShape &shape;
  CombinePlan config;
  gpu::GPUFuncOp kernel;
  Value lane, warp, row, qHead;
  /// The warps sharing the head, and this warp's place among them.
  Value warpsPerHead, member;
  Value numPartitions;
  /// The head's first slot in partial_lse (its partials start at
  /// base * value_dim).
  Value base;
  /// The lane's first partition, and the distance to its next one: the
  /// head's partition groups (partitionLanes per warp × warpsPerHead).
  Value group, groups;
  /// The lane's units and their element offsets in a value row (lanes
  /// past the last unit read the last one and store nothing).
  SmallVector<Value> units, unitOffsets;

  HeadMerge(Emitter &e, const KernelShape &shape, gpu::GPUFuncOp kernel);

  Value arg(CombineArg which) { return kernel.getArgument(which); }
  Value negInf() { return e.f32(-kInf); }
  Sums zeroSums();
  /// Whether the row lies in a request (the decode kernel wrote its
  /// partials).
  Value rowActive();
  /// Loads the lane's partitions index .. index + loadsPerStep - 1 (its
  /// own numbering): per partition its log-sum-exp, then its partial vector
  /// of each unit. A partition past the active count loads nothing: it
  /// reads as lse -inf, which weighs 0.
  SmallVector<SmallVector<Value>> loadStep(Value index);
  /// Folds loaded partitions into `sums` with weights 2^(lse - max).
  Sums accumulate(ArrayRef<SmallVector<Value>> loaded, Value max,
                  ValueRange sums);
  /// Two independent loads per lane: the log-sum-exps of the first
  /// kMaxUnrolled partitions (repeats of the last one past the count).
  SmallVector<Value> loadFirstLse();
  /// The lane's largest log-sum-exp among the partitions from kMaxUnrolled
  /// on (-inf when there are none), for an active row.
  Value laneMaxPastUnrolled(Value active);
  /// The head's largest log-sum-exp in every lane, or 0 when all are -inf.
  Value maxLse(Value laneMax, ArrayRef<Value> firstLse);
  /// Whether the lane holds its warp's sums of unit `t` after the shuffles.
  Value holdsUnit(size_t t);
  /// Adds up the sums of the warps that share the head.
  Sums sumWarps(ValueRange sums);
  void emit();
};

HeadMerge::HeadMerge(Emitter &e, const KernelShape &shape,
                     gpu::GPUFuncOp kernel)
    : e(e), shape(shape), config(planCombine(shape)), kernel(kernel) {
  Value warpSize = e.index(32);
  lane = e.remU(e.threadId(), warpSize);
  warp = e.divU(e.threadId(), warpSize);
  row = e.blockId(gpu::Dimension::x);
  // The CTA's warps in teams of warpsPerHead, one team per q head.
  warpsPerHead = arg(kCombineWarpsPerHead);
  member = e.remU(warp, warpsPerHead);
  Value headsPerBlock =
      e.divU(e.index(combineWarpsPerBlock(shape)), warpsPerHead);
  qHead = e.add(e.mul(e.blockId(gpu::Dimension::y), headsPerBlock),
                e.divU(warp, warpsPerHead));
  numPartitions = arg(kCombineNumPartitions);
}

Sums HeadMerge::zeroSums() {
  Sums sums = {e.f32(0.0f)};
  sums.append(units.size(), e.zeros(shape.f32VectorType()));
  return sums;
}

Value HeadMerge::rowActive() {
  Value offsets = arg(kCombineRowOffsets);
  Value batch = e.sub(e.dim(offsets, 0), e.index(1));
  return e.andI(e.cmp(arith::CmpIPredicate::ule,
                      e.loadUnsigned(offsets, e.index(0)), row),
                e.ult(row, e.loadUnsigned(offsets, batch)));
}

SmallVector<SmallVector<Value>> HeadMerge::loadStep(Value index) {
  VectorType f32Vector = shape.f32VectorType();
  SmallVector<Type> types = {e.b.getF32Type()};
  types.append(units.size(), f32Vector);
  SmallVector<SmallVector<Value>> loaded;
  for (int64_t k = 0; k < config.loadsPerStep; ++k) {
    Value partition = e.add(group, e.mul(e.add(index, e.index(k)), groups));
    loaded.push_back(e.ifThenElse(
        e.ult(partition, numPartitions), types,
        [&] {
          Value slot = e.add(base, partition);
          SmallVector<Value> values = {e.load(arg(kCombinePartialLse), slot)};
          Value rowStart = e.mul(slot, e.index(shape.valueDim));
          for (Value unitOffset : unitOffsets)
            values.push_back(e.loadVector(f32Vector, arg(kCombinePartialOut),
                                          e.add(rowStart, unitOffset)));
          return values;
        },
        [&] {
          SmallVector<Value> values = {negInf()};
          values.append(units.size(), e.zeros(f32Vector));
          return values;
        }));
  }
  return loaded;
}

Sums HeadMerge::accumulate(ArrayRef<SmallVector<Value>> loaded, Value max,
                           ValueRange sums) {
  Sums result(sums);
  for (ArrayRef<Value> partition : loaded) {
    Value weight = softmax::weight(e, partition[0], max);
    result[0] = e.addF(result[0], weight);
    Value splat = e.splat(shape.f32VectorType(), weight);
    for (size_t t = 1; t < result.size(); ++t)
      result[t] = e.fma(splat, partition[t], result[t]);
  }
  return result;
}

SmallVector<Value> HeadMerge::loadFirstLse() {
  Value last = e.sub(numPartitions, e.index(1));
  SmallVector<Value> lse;
  for (int64_t offset = 0; offset < kMaxUnrolled; offset += 32) {
    Value partition = e.minU(e.add(lane, e.index(offset)), last);
    lse.push_back(e.load(arg(kCombinePartialLse), e.add(base, partition)));
  }
  return lse;
}

Value HeadMerge::laneMaxPastUnrolled(Value active) {
  Value last = e.sub(numPartitions, e.index(1));
  Value end = e.select(active, numPartitions, e.index(kMaxUnrolled));
  return e
      .loop(e.index(kMaxUnrolled), end, e.index(32), negInf(),
            [&](Value first, ValueRange acc) {
              Value partition = e.minU(e.add(first, lane), last);
              Value lse =
                  e.load(arg(kCombinePartialLse), e.add(base, partition));
              return SmallVector<Value>{e.maxF(acc.front(), lse)};
            })
      .front();
}

Value HeadMerge::maxLse(Value laneMax, ArrayRef<Value> firstLse) {
  for (Value lse : firstLse)
    laneMax = e.maxF(laneMax, lse);
  Value max = e.groupMax(laneMax, 32);
  // All splits empty cannot happen for a row with keys; keep the weights
  // finite anyway.
  return e.select(e.cmpF(arith::CmpFPredicate::OEQ, max, negInf()), e.f32(0.0f),
                  max);
}

Value HeadMerge::holdsUnit(size_t t) {
  // Lane group 0 when groups share a warp; a unit of the row.
  return e.ult(config.partitionLanes > 1 ? lane : units[t],
               e.index(config.units));
}

Sums HeadMerge::sumWarps(ValueRange sums) {
  // Through workgroup memory: warpAcc [warp][value_dim], warpWeight [warp].
  Value warpAcc = kernel.getWorkgroupAttributions()[0];
  Value warpWeight = kernel.getWorkgroupAttributions()[1];
  VectorType f32Vector = shape.f32VectorType();
  auto accIndex = [&](Value w, size_t t) {
    return e.add(e.mul(w, e.index(shape.valueDim)), unitOffsets[t]);
  };
  e.ifThen(e.cmp(arith::CmpIPredicate::eq, lane, e.index(0)),
           [&] { e.store(sums[0], warpWeight, warp); });
  for (size_t t = 0; t < units.size(); ++t)
    e.ifThen(holdsUnit(t),
             [&] { e.storeVector(sums[t + 1], warpAcc, accIndex(warp, t)); });
  e.barrier();
  // Every warp of the head adds them all up; its first stores the result.
  Value firstWarp = e.sub(warp, member);
  return e.loop(firstWarp, e.add(firstWarp, warpsPerHead), e.index(1),
                zeroSums(), [&](Value other, ValueRange acc) {
                  Sums result = {e.addF(acc[0], e.load(warpWeight, other))};
                  for (size_t t = 0; t < units.size(); ++t)
                    result.push_back(
                        e.addF(acc[t + 1], e.loadVector(f32Vector, warpAcc,
                                                        accIndex(other, t))));
                  return result;
                });
}

void HeadMerge::emit() {
  // Heads past the last pad the grid: they read the last head (valid
  // addresses) and store nothing.
  Value numQHeads = e.index(shape.numQHeads);
  base = e.mul(
      e.add(e.mul(row, numQHeads), e.minU(qHead, e.sub(numQHeads, e.index(1)))),
      arg(kCombineSlots));
  Value groupInWarp = e.index(0);
  if (config.partitionLanes > 1) {
    groupInWarp = e.divU(lane, e.index(config.units));
    units.push_back(e.remU(lane, e.index(config.units)));
  } else {
    for (int64_t t = 0; t < config.unitsPerLane; ++t)
      units.push_back(e.add(lane, e.index(32 * t)));
  }
  group = e.add(e.mul(member, e.index(config.partitionLanes)), groupInWarp);
  groups = e.mul(warpsPerHead, e.index(config.partitionLanes));
  for (Value unit : units)
    unitOffsets.push_back(e.mul(e.minU(unit, e.index(config.units - 1)),
                                e.index(shape.vectorWidth())));

  // The loads of the offsets, of the first step and of the max go out
  // together, before anything waits for one. Rows outside every request
  // were never written by the decode kernel: they load garbage (at valid
  // addresses) and store nothing.
  Value active = rowActive();
  SmallVector<SmallVector<Value>> firstStep = loadStep(e.index(0));
  SmallVector<Value> firstLse = loadFirstLse();
  // The loop over partitions past kMaxUnrolled (only forced split counts
  // have them) waits for each of its loads. It also ends the block of the
  // loads above, so ptxas keeps them all in flight instead of trading
  // latency for registers by issuing them between the math below; its
  // bound takes the offsets, so LLVM cannot sink their loads past it.
  Value max = maxLse(laneMaxPastUnrolled(active), firstLse);
  Sums sums = accumulate(firstStep, max, zeroSums());
  // More than loadsPerStep partitions per lane: a round trip per step.
  Value loadsPerStep = e.index(config.loadsPerStep);
  sums = e.loop(loadsPerStep, e.ceilDivU(numPartitions, groups), loadsPerStep,
                sums, [&](Value index, ValueRange acc) {
                  return accumulate(loadStep(index), max, acc);
                });

  // Lane groups of a warp hold the same units of other partitions.
  for (int64_t offset = config.units; config.partitionLanes > 1 && offset < 32;
       offset *= 2)
    for (Value &sum : sums)
      sum = e.addF(sum, e.shuffleXor(sum, offset));
  SmallVector<Type> types = llvm::to_vector(ValueRange(sums).getTypes());
  sums = e.ifThenElse(
      e.ult(e.index(1), warpsPerHead), types, [&] { return sumWarps(sums); },
      [&] { return sums; });

  Value total = sums[0];
  Value inverse =
      e.splat(shape.f32VectorType(),
              softmax::inverseSum(e, total, softmax::nonEmpty(e, total)));
  Value stores = e.andI(
      active, e.andI(e.ult(qHead, numQHeads),
                     e.cmp(arith::CmpIPredicate::eq, member, e.index(0))));
  for (size_t t = 0; t < units.size(); ++t)
    e.ifThen(e.andI(stores, holdsUnit(t)), [&] {
      e.storeVector(
          e.truncTo(shape.elementType, e.mulF(sums[t + 1], inverse)),
          arg(kCombineOut),
          {row, qHead, e.mul(units[t], e.index(shape.vectorWidth()))});
    });
}

} // namespace

gpu::GPUFuncOp
kvcache::gpukernels::buildCombineKernel(OpBuilder &b, Location loc,
                                        StringRef name, TypeRange argTypes,
                                        const KernelShape &shape) {
  int64_t warps = combineWarpsPerBlock(shape);
  auto workgroup =
      gpu::AddressSpaceAttr::get(b.getContext(), gpu::AddressSpace::Workgroup);
  Type f32 = b.getF32Type();
  SmallVector<Type> buffers = {
      MemRefType::get({warps * shape.valueDim}, f32, nullptr, workgroup),
      MemRefType::get({warps}, f32, nullptr, workgroup)};
  auto kernel = createKernel(b, loc, name, argTypes, buffers, shape.blockSize);
  Emitter e(b, loc);
  HeadMerge merge(e, shape, kernel);
  // One partition wrote `out` directly. Uniform over the grid, so the
  // shuffles and the barrier run in whole warps and CTAs.
  e.ifThen(e.cmp(arith::CmpIPredicate::ugt, merge.numPartitions, e.index(1)),
           [&] { merge.emit(); });
  return kernel;
}
