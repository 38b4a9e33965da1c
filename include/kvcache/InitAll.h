//===- InitAll.h - Register the kvcache dialect and passes ------*- C++ -*-===//
//
// The registration entry points for embedders: a compiler that links
// kvcache-mlir calls these on its own registry.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_INITALL_H
#define KVCACHE_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace kvcache {

/// Registers the kvcache dialect only.
void registerKVCacheDialect(mlir::DialectRegistry &registry);

/// Registers the kvcache dialect and the upstream dialects (and their
/// interface extensions) that kvcache pipelines use: func, arith, memref,
/// tensor, scf, cf, gpu, nvvm, nvgpu, llvm, vector, math.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers the kvcache passes and pipelines and the upstream passes. (The
/// kvcache passes alone: `registerKVCachePasses()` from Transforms/Passes.h;
/// the pipelines alone: `registerKVCachePipelines()` from
/// Pipelines/Pipelines.h.)
void registerAllPasses();

} // namespace kvcache

#endif // KVCACHE_INITALL_H
