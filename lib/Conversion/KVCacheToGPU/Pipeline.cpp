//===- Pipeline.cpp - From kvcache kernels to a cubin ---------------------===//

#include "kvcache/Conversion/KVCacheToGPU.h"

#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;

StringRef kvcache::ptxFeaturesForChip(StringRef chip) {
  // LLVM's default PTX version for a chip can be older than the chip needs
  // (sm_90a needs PTX 8.0); Blackwell chips need PTX 8.6.
  if (chip.starts_with("sm_10") || chip.starts_with("sm_11") ||
      chip.starts_with("sm_12"))
    return "+ptx86";
  return "+ptx80";
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
