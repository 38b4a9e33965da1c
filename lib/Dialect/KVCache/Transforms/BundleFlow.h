//===- BundleFlow.h - How bundles move through IR ---------------*- C++ -*-===//
//
// The operations that carry `!kvcache.inputs` values without reading them
// (signatures, calls, returns, branches, structured control flow), shared by
// the passes that rewrite bundle types.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_TRANSFORMS_BUNDLEFLOW_H
#define KVCACHE_LIB_TRANSFORMS_BUNDLEFLOW_H

#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>

namespace kvcache {

inline bool isBundle(mlir::Type type) { return mlir::isa<InputsType>(type); }

/// Whether `op` has a bundle operand or result, or a bundle argument in a
/// block of one of its regions.
bool touchesBundles(mlir::Operation *op);

/// Signatures, calls, returns, cf branches and the scf ops whose bundle
/// operands, results and region arguments the passes know how to rewrite.
bool isBundleCarrier(mlir::Operation *op);

/// Emits an error on the first operation under `module` whose types hold a
/// bundle inside another type (a function type, a tuple), which no pass can
/// rewrite. `pass` names the pass in the message. `onBundleUser`, if given,
/// sees every operation that touches a bundle.
mlir::LogicalResult checkBundleUsers(
    mlir::ModuleOp module, llvm::StringRef pass,
    llvm::function_ref<void(mlir::Operation *)> onBundleUser = nullptr);

/// The ops of `module` that reference each of its symbols (by root name),
/// found in one walk of the module's symbol uses; nothing when those uses
/// cannot all be seen (an unknown op that may be a symbol table). Unlike
/// mlir::SymbolUserMap it resolves no reference, which crashes on some
/// unregistered ops in LLVM 22.
using SymbolUsers =
    llvm::DenseMap<mlir::StringAttr, llvm::SmallVector<mlir::Operation *>>;
std::optional<SymbolUsers> collectSymbolUsers(mlir::ModuleOp module);

} // namespace kvcache

#endif // KVCACHE_LIB_TRANSFORMS_BUNDLEFLOW_H
