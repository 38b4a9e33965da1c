//===- Pipelines.cpp - End-to-end kvcache pipelines -----------------------===//

#include "kvcache/Pipelines/Pipelines.h"

#include "kvcache/Conversion/KVCacheToGPU.h"
#include "kvcache/Conversion/Passes.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"
#include "kvcache/Pipelines/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
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

void kvcache::buildCPUHighLevelPipeline(mlir::OpPassManager &pm,
                                        const CPUPipelineOptions &options) {
  // Prune first: it rewrites bundle types, which the compute ops' lowering
  // reads (and it keeps the fields those ops read). Expansion comes last:
  // it would also take the compute ops (through a kvcache.pack), but after
  // lowering nothing but kvcache.get and the declarations touch bundles, so
  // no pack is left to fold. Bufferization comes before the lowering, which
  // works on memrefs.
  pm.addPass(createDropOptionalFields());
  pm.addPass(createBufferizeGraphPass());
  ConvertKVCacheToLoopsOptions loops;
  loops.splits = options.splits;
  pm.addPass(createConvertKVCacheToLoops(loops));
  pm.addPass(createExpandInputs());
}

void kvcache::buildCPULLVMLoweringPipeline(mlir::OpPassManager &pm) {
  pm.addPass(createExportPublicFunctionsPass());
  pm.addPass(mlir::createConvertLinalgToLoopsPass());
  pm.addPass(mlir::createSCFToControlFlowPass());
  // Subviews and reinterpret casts become explicit offset/stride arithmetic
  // (with affine.apply, hence lower-affine) that the memref lowering expects.
  pm.addPass(mlir::memref::createExpandStridedMetadataPass());
  pm.addPass(mlir::createLowerAffinePass());
  // x86 has no bf16 or f16 arithmetic: LLVM would promote it through calls
  // to conversion builtins. Compute in f32 instead (math functions too),
  // rounding after every operation as the 16-bit type would.
  mlir::math::MathExtendToSupportedTypesOptions extendMath;
  pm.addPass(mlir::math::createMathExtendToSupportedTypes(extendMath));
  // The individual conversions rather than convert-to-llvm: that one finds
  // its patterns through dialect interfaces that only a fully registered
  // context provides, and embedders do not always register them all.
  pm.addPass(mlir::createConvertMathToLLVMPass());
  mlir::arith::ArithEmulateUnsupportedFloatsOptions emulate;
  emulate.sourceTypeStrs = {"bf16", "f16"};
  emulate.targetTypeStr = "f32";
  pm.addPass(mlir::arith::createArithEmulateUnsupportedFloats(emulate));
  // The casts would otherwise become calls to __truncsfbf2, __extendhfsf2
  // and __truncsfhf2, builtins that the host's libgcc may lack: expand them
  // to integer arithmetic.
  pm.addPass(createExpandF16CastsPass());
  mlir::arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(mlir::arith::createArithExpandOpsPass(expand));
  pm.addPass(mlir::createArithToLLVMConversionPass());
  pm.addPass(mlir::createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(mlir::createConvertFuncToLLVMPass());
  pm.addPass(mlir::createConvertControlFlowToLLVMPass());
  pm.addPass(mlir::createConvertIndexToLLVMPass());
  pm.addPass(mlir::createUBToLLVMConversionPass());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
  pm.addPass(createCheckLLVMLoweringPass());
}

void kvcache::buildCPUPipeline(mlir::OpPassManager &pm,
                               const CPUPipelineOptions &options) {
  buildCPUHighLevelPipeline(pm, options);
  buildCPULLVMLoweringPipeline(pm);
}

void kvcache::registerPipelineHelperPasses() {
  mlir::registerPass([] { return createExportPublicFunctionsPass(); });
  mlir::registerPass([] { return createCheckLLVMLoweringPass(); });
  mlir::registerPass([] { return createBufferizeGraphPass(); });
  mlir::registerPass([] { return createExpandF16CastsPass(); });
}

void kvcache::buildGPUHighLevelPipeline(mlir::OpPassManager &pm,
                                        const NVVMPipelineOptions &options) {
  pm.addPass(createDropOptionalFields());
  pm.addPass(createBufferizeGraphPass());
  // Only the kvcache ops become kernels: refuse host code over device memory
  // while they can still be told apart from the host code they lower to
  // (after bufferization, which decides what memory each op touches).
  pm.addPass(createCheckDevicePlacement());
  ConvertKVCacheToGPUOptions gpu;
  gpu.chip = options.chip;
  gpu.splits = options.splits;
  gpu.splitsCap = options.splitsCap;
  gpu.blockSize = options.blockSize;
  gpu.tensorCores = options.tensorCores;
  gpu.pageGuard = options.pageGuard;
  pm.addPass(createConvertKVCacheToGPU(gpu));
  pm.addPass(createExpandInputs());
}

void kvcache::buildGPULoweringPipeline(mlir::OpPassManager &pm,
                                       const NVVMPipelineOptions &options) {
  pm.addPass(createExportPublicFunctionsPass());
  // Host code over host-placed memory may still be linalg.
  pm.addPass(mlir::createConvertLinalgToLoopsPass());
  buildGPUKernelLoweringPipeline(pm, options.chip, options.format);
}

void kvcache::buildNVVMPipeline(mlir::OpPassManager &pm,
                                const NVVMPipelineOptions &options) {
  buildGPUHighLevelPipeline(pm, options);
  buildGPULoweringPipeline(pm, options);
}

void kvcache::buildSimKernelLoweringPipeline(mlir::OpPassManager &pm) {
  pm.addPass(createConvertGPUKernelsToHost());
  // The kernels' 16-byte vector accesses stay vector loads on the host.
  pm.addPass(mlir::createConvertVectorToLLVMPass());
  buildCPULLVMLoweringPipeline(pm);
  pm.addPass(createAddSimKernelEntries());
}

void kvcache::registerKVCachePipelines() {
  registerPipelineHelperPasses();
  mlir::PassPipelineRegistration<FlattenPipelineOptions>(
      "kvcache-flatten",
      "Prune unread optional fields, then flatten bundles into annotated "
      "arguments in ABI order",
      buildFlattenPipeline);
  mlir::PassPipelineRegistration<CPUPipelineOptions>(
      "kvcache-to-llvm",
      "The CPU path: prune, bufferize (returned tensors become output "
      "arguments), lower kvcache ops to loops, flatten, then lower to the "
      "LLVM dialect with C interfaces for public functions",
      buildCPUPipeline);
  mlir::PassPipelineRegistration<NVVMPipelineOptions>(
      "kvcache-to-nvvm",
      "The GPU path: prune, bufferize, check that only kvcache ops touch "
      "device-placed memory, kvcache ops to GPU kernels, flatten, then the "
      "upstream GPU to NVVM lowering for the chip and gpu-module-to-binary",
      buildNVVMPipeline);
  mlir::PassPipelineRegistration<>(
      "kvcache-sim-kernels-to-llvm",
      "The CPU simulator's kernels: gpu.module kernels to host functions "
      "in the LLVM dialect with cuLaunchKernel-style entry points",
      buildSimKernelLoweringPipeline);
}
