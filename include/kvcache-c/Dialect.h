//===- Dialect.h - C API for the kvcache dialect ------------------*- C -*-===//
//
// The C interface of the kvcache dialect: registration of the dialect and its
// passes, and construction and inspection of the `!kvcache.inputs` bundle
// type. Follows the upstream MLIR C API conventions (mlir-c/IR.h): values are
// passed as opaque handles, a null handle (mlirTypeIsNull) signals failure,
// and strings are non-owning MlirStringRefs.
//
// The core MLIR C API (mlirContextCreate, mlirTypeParseGet, ...) comes from
// MLIR's MLIRCAPIIR library; KVCache::CAPI links its objects against the
// shared libMLIR.so, so a C program needs only KVCache::CAPI.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_C_DIALECT_H
#define KVCACHE_C_DIALECT_H

#include <stdbool.h>
#include <stdint.h>

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

/// Declares `MlirDialectHandle mlirGetDialectHandle__kvcache__(void)`, the
/// handle of the kvcache dialect. Register it with
/// `mlirDialectHandleRegisterDialect(handle, ctx)` (or insert it into a
/// registry with `mlirDialectHandleInsertDialect`) and load it with
/// `mlirDialectHandleLoadDialect` or `mlirContextGetOrLoadDialect(ctx,
/// mlirStringRefCreateFromCString("kvcache"))`.
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(KVCache, kvcache);

/// Registers the kvcache passes (kvcache-drop-optional-fields,
/// kvcache-expand-inputs, kvcache-pack-inputs) with the global pass registry,
/// so that textual pipelines (mlirParsePassPipeline,
/// mlirOpPassManagerAddPipeline) can name them. Idempotent.
MLIR_CAPI_EXPORTED void mlirKVCacheRegisterPasses(void);

//===----------------------------------------------------------------------===//
// InputsType: !kvcache.inputs<name: type, ...>
//===----------------------------------------------------------------------===//

/// Returns true if `type` is a `!kvcache.inputs` bundle type.
MLIR_CAPI_EXPORTED bool mlirTypeIsAKVCacheInputs(MlirType type);

/// Returns the `!kvcache.inputs` type with the given fields in context `ctx`
/// (the kvcache dialect must be loaded). `fieldNames` and `fieldTypes` are
/// arrays of `numFields` elements: the ABI names of the present fields
/// (`kv_blocks`, `cache_lengths`, ...), in ABI order, and their types.
///
/// On an invalid field list (an unknown name, a duplicate or out-of-order
/// field, a null field type, or any other rule of the type's verifier) emits
/// an error diagnostic on the context, at an unknown location (a handler
/// attached with mlirContextAttachDiagnosticHandler receives it), and returns
/// a null type (mlirTypeIsNull).
MLIR_CAPI_EXPORTED MlirType mlirKVCacheInputsTypeGet(
    MlirContext ctx, intptr_t numFields, MlirStringRef const *fieldNames,
    MlirType const *fieldTypes);

/// Returns the number of present fields of a `!kvcache.inputs` type.
MLIR_CAPI_EXPORTED intptr_t mlirKVCacheInputsTypeGetNumFields(MlirType type);

/// Returns the ABI name of the present field at position `pos` (0 <= pos <
/// mlirKVCacheInputsTypeGetNumFields(type)) of a `!kvcache.inputs` type. The
/// string is owned by the library, lives for the whole program and is
/// null-terminated.
MLIR_CAPI_EXPORTED MlirStringRef
mlirKVCacheInputsTypeGetFieldName(MlirType type, intptr_t pos);

/// Returns the type of the present field at position `pos` (0 <= pos <
/// mlirKVCacheInputsTypeGetNumFields(type)) of a `!kvcache.inputs` type.
MLIR_CAPI_EXPORTED MlirType mlirKVCacheInputsTypeGetFieldType(MlirType type,
                                                              intptr_t pos);

/// Returns the number of flat values a `!kvcache.inputs` value expands to
/// (kvcache-expand-inputs): one per present field.
MLIR_CAPI_EXPORTED intptr_t
mlirKVCacheInputsTypeGetNumFlatValues(MlirType type);

/// Returns true if a `!kvcache.inputs` type is a multi-head latent attention
/// cache (kv_blocks dim 1, kv_dim, is 1).
MLIR_CAPI_EXPORTED bool mlirKVCacheInputsTypeIsMLA(MlirType type);

/// Returns true if a `!kvcache.inputs` type holds an 8-bit float cache
/// (kv_blocks element type f8E4M3FN, dequantised with kv_scales).
MLIR_CAPI_EXPORTED bool mlirKVCacheInputsTypeIsFP8(MlirType type);

#ifdef __cplusplus
}
#endif

#endif // KVCACHE_C_DIALECT_H
