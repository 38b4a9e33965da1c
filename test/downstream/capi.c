/*===- capi.c - A C user of an installed kvcache-mlir ---------------------===*\
|*                                                                            *|
|* The README's C API walkthrough as a program, built against an installed    *|
|* prefix with KVCache::CAPI: register the dialect, build an !kvcache.inputs  *|
|* type from field names and types, query it, take the error path, and run    *|
|* kvcache-expand-inputs by name.                                             *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "kvcache-c/Dialect.h"

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"

#include <stdio.h>

static void print(MlirStringRef text, void *userData) {
  (void)userData;
  fwrite(text.data, 1, text.length, stdout);
}

/* An invalid field list returns a null type and reports why here. */
static MlirLogicalResult onDiagnostic(MlirDiagnostic diagnostic,
                                      void *userData) {
  (void)userData;
  printf("diagnostic: ");
  mlirDiagnosticPrint(diagnostic, print, NULL);
  printf("\n");
  return mlirLogicalResultSuccess();
}

static MlirType inputsType(MlirContext ctx, const char *const names[],
                           const char *const types[], intptr_t numFields) {
  MlirStringRef fieldNames[9];
  MlirType fieldTypes[9];
  for (intptr_t i = 0; i < numFields; ++i) {
    fieldNames[i] = mlirStringRefCreateFromCString(names[i]);
    fieldTypes[i] =
        mlirTypeParseGet(ctx, mlirStringRefCreateFromCString(types[i]));
  }
  return mlirKVCacheInputsTypeGet(ctx, numFields, fieldNames, fieldTypes);
}

int main(void) {
  MlirContext ctx = mlirContextCreate();
  MlirDialectHandle kvcache = mlirGetDialectHandle__kvcache__();
  mlirDialectHandleRegisterDialect(kvcache, ctx);
  mlirDialectHandleLoadDialect(kvcache, ctx);
  mlirContextAttachDiagnosticHandler(ctx, onDiagnostic, NULL, NULL);

  const char *const names[] = {"kv_blocks", "cache_lengths", "lookup_table",
                               "max_lengths"};
  const char *const types[] = {"memref<?x2x32x128x8x128xbf16>", "memref<?xi32>",
                               "memref<?x?xi32>", "memref<?x2xi32>"};
  MlirType kv = inputsType(ctx, names, types, 4);
  mlirTypePrint(kv, print, NULL);
  printf("\n");
  for (intptr_t i = 0; i < mlirKVCacheInputsTypeGetNumFields(kv); ++i) {
    MlirStringRef name = mlirKVCacheInputsTypeGetFieldName(kv, i);
    printf("field %d: %s\n", (int)i, name.data); /* null-terminated */
  }
  printf("flat values: %d, mla: %d, fp8: %d\n",
         (int)mlirKVCacheInputsTypeGetNumFlatValues(kv),
         mlirKVCacheInputsTypeIsMLA(kv), mlirKVCacheInputsTypeIsFP8(kv));

  const char *const misspelt[] = {"kv_blocks", "cache_length", "lookup_table",
                                  "max_lengths"};
  MlirType invalid = inputsType(ctx, misspelt, types, 4);
  printf("invalid is null: %d\n", mlirTypeIsNull(invalid));

  mlirKVCacheRegisterPasses();
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      mlirPassManagerGetAsOpPassManager(pm),
      mlirStringRefCreateFromCString("builtin.module(kvcache-expand-inputs)"),
      print, NULL);
  printf("pipeline parsed: %d\n", mlirLogicalResultIsSuccess(parsed));
  mlirPassManagerDestroy(pm);

  mlirContextDestroy(ctx);
  return 0;
}
