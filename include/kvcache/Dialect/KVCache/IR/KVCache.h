//===- KVCache.h - The kvcache dialect --------------------------*- C++ -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_IR_KVCACHE_H
#define KVCACHE_DIALECT_KVCACHE_IR_KVCACHE_H

#include "kvcache/ABI/ABI.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "kvcache/Dialect/KVCache/IR/KVCacheDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheTypes.h.inc"

namespace kvcache {
/// The resource kvcache.inputs_per_device writes: its function's flat
/// signature (see the op's description).
struct SignatureResource
    : public mlir::SideEffects::Resource::Base<SignatureResource> {
  llvm::StringRef getName() override { return "kvcache.signature"; }
};
} // namespace kvcache

#define GET_OP_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheOps.h.inc"

namespace kvcache {

/// The argument attributes that carry the flat ABI through function
/// signatures: what kvcache-expand-inputs writes, kvcache-pack-inputs reads,
/// and kvcache-compile turns into the manifest.
namespace argattrs {
/// The ABI field a flat argument holds (a string: "lookup_table").
inline constexpr llvm::StringLiteral field = "kvcache.field";
/// The device of a flat argument or bundle argument (i64).
inline constexpr llvm::StringLiteral device = "kvcache.device";
/// The cache name, for caches other than the default one (a string).
inline constexpr llvm::StringLiteral cache = "kvcache.cache";
/// On a bundle argument: the other attributes of its fields, by field name.
inline constexpr llvm::StringLiteral fieldAttrs = "kvcache.field_attrs";
/// The name a runtime binds a non-cache argument by (a string: "q").
inline constexpr llvm::StringLiteral name = "kvcache.name";
/// A non-cache argument's role: "input", "output" or "inout".
inline constexpr llvm::StringLiteral role = "kvcache.role";
/// The compute-op operand a non-cache argument feeds ("row_offsets",
/// "query", "key", "value", "out", "layer"; bundle::ArgumentOperand).
inline constexpr llvm::StringLiteral operand = "kvcache.operand";
} // namespace argattrs

/// Parses an ABI field name (`lookup_table`), with an error that lists the
/// known names.
mlir::ParseResult parseFieldName(mlir::AsmParser &parser, abi::Field &field);
} // namespace kvcache

#endif // KVCACHE_DIALECT_KVCACHE_IR_KVCACHE_H
