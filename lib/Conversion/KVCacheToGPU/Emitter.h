//===- Emitter.h - IR emission helpers for the GPU lowering -----*- C++ -*-===//
//
// The shared emitter (lib/Conversion/Emitter.h) plus what kernels need:
// math that NVVM lowers without libdevice, 16-byte vector accesses, thread
// ids, barriers and warp shuffles.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_EMITTER_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_EMITTER_H

#include "../Emitter.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace kvcache::gpukernels {

using mlir::Value;

struct Emitter : conversion::Emitter {
  using conversion::Emitter::Emitter;

  // f32 math that lowers to single PTX instructions.
  Value maxF(Value x, Value y);
  Value fma(Value x, Value y, Value z);
  /// 2^x with NVVM's `ex2.approx.ftz.f32`: no libdevice, one SFU op.
  Value exp2(Value x);
  /// log2(x) with NVVM's `lg2.approx.ftz.f32`.
  Value log2(Value x);

  /// A 16-byte vector access; the alignment is what makes it one 128-bit
  /// instruction instead of one access per element.
  Value loadVector(mlir::VectorType type, Value memref,
                   mlir::ValueRange indices);
  void storeVector(Value value, Value memref, mlir::ValueRange indices);

  Value threadId();
  Value blockId(mlir::gpu::Dimension dimension);
  Value gridDim(mlir::gpu::Dimension dimension);
  void barrier();
  /// A barrier that also ORs `predicate` (i1) over the CTA's threads
  /// (`bar.red.or.pred`, CUDA's __syncthreads_or): every thread gets the OR.
  Value barrierOr(Value predicate);
  /// `value` (a scalar or a vector of 32-bit elements) from lane
  /// `lane ^ offset` of the warp.
  Value shuffleXor(Value value, int64_t offset);
  /// `value` from lane `lane` (an index, below 32) of the warp; lanes may
  /// read different lanes.
  Value shuffleIdx(Value value, Value lane);
  /// Sums `value` over aligned groups of `width` lanes (a power of two).
  Value groupSum(Value value, int64_t width);
  /// The maximum of `value` over aligned groups of `width` lanes.
  Value groupMax(Value value, int64_t width);

  /// Records a page id past the pool at (request, position) in the fault
  /// word (a memref<1xi64>): an atomic unsigned max of
  /// abi::encodeFaultWord(request, position), which keeps the smallest pair.
  void recordPageFault(Value faultWord, Value request, Value position);

  Value bitcast(mlir::Type type, Value value);
  /// Element `i` of `x` and element `j` of `y` (16-bit floats) packed into
  /// an i32, x's in the low half: one PTX prmt.
  Value pack16(Value x, int64_t i, Value y, int64_t j);
  /// One warp-wide tensor-core product D = A * B + C: PTX's
  /// mma.sync.m16n8k16 with A 16x16 row-major, B 16x8 column-major, both
  /// of `elementType` (bf16 or f16) packed two per i32 (a: 4, b: 2), and
  /// f32 accumulators (c: 4). Which elements each lane holds is PTX's
  /// fragment layout, kvcache/ABI/MmaFragments.h.
  llvm::SmallVector<Value, 4> mma16816(mlir::Type elementType,
                                       mlir::ArrayRef<Value> a,
                                       mlir::ArrayRef<Value> b,
                                       mlir::ArrayRef<Value> c);
};

} // namespace kvcache::gpukernels

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_EMITTER_H
