//===- Emitter.h - IR emission helpers shared by the lowerings --*- C++ -*-===//
//
// Small helpers that emit arith/scf/memref/vector IR at one insertion point,
// so the loop and kernel builders read as the math they compute. What is
// target-specific (a max that NVVM lowers without libdevice, exp2 vs exp,
// shuffles) lives in each lowering's own emitter, derived from this one.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_EMITTER_H
#define KVCACHE_LIB_CONVERSION_EMITTER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace kvcache::conversion {

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
  Value orI(Value x, Value y);
  Value xorI(Value x, Value y);
  Value select(Value condition, Value x, Value y);

  // Float arithmetic, scalar or vector.
  Value addF(Value x, Value y);
  Value subF(Value x, Value y);
  Value mulF(Value x, Value y);
  Value divF(Value x, Value y);
  Value cmpF(mlir::arith::CmpFPredicate predicate, Value x, Value y);
  Value splat(mlir::VectorType type, Value scalar);
  Value extract(Value vector, int64_t position);
  /// Extends a float vector or scalar to f32 (a no-op on f32).
  Value extToF32(Value value);
  /// Truncates an f32 vector or scalar to `elementType`.
  Value truncTo(mlir::Type elementType, Value value);

  // Memory.
  Value load(Value memref, mlir::ValueRange indices);
  /// An i32 field element, read as unsigned (MAX's uint32).
  Value loadUnsigned(Value memref, mlir::ValueRange indices);
  void store(Value value, Value memref, mlir::ValueRange indices);
  Value dim(Value memref, int64_t dimension);

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

} // namespace kvcache::conversion

#endif // KVCACHE_LIB_CONVERSION_EMITTER_H
