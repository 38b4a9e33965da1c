//===- Emitter.h - IR emission helpers for the GPU lowering -----*- C++ -*-===//
//
// Small helpers that emit arith/scf/memref/vector/gpu IR at one insertion
// point, so the kernel and host builders read as the math they compute.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_EMITTER_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_EMITTER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"

namespace kvcache::gpukernels {

using mlir::Value;

/// Emits IR at the builder's insertion point. Integer helpers work on
/// `index` (64-bit after lowering), so page × stride products never wrap.
struct Emitter {
  mlir::OpBuilder &b;
  mlir::Location loc;

  Emitter(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}

  // Constants.
  Value index(int64_t value);
  Value i32(int32_t value);
  Value f32(float value);
  Value zeros(mlir::VectorType type);

  // Index arithmetic (unsigned where it matters: lengths are unsigned).
  Value add(Value x, Value y);
  Value sub(Value x, Value y);
  Value mul(Value x, Value y);
  Value divU(Value x, Value y);
  Value remU(Value x, Value y);
  Value ceilDivU(Value x, Value y);
  Value minU(Value x, Value y);
  Value maxU(Value x, Value y);
  Value cmp(mlir::arith::CmpIPredicate predicate, Value x, Value y);
  Value ult(Value x, Value y) {
    return cmp(mlir::arith::CmpIPredicate::ult, x, y);
  }
  Value andI(Value x, Value y);
  Value select(Value condition, Value x, Value y);

  // f32 arithmetic, scalar or vector.
  Value addF(Value x, Value y);
  Value subF(Value x, Value y);
  Value mulF(Value x, Value y);
  Value maxF(Value x, Value y);
  Value fma(Value x, Value y, Value z);
  Value cmpF(mlir::arith::CmpFPredicate predicate, Value x, Value y);
  Value splat(mlir::VectorType type, Value scalar);
  Value extract(Value vector, int64_t position);
  /// Extends a float vector or scalar to f32 (a no-op on f32).
  Value extToF32(Value value);
  /// Truncates an f32 vector or scalar to `elementType`.
  Value truncTo(mlir::Type elementType, Value value);
  /// 2^x with NVVM's `ex2.approx.ftz.f32`: no libdevice, one SFU op.
  Value exp2(Value x);
  /// log2(x) with NVVM's `lg2.approx.ftz.f32`.
  Value log2(Value x);

  // Memory.
  Value load(Value memref, mlir::ValueRange indices);
  /// An i32 field element, read as unsigned (MAX's uint32).
  Value loadUnsigned(Value memref, mlir::ValueRange indices);
  void store(Value value, Value memref, mlir::ValueRange indices);
  /// A 16-byte vector access; the alignment is what makes it one 128-bit
  /// instruction instead of one access per element.
  Value loadVector(mlir::VectorType type, Value memref,
                   mlir::ValueRange indices);
  void storeVector(Value value, Value memref, mlir::ValueRange indices);
  Value dim(Value memref, int64_t dimension);

  // GPU.
  Value threadId();
  Value blockId(mlir::gpu::Dimension dimension);
  Value gridDim(mlir::gpu::Dimension dimension);
  void barrier();
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

  // Structured control flow. Bodies emit through this emitter's builder.
  using LoopBody =
      llvm::function_ref<llvm::SmallVector<Value>(Value, mlir::ValueRange)>;
  llvm::SmallVector<Value> loop(Value lb, Value ub, Value step,
                                mlir::ValueRange inits, LoopBody body);
  void loop(Value lb, Value ub, Value step,
            llvm::function_ref<void(Value)> body);
  void ifThen(Value condition, llvm::function_ref<void()> body);
  void ifThenElse(Value condition, llvm::function_ref<void()> thenBody,
                  llvm::function_ref<void()> elseBody);
  llvm::SmallVector<Value>
  ifThenElse(Value condition, mlir::TypeRange resultTypes,
             llvm::function_ref<llvm::SmallVector<Value>()> thenBody,
             llvm::function_ref<llvm::SmallVector<Value>()> elseBody);
};

} // namespace kvcache::gpukernels

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_EMITTER_H
