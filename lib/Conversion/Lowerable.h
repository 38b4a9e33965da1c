//===- Lowerable.h - What the kvcache compute lowerings handle --*- C++ -*-===//
//
// The checks that convert-kvcache-to-loops and convert-kvcache-to-gpu share,
// so both reject the same bundles with the same words.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_LOWERABLE_H
#define KVCACHE_LIB_CONVERSION_LOWERABLE_H

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

namespace kvcache {

/// Succeeds when `op` (a kvcache.store or kvcache.attention reading a bundle
/// of `type`) is something the lowerings handle: the memref form, every field a
/// memref. Otherwise emits an error on `op` that names `passName` where it
/// helps. Whether 8-bit float and MLA caches are lowered is each lowering's
/// own question.
mlir::LogicalResult checkLowerable(mlir::Operation *op, InputsType type,
                                   llvm::StringRef passName);

} // namespace kvcache

#endif // KVCACHE_LIB_CONVERSION_LOWERABLE_H
