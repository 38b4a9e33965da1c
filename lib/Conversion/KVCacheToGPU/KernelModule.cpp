//===- KernelModule.cpp - The gpu.module of the kvcache kernels -----------===//

#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace kvcache::gpukernels;

gpu::GPUFuncOp kvcache::gpukernels::createKernel(
    OpBuilder &b, Location loc, StringRef name, TypeRange argTypes,
    TypeRange workgroupBuffers, int64_t blockSize, int64_t minBlocksPerSM) {
  auto kernel = gpu::GPUFuncOp::create(
      b, loc, name, b.getFunctionType(argTypes, {}), workgroupBuffers);
  kernel->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  // The block size is fixed per kernel: LLVM gets ranges for thread ids and
  // ptxas a launch bound (.maxntid), which lets it budget registers.
  kernel.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(blockSize), 1, 1}));
  if (minBlocksPerSM > 0)
    kernel->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    b.getI32IntegerAttr(minBlocksPerSM));
  // 16-byte vector accesses to workgroup buffers need 16-byte aligned
  // globals; the default alignment is the element's.
  for (unsigned i = 0, e = workgroupBuffers.size(); i < e; ++i)
    kernel.setWorkgroupAttributionAttr(i, LLVM::LLVMDialect::getAlignAttrName(),
                                       b.getI64IntegerAttr(16));
  Block &entry = kernel.getBody().front();
  b.setInsertionPointToEnd(&entry);
  auto ret = gpu::ReturnOp::create(b, loc);
  b.setInsertionPoint(ret);
  return kernel;
}

KernelCache::KernelCache(ModuleOp module) {
  constexpr StringLiteral name = "kvcache_kernels";
  gpuModule = module.lookupSymbol<gpu::GPUModuleOp>(name);
  // A second run adds its kernels to the first run's module.
  if (gpuModule)
    return;
  OpBuilder b(module.getContext());
  b.setInsertionPointToEnd(module.getBody());
  gpuModule = gpu::GPUModuleOp::create(b, module.getLoc(), name);
}

gpu::GPUFuncOp KernelCache::get(KernelKind kind, const KernelShape &shape,
                                TypeRange argTypes) {
  // What the kernel's code depends on; the argument types carry the
  // element type, the cache dims and the layouts.
  std::string readable;
  llvm::raw_string_ostream os(readable);
  const KernelVariant &variant = variantFor(kind, shape);
  os << "kvcache_" << variant.name << "_" << shape.elementType << "_d"
     << shape.headDim << "_p" << shape.pageSize << "_kv" << shape.numKvHeads;
  if (kind != KernelKind::Store)
    os << "_q" << shape.numQHeads << (shape.causal ? "_causal" : "");
  if (shape.mla && kind != KernelKind::Store)
    os << "_mla_v" << shape.valueDim;
  std::string key = readable;
  llvm::raw_string_ostream keyStream(key);
  keyStream << "|" << llvm::bit_cast<uint32_t>(shape.scale) << "|"
            << shape.blockSize << "|" << static_cast<int>(variant.engine) << "|"
            << shape.smVersion;
  for (Type type : argTypes)
    keyStream << "|" << type;
  if (gpu::GPUFuncOp kernel = kernels.lookup(key))
    return kernel;

  // Same readable name, different specialisation (another scale or
  // layout): a numbered name.
  std::string name = readable;
  for (int suffix = 1; gpuModule.lookupSymbol(name); ++suffix)
    name = readable + "_" + std::to_string(suffix);

  OpBuilder b(gpuModule.getBodyRegion());
  b.setInsertionPointToEnd(gpuModule.getBody());
  Location loc = gpuModule.getLoc();
  gpu::GPUFuncOp kernel = variant.build(b, loc, name, argTypes, shape);
  kernels[key] = kernel;
  return kernel;
}
