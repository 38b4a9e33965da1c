//===- KVCachePlugin.cpp - kvcache as an mlir-opt plugin ------------------===//
//
// Loaded by a stock mlir-opt with --load-dialect-plugin: registers the kvcache
// dialect and its passes (reachable through --pass-pipeline=...). The same
// file also works with --load-pass-plugin.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Conversion/Passes.h"
#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "kvcache/Dialect/KVCache/Transforms/BufferizableOpInterfaceImpl.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"
#include "kvcache/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "KVCachePlugin", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            registry->insert<kvcache::KVCacheDialect>();
            kvcache::registerBufferizableOpInterfaceExternalModels(*registry);
            kvcache::registerKVCachePasses();
            kvcache::registerKVCacheConversionPasses();
            kvcache::registerKVCachePipelines();
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "KVCachePlugin", LLVM_VERSION_STRING, []() {
            kvcache::registerKVCachePasses();
            kvcache::registerKVCacheConversionPasses();
            kvcache::registerKVCachePipelines();
          }};
}
