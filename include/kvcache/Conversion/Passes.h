//===- Passes.h - kvcache conversion passes ---------------------*- C++ -*-===//

#ifndef KVCACHE_CONVERSION_PASSES_H
#define KVCACHE_CONVERSION_PASSES_H

#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace kvcache {

#define GEN_PASS_DECL
#include "kvcache/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "kvcache/Conversion/Passes.h.inc"

} // namespace kvcache

#endif // KVCACHE_CONVERSION_PASSES_H
