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

/// Registers the kvcache dialect and every upstream dialect with its external
/// interface models and extensions (what the stock mlir-opt registers: linalg,
/// tensor, bufferization, affine, ... with their bufferization models and
/// inliner interfaces), plus the GPU target and LLVM IR translations that the
/// kvcache pipelines need. The registry the tools share (kvcache-opt,
/// kvcache-compile, the LSP server).
void registerAllDialects(mlir::DialectRegistry &registry);

/// Registers the kvcache passes and pipelines and every upstream pass
/// (one-shot-bufferize, the buffer deallocation passes, linalg, ...). (The
/// kvcache passes alone: `registerKVCachePasses()` from Transforms/Passes.h;
/// the pipelines alone: `registerKVCachePipelines()` from
/// Pipelines/Pipelines.h.)
void registerAllPasses();

} // namespace kvcache

#endif // KVCACHE_INITALL_H
