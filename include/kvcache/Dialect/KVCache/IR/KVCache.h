//===- KVCache.h - The kvcache dialect --------------------------*- C++ -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_IR_KVCACHE_H
#define KVCACHE_DIALECT_KVCACHE_IR_KVCACHE_H

#include "kvcache/ABI/ABI.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "kvcache/Dialect/KVCache/IR/KVCacheDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheTypes.h.inc"

#define GET_OP_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheOps.h.inc"

namespace kvcache {
/// Parses an ABI field name (`lookup_table`), with an error that lists the
/// known names.
mlir::ParseResult parseFieldName(mlir::AsmParser &parser, abi::Field &field);
} // namespace kvcache

#endif // KVCACHE_DIALECT_KVCACHE_IR_KVCACHE_H
