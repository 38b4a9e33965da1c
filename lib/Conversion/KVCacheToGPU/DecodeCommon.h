//===- DecodeCommon.h - What the two decode kernels share -------*- C++ -*-===//
//
// The decode kernel comes in two builds of one algorithm: on CUDA cores
// (DecodeKernel.cpp) and on tensor cores (DecodeMmaKernel.cpp). They differ
// in how a warp turns a step of K/V into online-softmax state; they share
// everything around that, defined here once: the CTA's place in the grid
// (split, kv head, request) and its split's keys, the windows of page ids
// staged in workgroup memory, and the end of a chunk of query rows (the
// warps' states merged through workgroup memory, normalised and written to
// `out` or, with several partitions, to the split-K workspace).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_DECODECOMMON_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_DECODECOMMON_H

#include "Emitter.h"
#include "Kernels.h"
#include "OnlineSoftmax.h"
#include "PagedCache.h"

namespace kvcache::gpukernels {

using softmax::kLog2E;
using softmax::kNoScore;

/// A decode CTA's values, set up by beginDecodeKernel.
struct DecodeFrame {
  mlir::gpu::GPUFuncOp kernel;
  int64_t warps = 0;
  /// Query rows a chunk holds (the workgroup buffers' size).
  int64_t rowsPerChunk = 0;
  Value tid, lane, warp;
  Value split, kvHead, request, numPartitions;
  /// The request's first query row, cached keys, keys in all (cached + new)
  /// and query rows (tokens x group); the split's keys [splitBegin,
  /// splitEnd).
  Value first, cacheLength, numKeys, numRows, splitBegin, splitEnd;
  /// Workgroup buffers: the window's page ids, each warp's accumulators
  /// [warp][row][head_dim] and (max, sum) [warp][row][2].
  Value pageIds, warpAcc, warpMaxSum;
  /// The cache at the kernel's layer.
  PagedCache cache;

  Value arg(DecodeArg which) const {
    return mlir::gpu::GPUFuncOp(kernel).getArgument(which);
  }
};

/// Creates decode kernel `name` and emits its frame: the ids, and, in CTAs
/// whose split is active, the split's keys, then `body`. Splits are equal
/// chunks of the request's keys, rounded up to a multiple of `keyAlign`.
DecodeFrame beginDecodeKernel(Emitter &e, llvm::StringRef name,
                              mlir::TypeRange argTypes,
                              const KernelShape &shape, int64_t rowsPerChunk,
                              int64_t minBlocksPerSM, int64_t keyAlign,
                              llvm::function_ref<void(DecodeFrame &)> body);

/// For query row `flat` (token x group member) of the request: its row in
/// q/out and its query head.
std::pair<Value, Value> queryRowAndHead(Emitter &e, const DecodeFrame &frame,
                                        const KernelShape &shape, Value flat);

/// Streams the keys [splitBegin, keyEnd) a window of blockSize pages at a
/// time: stages the window's page ids in frame.pageIds (the barriers around
/// it included), then calls `body(window, windowBegin, windowEnd, offPool,
/// state)`, where `window` is the window's first page (pageIds[i] holds page
/// window + i), threading `state` through. A page id at or past
/// total_num_pages is staged as kOffPoolPage and recorded in the fault word;
/// `offPool` (an i1, the same in every thread, from the barrier that
/// publishes the ids) says the window has one, and then the body must read
/// its staged ids through stagedPage, mask such keys' scores and read their
/// V as zeros. With shape.pageGuard off, ids are staged unchecked and
/// `offPool` is false.
using WindowBody = llvm::function_ref<llvm::SmallVector<Value>(
    Value window, Value windowBegin, Value windowEnd, Value offPool,
    mlir::ValueRange state)>;
llvm::SmallVector<Value> streamWindows(Emitter &e, const DecodeFrame &frame,
                                       const KernelShape &shape, Value keyEnd,
                                       mlir::ValueRange state, WindowBody body);

/// What streamWindows stages for a page id off the pool.
inline constexpr uint32_t kOffPoolPage = 0xFFFFFFFFu;

/// A staged id (as index) in a window with a page off the pool: the page to
/// load (page 0 for kOffPoolPage, so no load leaves the pool) and whether
/// it is on the pool.
std::pair<Value, Value> stagedPage(Emitter &e, Value staged);

/// Ends a chunk of `rows` query rows starting at `chunkStart`, once every
/// warp has written its state: warpAcc[w][r][:] (unnormalised, relative to
/// the warp's max) and warpMaxSum[w][r] = (max, sum) in log2 units. Merges
/// the warps (barriers included) and writes `out` or the partials.
void finishChunk(Emitter &e, const DecodeFrame &frame, const KernelShape &shape,
                 int64_t rows, Value chunkStart);

} // namespace kvcache::gpukernels

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_DECODECOMMON_H
