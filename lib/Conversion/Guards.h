//===- Guards.h - Run-time bounds on the indices a caller controls -*- C++
//-*-===//
//
// The layer operand and the page ids of lookup_table come from the caller at
// run time. Both lowerings guard them the same way: an op whose layer is out
// of range touches no memory, and the host code reports it through the
// runtime's raise hook (include/kvcache/ABI/RuntimeHooks.h); a page id past
// kv_blocks' pages is never dereferenced, its keys contribute nothing, and
// the fault is reported (by the host code on the CPU, through the fault word
// from GPU kernels).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_GUARDS_H
#define KVCACHE_LIB_CONVERSION_GUARDS_H

#include "Emitter.h"

#include "kvcache/ABI/RuntimeHooks.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace kvcache::conversion {

/// `name` declared as a private function of `type` in `module`, or an error
/// naming `passName` when the module already has something else by that
/// name.
mlir::FailureOr<mlir::func::FuncOp> declareHook(mlir::ModuleOp module,
                                                llvm::StringRef name,
                                                mlir::FunctionType type,
                                                llvm::StringRef passName);

/// kvcache_runtime_raise, declared in `module`.
mlir::FailureOr<mlir::func::FuncOp> declareRaiseHook(mlir::ModuleOp module,
                                                     llvm::StringRef passName);

/// Calls the raise hook with `fault` and its arguments (index or integer
/// values; missing ones are -1).
void raise(Emitter &e, mlir::func::FuncOp raiseHook, abi::Fault fault,
           llvm::ArrayRef<Value> arguments);

/// Emits `body` under `layer < numLayers` (unsigned: a negative layer is out
/// of range too), and otherwise raises Fault::LayerOutOfRange.
void guardLayer(Emitter &e, mlir::func::FuncOp raiseHook, Value layer,
                int64_t numLayers, llvm::function_ref<void()> body);

} // namespace kvcache::conversion

#endif // KVCACHE_LIB_CONVERSION_GUARDS_H
