/*===- kvcache-capi-test.c - Test of the kvcache C API --------------------===*\
|*                                                                            *|
|* A C program (not C++) that drives include/kvcache-c/Dialect.h: dialect     *|
|* registration through its handle, building and inspecting !kvcache.inputs   *|
|* types, the error path with diagnostics, and pass registration. Its output  *|
|* is checked by capi.test.                                                   *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "kvcache-c/Dialect.h"

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"

#include <stdio.h>
#include <stdlib.h>

static void printToStdout(MlirStringRef str, void *userData) {
  (void)userData;
  fwrite(str.data, 1, str.length, stdout);
}

static const char *severityName(MlirDiagnosticSeverity severity) {
  switch (severity) {
  case MlirDiagnosticError:
    return "error";
  case MlirDiagnosticWarning:
    return "warning";
  case MlirDiagnosticNote:
    return "note";
  case MlirDiagnosticRemark:
    return "remark";
  }
  return "unknown";
}

/* Prints every diagnostic of the context and counts them. */
static MlirLogicalResult handleDiagnostic(MlirDiagnostic diagnostic,
                                          void *userData) {
  ++*(int *)userData;
  printf("diagnostic %s: ",
         severityName(mlirDiagnosticGetSeverity(diagnostic)));
  mlirDiagnosticPrint(diagnostic, printToStdout, NULL);
  printf("\n");
  return mlirLogicalResultSuccess();
}

static void check(int condition, const char *what) {
  if (!condition) {
    fprintf(stderr, "FAILED: %s\n", what);
    exit(1);
  }
}

/* Builds an !kvcache.inputs type from field names and textual field types. */
static MlirType buildInputs(MlirContext ctx, intptr_t numFields,
                            const char *const *names,
                            const char *const *types) {
  MlirStringRef fieldNames[16];
  MlirType fieldTypes[16];
  check(numFields <= 16, "at most 16 fields");
  for (intptr_t i = 0; i < numFields; ++i) {
    fieldNames[i] = mlirStringRefCreateFromCString(names[i]);
    fieldTypes[i] =
        mlirTypeParseGet(ctx, mlirStringRefCreateFromCString(types[i]));
    check(!mlirTypeIsNull(fieldTypes[i]), "field type parses");
  }
  return mlirKVCacheInputsTypeGet(ctx, numFields, fieldNames, fieldTypes);
}

/* Prints a type and everything the C API says about it. */
static void describe(const char *label, MlirType type) {
  printf("%s: ", label);
  mlirTypePrint(type, printToStdout, NULL);
  printf("\n");
  check(mlirTypeIsAKVCacheInputs(type), "an inputs type");
  intptr_t numFields = mlirKVCacheInputsTypeGetNumFields(type);
  printf("  isa inputs: %d\n", (int)mlirTypeIsAKVCacheInputs(type));
  printf("  fields: %d\n", (int)numFields);
  for (intptr_t i = 0; i < numFields; ++i) {
    MlirStringRef name = mlirKVCacheInputsTypeGetFieldName(type, i);
    printf("  field %d: %.*s : ", (int)i, (int)name.length, name.data);
    mlirTypePrint(mlirKVCacheInputsTypeGetFieldType(type, i), printToStdout,
                  NULL);
    printf("\n");
  }
  printf("  flat values: %d\n",
         (int)mlirKVCacheInputsTypeGetNumFlatValues(type));
  printf("  mla: %d\n", (int)mlirKVCacheInputsTypeIsMLA(type));
  printf("  fp8: %d\n", (int)mlirKVCacheInputsTypeIsFP8(type));
}

static void testValid(MlirContext ctx) {
  static const char *const mhaNames[] = {"kv_blocks", "cache_lengths",
                                         "lookup_table", "max_lengths",
                                         "attention_dispatch_metadata"};
  static const char *const mhaTypes[] = {"memref<?x2x32x128x8x128xbf16>",
                                         "memref<?xi32>", "memref<?x?xi32>",
                                         "memref<?x2xi32>", "memref<4xi64>"};
  MlirType mha = buildInputs(ctx, 5, mhaNames, mhaTypes);
  check(!mlirTypeIsNull(mha), "the MHA type is valid");
  describe("mha", mha);

  /* Types are uniqued: the same fields give the same type. */
  MlirType again = buildInputs(ctx, 5, mhaNames, mhaTypes);
  printf("  uniqued: %d\n", (int)mlirTypeEqual(mha, again));

  static const char *const mlaNames[] = {
      "kv_blocks",         "cache_lengths", "lookup_table",
      "max_lengths",       "kv_scales",     "attention_dispatch_metadata",
      "mla_num_partitions"};
  static const char *const mlaTypes[] = {"memref<?x1x4x64x1x576xf8E4M3FN>",
                                         "tensor<?xi32>",
                                         "tensor<?x?xi32>",
                                         "tensor<?x2xi32>",
                                         "memref<?x1x4x64x1x9xf32>",
                                         "memref<3xi64>",
                                         "tensor<1xi64>"};
  MlirType mla = buildInputs(ctx, 7, mlaNames, mlaTypes);
  check(!mlirTypeIsNull(mla), "the MLA FP8 type is valid");
  describe("mla-fp8", mla);

  /* A type parsed from text is the same type. */
  MlirType parsed = mlirTypeParseGet(
      ctx, mlirStringRefCreateFromCString(
               "!kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, "
               "cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, "
               "max_lengths: memref<?x2xi32>, attention_dispatch_metadata: "
               "memref<4xi64>>"));
  printf("parsed equals built: %d\n", (int)mlirTypeEqual(parsed, mha));

  MlirType i32 = mlirTypeParseGet(ctx, mlirStringRefCreateFromCString("i32"));
  printf("i32 isa inputs: %d\n", (int)mlirTypeIsAKVCacheInputs(i32));
}

