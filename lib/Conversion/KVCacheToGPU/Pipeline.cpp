//===- Pipeline.cpp - From kvcache kernels to a cubin ---------------------===//

#include "kvcache/Conversion/KVCacheToGPU.h"

#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;

StringRef kvcache::ptxFeaturesForChip(StringRef chip) {
  // LLVM's default PTX version for a chip can be older than the chip needs:
  // sm_90a needs PTX 8.0, Blackwell (sm_100 and newer) up to PTX 8.8.
  unsigned version = 0;
  if (chip.consume_front("sm_") &&
      !chip.take_while(llvm::isDigit).getAsInteger(10, version) &&
      version >= 100)
    return "+ptx88";
  return "+ptx80";
}

void kvcache::registerGPUKernelLoweringDependencies(DialectRegistry &registry) {
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
  registerGPUDialectTranslation(registry);
}

void kvcache::buildGPUKernelLoweringPipeline(OpPassManager &pm, StringRef chip,
                                             StringRef format) {
  gpu::GPUToNVVMPipelineOptions options;
  // Upstream's default chip (sm_50) is one CUDA 13's ptxas rejects.
  options.cubinChip = chip.str();
  options.cubinFeatures = ptxFeaturesForChip(chip).str();
  options.cubinFormat = format.str();
  gpu::buildLowerToNVVMPassPipeline(pm, options);
}
