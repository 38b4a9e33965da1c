//===- InitAll.cpp - Register the kvcache dialect and passes --------------===//

#include "kvcache/InitAll.h"

#include "kvcache/Conversion/KVCacheToGPU.h"
#include "kvcache/Conversion/Passes.h"
#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"
#include "kvcache/Pipelines/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"

void kvcache::registerKVCacheDialect(mlir::DialectRegistry &registry) {
  registry.insert<KVCacheDialect>();
}

void kvcache::registerAllDialects(mlir::DialectRegistry &registry) {
  registerKVCacheDialect(registry);
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::memref::MemRefDialect, mlir::tensor::TensorDialect,
                  mlir::scf::SCFDialect, mlir::cf::ControlFlowDialect,
                  mlir::gpu::GPUDialect, mlir::NVVM::NVVMDialect,
                  mlir::nvgpu::NVGPUDialect, mlir::LLVM::LLVMDialect,
                  mlir::vector::VectorDialect, mlir::math::MathDialect>();
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
