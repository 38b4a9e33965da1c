//===- Plan.cpp - How each kernel tiles its problem -----------------------===//

#include "Plan.h"

#include "llvm/Support/MathExtras.h"

#include <algorithm>

using namespace kvcache::gpukernels;

namespace {

/// CTAs per SM a tensor-core decode kernel holding `halves` halves of rows
/// is built for: 16 keys of K and V per lane in flight take 64 registers,
/// the accumulators of a half 32 and q 16; three CTAs (168 registers) fit
/// one half on sm_90, while sm_80's ptxas spills there and gets two, as do
/// two halves (twice the accumulators). Either keeps 32+ KiB of K/V loads
/// in flight per SM.
int64_t mmaBlocksPerSM(const KernelShape &shape, int64_t halves) {
  int64_t ctas = shape.smVersion >= 90 && halves == 1 ? 3 : 2;
  return std::max<int64_t>(1, ctas * 128 / shape.blockSize);
}

/// f32 partials a combine lane keeps in flight per step: 64 registers,
/// which keeps the kernel spill-free next to the rest of its state.
constexpr int64_t kPartialFloatsInFlight = 64;

} // namespace

DecodePlan kvcache::gpukernels::planDecode(const KernelShape &shape,
                                           bool multiToken) {
  DecodePlan plan;
  int64_t vectors = shape.vectorsPerRow();
  while (plan.threadsPerKey < 32 && vectors % (plan.threadsPerKey * 2) == 0)
    plan.threadsPerKey *= 2;
  plan.vectorsPerThread = vectors / plan.threadsPerKey;
  plan.warps = shape.blockSize / 32;
  plan.keysPerStep = plan.warps * (32 / plan.threadsPerKey);
  // A row costs 2 · lanesPerThread registers (q and the accumulator); eight
  // rows of eight lanes is what fits without spilling. A one-token query
  // has exactly `group` rows: chunks of that size waste no lanes.
  int64_t lanesPerThread = plan.vectorsPerThread * shape.vectorWidth();
  int64_t maxRows = std::clamp<int64_t>(64 / lanesPerThread, 1, 8);
  plan.rowsPerChunk =
      multiToken ? maxRows : std::min(shape.groupSize(), maxRows);
  // Two keys per step keep more loads in flight, unless the rows already
  // fill the registers.
  plan.unroll = plan.rowsPerChunk * lanesPerThread >= 64 ? 1 : 2;
  // Decode is bound by memory latency: more resident warps keep more loads
  // in flight. When the rows' state is small, ask for 128 registers per
  // thread (four 128-thread CTAs per SM) instead of the ~170 ptxas takes on
  // its own; larger states would spill.
  if (plan.rowsPerChunk * (2 * lanesPerThread + 2) <= 72)
    plan.minBlocksPerSM = decodeBlocksPerSM(shape);
  int64_t values = plan.rowsPerChunk * plan.unroll;
  plan.scatter = llvm::isPowerOf2_64(plan.rowsPerChunk) &&
                 llvm::isPowerOf2_64(plan.unroll) &&
                 values <= plan.threadsPerKey;
  if (plan.scatter) {
    int64_t laneBits = llvm::Log2_64(plan.threadsPerKey);
    plan.rowShift = laneBits - llvm::Log2_64(plan.rowsPerChunk);
    plan.keyShift = laneBits - llvm::Log2_64(values);
  }
  return plan;
}

int64_t kvcache::gpukernels::decodeBlocksPerSM(const KernelShape &shape) {
  // Four 128-thread CTAs: 128 registers per thread.
  return std::max<int64_t>(1, 4 * 128 / shape.blockSize);
}

DecodeMmaPlan kvcache::gpukernels::planDecodeMma(const KernelShape &shape,
                                                 bool multiToken) {
  DecodeMmaPlan plan;
  // A one-token chunk holds the GQA group, up to two halves.
  plan.rows = multiToken ? 2 * kMmaHalfRows
                         : std::min(shape.groupSize(), 2 * kMmaHalfRows);
  plan.halves = llvm::divideCeil(plan.rows, kMmaHalfRows);
  plan.kWords = shape.headDim / 32;
  plan.vChunks = shape.headDim / 64;
  plan.mTiles = shape.headDim / 16;
  plan.blocksPerSM = mmaBlocksPerSM(shape, plan.halves);
  return plan;
}

int64_t kvcache::gpukernels::decodeMmaBlocksPerSM(const KernelShape &shape) {
  return planDecodeMma(shape, /*multiToken=*/false).blocksPerSM;
}

int64_t
kvcache::gpukernels::decodeMultiMmaBlocksPerSM(const KernelShape &shape) {
  return planDecodeMma(shape, /*multiToken=*/true).blocksPerSM;
}

PrefillPlan kvcache::gpukernels::planPrefill(const KernelShape &shape) {
  PrefillPlan plan;
  int64_t vectors = shape.vectorsPerRow();
  // About 32 lanes of q and accumulator per thread: enough work per
  // shuffle, few enough registers.
  int64_t maxVectorsPerThread = std::max<int64_t>(1, 32 / shape.vectorWidth());
  while (plan.threadsPerRow < 32 && vectors % (plan.threadsPerRow * 2) == 0 &&
         vectors / plan.threadsPerRow > maxVectorsPerThread)
    plan.threadsPerRow *= 2;
  plan.vectorsPerThread = vectors / plan.threadsPerRow;
  plan.rowsPerBlock = shape.blockSize / plan.threadsPerRow;
  // K and V tiles of at most 16 KiB each (static workgroup memory stays
  // under 48 KiB), at most 32 keys (their scores live in registers).
  int64_t keyBytes = shape.headDim * shape.elementBytes();
  while (plan.tileKeys < 32 && 2 * plan.tileKeys * keyBytes <= 16384)
    plan.tileKeys *= 2;
  return plan;
}

int64_t kvcache::gpukernels::prefillRowsPerBlock(const KernelShape &shape) {
  return planPrefill(shape).rowsPerBlock;
}

CombinePlan kvcache::gpukernels::planCombine(const KernelShape &shape) {
  CombinePlan plan;
  plan.units = shape.valueVectorsPerRow();
  plan.partitionLanes =
      plan.units <= 32 && 32 % plan.units == 0 ? 32 / plan.units : 1;
  plan.unitsPerLane =
      plan.partitionLanes > 1 ? 1 : llvm::divideCeil(plan.units, 32);
  plan.loadsPerStep = std::clamp<int64_t>(
      kPartialFloatsInFlight / (plan.unitsPerLane * shape.vectorWidth()), 1, 8);
  return plan;
}

int64_t
kvcache::gpukernels::combinePartitionsPerWarp(const KernelShape &shape) {
  CombinePlan plan = planCombine(shape);
  return plan.partitionLanes * plan.loadsPerStep;
}
