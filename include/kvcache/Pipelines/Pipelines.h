//===- Pipelines.h - End-to-end kvcache pipelines ---------------*- C++ -*-===//
//
// The pass pipelines, as a C++ API that tools and embedders both call (and as
// registered pipelines for kvcache-opt and the plugin).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_PIPELINES_PIPELINES_H
#define KVCACHE_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace kvcache {

struct FlattenPipelineOptions
    : public mlir::PassPipelineOptions<FlattenPipelineOptions> {
  Option<bool> kernelABI{
      *this, "kernel-abi",
      llvm::cl::desc("Drop the four dispatch fields (MAX's kernel ABI)"),
      llvm::cl::init(false)};
  Option<bool> publicFunctions{
      *this, "public-functions",
      llvm::cl::desc("Also prune unread fields from public signatures"),
      llvm::cl::init(false)};
};

/// What a graph compiler runs to hand a module to a runtime: prune optional
/// fields nothing reads, then flatten every bundle into annotated arguments
/// (`kvcache-drop-optional-fields,kvcache-expand-inputs`).
void buildFlattenPipeline(mlir::OpPassManager &pm,
                          const FlattenPipelineOptions &options = {});

/// Registers `kvcache-flatten`.
void registerKVCachePipelines();

} // namespace kvcache

#endif // KVCACHE_PIPELINES_PIPELINES_H
