//===- InitAll.cpp - Register the kvcache dialect and passes --------------===//

#include "kvcache/InitAll.h"

#include "kvcache/Conversion/KVCacheToGPU.h"
#include "kvcache/Conversion/Passes.h"
#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "kvcache/Dialect/KVCache/Transforms/BufferizableOpInterfaceImpl.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"
#include "kvcache/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"

void kvcache::registerKVCacheDialect(mlir::DialectRegistry &registry) {
  registry.insert<KVCacheDialect>();
  registerBufferizableOpInterfaceExternalModels(registry);
}

void kvcache::registerAllDialects(mlir::DialectRegistry &registry) {
  registerKVCacheDialect(registry);
  // Every upstream dialect with its external models (bufferization,
  // deallocation, value bounds, tiling, ...) and extensions (inliner,
  // convert-to-llvm, ...), as the stock mlir-opt registers them: a graph
  // compiler's graph mixes kvcache ops with any of them, and it behaves the
  // same here as in mlir-opt with the plugin. Dialects load lazily, so the
  // registry costs nothing until a graph uses one.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // The NVVM target and the LLVM IR translations that gpu-module-to-binary
  // and the host-code translation need.
  registerGPUKernelLoweringDependencies(registry);
  mlir::gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
}

void kvcache::registerAllPasses() {
  mlir::registerAllPasses();
  registerKVCachePasses();
  registerKVCacheConversionPasses();
  registerKVCachePipelines();
}
