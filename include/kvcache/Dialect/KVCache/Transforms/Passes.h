//===- Passes.h - kvcache passes --------------------------------*- C++ -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_TRANSFORMS_PASSES_H
#define KVCACHE_DIALECT_KVCACHE_TRANSFORMS_PASSES_H

#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace kvcache {

#define GEN_PASS_DECL
#include "kvcache/Dialect/KVCache/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kvcache/Dialect/KVCache/Transforms/Passes.h.inc"

} // namespace kvcache

#endif // KVCACHE_DIALECT_KVCACHE_TRANSFORMS_PASSES_H
