//===- Pipelines.cpp - End-to-end kvcache pipelines -----------------------===//

#include "kvcache/Pipelines/Pipelines.h"

#include "kvcache/Dialect/KVCache/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

void kvcache::buildFlattenPipeline(mlir::OpPassManager &pm,
                                   const FlattenPipelineOptions &options) {
  DropOptionalFieldsOptions drop;
  drop.kernelABI = options.kernelABI;
  drop.publicFunctions = options.publicFunctions;
  pm.addPass(createDropOptionalFields(drop));
  pm.addPass(createExpandInputs());
}

void kvcache::registerKVCachePipelines() {
  mlir::PassPipelineRegistration<FlattenPipelineOptions>(
      "kvcache-flatten",
      "Prune unread optional fields, then flatten bundles into annotated "
      "arguments in ABI order",
      buildFlattenPipeline);
}
