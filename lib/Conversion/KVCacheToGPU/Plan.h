//===- Plan.h - How each kernel tiles its problem ---------------*- C++ -*-===//
//
// The tile plans: for a kernel shape (an AttentionSpec on a GpuTarget), how
// each kernel maps its problem onto threads, warps and registers, and how
// many CTAs per SM it is built for. The builders follow these plans and the
// host launch reads them (the split rule's occupancy, the prefill grid, the
// combine's warps); neither derives them on its own.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_PLAN_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_PLAN_H

#include "Kernels.h"

namespace kvcache::gpukernels {

/// The decode kernel on CUDA cores (DecodeKernel.cpp): a key row's vectors
/// over `threadsPerKey` lanes, `rowsPerChunk` query rows in registers,
/// `unroll` keys per thread per step.
struct DecodePlan {
  int64_t threadsPerKey = 1;
  int64_t vectorsPerThread = 1;
  int64_t keysPerStep = 1;
  int64_t warps = 1;
  /// Query rows per chunk (held in registers) and keys per thread per step.
  int64_t rowsPerChunk = 1;
  int64_t unroll = 2;
  /// CTAs per SM to ask ptxas for (0: let it choose).
  int64_t minBlocksPerSM = 0;
  /// The reduce-scatter step (DecodeKernel.cpp's file comment): lane bits
  /// at and above `rowShift` of a key's lanes permute rows, those from
  /// `keyShift` up to it keys.
  bool scatter = false;
  int64_t rowShift = 0, keyShift = 0;
};
DecodePlan planDecode(const KernelShape &shape, bool multiToken);

/// The decode kernel on tensor cores (DecodeMmaKernel.cpp): chunks of
/// `rows` query rows in halves of kMmaHalfRows (the N of its P·V product),
/// kMmaTileKeys keys per warp step (the K of P·V, two N tiles of Q·Kᵀ).
inline constexpr int64_t kMmaTileKeys = 16;
inline constexpr int64_t kMmaHalfRows = 8;
struct DecodeMmaPlan {
  /// Query rows per chunk, in halves of kMmaHalfRows.
  int64_t rows = 0, halves = 0;
  /// 16-byte K vectors per lane per key, V vectors per lane per key, and M
  /// tiles (16 dims each) of Oᵀ.
  int64_t kWords = 0, vChunks = 0, mTiles = 0;
  /// CTAs per SM ptxas is asked for.
  int64_t blocksPerSM = 0;
};
DecodeMmaPlan planDecodeMma(const KernelShape &shape, bool multiToken);

/// The prefill kernel (PrefillKernel.cpp): a query row's vectors over
/// `threadsPerRow` lanes, keys staged `tileKeys` at a time.
struct PrefillPlan {
  int64_t threadsPerRow = 1;
  int64_t vectorsPerThread = 1;
  int64_t rowsPerBlock = 1;
  int64_t tileKeys = 1;
};
PrefillPlan planPrefill(const KernelShape &shape);

/// The combine kernel (CombineKernel.cpp): how the lanes of a warp share
/// the (partition, unit) pairs of one head.
struct CombinePlan {
  /// Output vectors (16 bytes of the element type) per value row.
  int64_t units = 0;
  /// Lane groups of a warp that take alternate partitions: 32 / units when
  /// that divides, else 1.
  int64_t partitionLanes = 0;
  /// Units each lane accumulates (more than one when units > 32).
  int64_t unitsPerLane = 0;
  /// Partitions a lane loads per step, all in flight together.
  int64_t loadsPerStep = 0;
};
CombinePlan planCombine(const KernelShape &shape);

} // namespace kvcache::gpukernels

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_PLAN_H
