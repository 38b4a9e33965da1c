//===- StaticSize.h - Static shapes that fit in int64 -----------*- C++ -*-===//
//
// The check the bundle type and the compute ops share: every lowering and
// runtime indexes buffers with int64 element counts, strides and byte
// offsets, so a static shape whose sizes overflow int64 is rejected up front.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_DIALECT_KVCACHE_IR_STATICSIZE_H
#define KVCACHE_LIB_DIALECT_KVCACHE_IR_STATICSIZE_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

namespace kvcache {

/// Fails with an error `<what> element count overflows int64 ...` when the
/// static dims of `type` multiply past 2^63 - 1 (a zero dim counts as one:
/// the strides of the other dims must fit too), or `<what> byte size
/// overflows int64 ...` when the element count times the element's bytes
/// does. Dynamic dims are checked at run time by whoever allocates them.
mlir::LogicalResult
verifyStaticSize(llvm::function_ref<mlir::InFlightDiagnostic()> emitError,
                 llvm::StringRef what, mlir::ShapedType type);

} // namespace kvcache

#endif // KVCACHE_LIB_DIALECT_KVCACHE_IR_STATICSIZE_H