static void testInvalid(MlirContext ctx, int *numDiagnostics) {
  /* Fields out of ABI order. */
  static const char *const orderNames[] = {"kv_blocks", "lookup_table",
                                           "cache_lengths", "max_lengths"};
  static const char *const orderTypes[] = {"memref<?x2x32x128x8x128xbf16>",
                                           "memref<?x?xi32>", "memref<?xi32>",
                                           "memref<?x2xi32>"};
  printf("out-of-order:\n");
  MlirType type = buildInputs(ctx, 4, orderNames, orderTypes);
  printf("  null: %d\n", (int)mlirTypeIsNull(type));

  /* A name that is not an ABI field. */
  static const char *const unknownNames[] = {"kv_blocks", "cache_length",
                                             "lookup_table", "max_lengths"};
  static const char *const unknownTypes[] = {"memref<?x2x32x128x8x128xbf16>",
                                             "memref<?xi32>", "memref<?x?xi32>",
                                             "memref<?x2xi32>"};
  printf("unknown-field:\n");
  type = buildInputs(ctx, 4, unknownNames, unknownTypes);
  printf("  null: %d\n", (int)mlirTypeIsNull(type));

  /* kv_scales on a bf16 cache. */
  static const char *const scalesNames[] = {
      "kv_blocks", "cache_lengths", "lookup_table", "max_lengths", "kv_scales"};
  static const char *const scalesTypes[] = {
      "memref<?x2x32x128x8x128xbf16>", "memref<?xi32>", "memref<?x?xi32>",
      "memref<?x2xi32>", "memref<?x2x32x128x8x1xf32>"};
  printf("kv_scales-on-bf16:\n");
  type = buildInputs(ctx, 5, scalesNames, scalesTypes);
  printf("  null: %d\n", (int)mlirTypeIsNull(type));

  /* A null field type. */
  MlirStringRef name = mlirStringRefCreateFromCString("kv_blocks");
  MlirType nullType = {NULL};
  printf("null-field-type:\n");
  type = mlirKVCacheInputsTypeGet(ctx, 1, &name, &nullType);
  printf("  null: %d\n", (int)mlirTypeIsNull(type));

  printf("diagnostics: %d\n", *numDiagnostics);
}

static void testPasses(MlirContext ctx) {
  MlirStringRef pipeline =
      mlirStringRefCreateFromCString("builtin.module(kvcache-expand-inputs)");
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirLogicalResult before = mlirParsePassPipeline(
      mlirPassManagerGetAsOpPassManager(pm), pipeline, printToStdout, NULL);
  printf("\nparse before registration: %s\n",
         mlirLogicalResultIsSuccess(before) ? "success" : "failure");
  mlirPassManagerDestroy(pm);

  mlirKVCacheRegisterPasses();
  /* Registering twice is harmless. */
  mlirKVCacheRegisterPasses();

  pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  MlirLogicalResult after =
      mlirParsePassPipeline(opm, pipeline, printToStdout, NULL);
  printf("parse after registration: %s\n",
         mlirLogicalResultIsSuccess(after) ? "success" : "failure");
  printf("pipeline: ");
  mlirPrintPassPipeline(opm, printToStdout, NULL);
  printf("\n");
  mlirPassManagerDestroy(pm);
}

int main(void) {
  MlirContext ctx = mlirContextCreate();

  MlirDialectHandle handle = mlirGetDialectHandle__kvcache__();
  MlirStringRef ns = mlirDialectHandleGetNamespace(handle);
  printf("namespace: %.*s\n", (int)ns.length, ns.data);
  mlirDialectHandleRegisterDialect(handle, ctx);
  MlirDialect dialect = mlirContextGetOrLoadDialect(ctx, ns);
  check(!mlirDialectIsNull(dialect), "the dialect loads");
  MlirStringRef loaded = mlirDialectGetNamespace(dialect);
  printf("loaded: %.*s\n", (int)loaded.length, loaded.data);

  int numDiagnostics = 0;
  MlirDiagnosticHandlerID handler = mlirContextAttachDiagnosticHandler(
      ctx, handleDiagnostic, &numDiagnostics, NULL);

  testValid(ctx);
  check(numDiagnostics == 0, "no diagnostics for valid types");
  testInvalid(ctx, &numDiagnostics);
  testPasses(ctx);

  mlirContextDetachDiagnosticHandler(ctx, handler);
  mlirContextDestroy(ctx);
  printf("done\n");
  return 0;
}
