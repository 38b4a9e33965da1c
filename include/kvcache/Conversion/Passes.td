//===- Passes.td - kvcache conversion passes ---------------*- tablegen -*-===//

#ifndef KVCACHE_CONVERSION_PASSES_TD
#define KVCACHE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKVCacheToLoops : Pass<"convert-kvcache-to-loops", "::mlir::ModuleOp"> {
  let summary = "Lowers kvcache.store and kvcache.attention to scf loops";
  let description = [{
    The executable reference: `kvcache.store` and `kvcache.attention` become
    plain `scf.for` loops over memrefs, in f32, reading the bundle's fields
    through `kvcache.get` (run it before `kvcache-expand-inputs`). Integer
    fields are read as unsigned; page × stride addressing is 64-bit (`index`).

    Attention mirrors split-K: each request's keys are cut into `splits`
    partitions (or `attention_dispatch_metadata[2]` when the bundle has it and
    `splits` is 0; else one), each producing an f32 partial output and its
    log-sum-exp, merged with the combine math the GPU kernels use.

    MLA and 8-bit float caches, and bundles whose tensor-kind fields are
    `tensor` values, are rejected with an error naming the op.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::kvcache::KVCacheDialect"
  ];
  let options = [
    Option<"splits", "splits", "int64_t", "0",
           "Split-K partitions per request (0: from attention_dispatch_metadata "
           "when present, else 1)">,
  ];
}

#endif // KVCACHE_CONVERSION_PASSES_TD
