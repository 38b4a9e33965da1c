//===- SimBundle.cpp - A graph as a bundle for the CPU simulator ----------===//
//
// A sim bundle is a GPU bundle whose embedded kernel image is a host shared
// object instead of a cubin: the same kernels (generated for sm_90a),
// compiled for this CPU by kvcache-gpu-kernels-to-host, and the same host
// code, which loads the image with mgpuModuleLoad and launches kernels with
// mgpuLaunchKernel. The stand-in libcuda recognises a host ELF image and
// runs its kernels with simulated CUDA threads, so that kernel correctness
// can be tested on machines without a GPU.
//
//===----------------------------------------------------------------------===//

#include "Bundle.h"
#include "BundleSupport.h"
#include "SharedLibrary.h"

#include "kvcache/ABI/SimKernelABI.h"
#include "kvcache/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/MemoryBuffer.h"

using namespace mlir;
using namespace kvcache;
using namespace kvcache::compile;

namespace {

/// The chip the simulated kernels are generated for: the same kernels as
/// the main GPU target's.
constexpr StringLiteral kSimulatedChip = "sm_90a";

/// Compiles `gpuModule`'s kernels into DIR/<module>.sim.so (with its LLVM IR
/// beside it, for inspection) and returns the library's bytes.
FailureOr<std::string> compileKernels(gpu::GPUModuleOp gpuModule,
                                      const BundleOptions &options) {
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(gpuModule.getLoc());
  kernels->getBody()->push_back(gpuModule->clone());
  if (failed(runPipeline(*kernels, [](OpPassManager &pm) {
        buildSimKernelLoweringPipeline(pm);
      })))
    return failure();
  SharedLibraryOptions library;
  library.libraryPath =
      bundlePath(options, (gpuModule.getSymName() + ".sim.so").str());
  library.llvmIRPath =
      bundlePath(options, (gpuModule.getSymName() + ".sim.ll").str());
  library.cpu = options.cpu;
  if (failed(buildSharedLibrary(*kernels, library)))
    return failure();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> bytes =
      llvm::MemoryBuffer::getFile(library.libraryPath, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!bytes)
    return emitError(gpuModule.getLoc(), "cannot read back '")
           << library.libraryPath << "': " << bytes.getError().message();
  return (*bytes)->getBuffer().str();
}

/// Replaces `gpuModule` by a gpu.binary holding `image` as a binary object.
/// The target attribute only decides how the host code loads the object
/// (mgpuModuleLoad, as for a cubin); the properties say what it really is.
void replaceByBinary(gpu::GPUModuleOp gpuModule, StringRef image) {
  MLIRContext *ctx = gpuModule.getContext();
  ctx->getOrLoadDialect<NVVM::NVVMDialect>();
  OpBuilder b(gpuModule);
  auto target = NVVM::NVVMTargetAttr::get(
      ctx, /*optLevel=*/2, "nvptx64-nvidia-cuda", kSimulatedChip);
  auto properties = b.getDictionaryAttr(b.getNamedAttr(
      "kvcache.sim_target",
      b.getStringAttr(StringRef(sim::kTarget.data(), sim::kTarget.size()))));
  auto object =
      gpu::ObjectAttr::get(ctx, target, gpu::CompilationTarget::Binary,
                           b.getStringAttr(image), properties, nullptr);
  gpu::BinaryOp::create(b, gpuModule.getLoc(), gpuModule.getSymName(),
                        /*offloadingHandler=*/nullptr,
                        b.getArrayAttr({object}));
  gpuModule.erase();
}

} // namespace

LogicalResult kvcache::compile::compileSimBundle(ModuleOp module,
                                                 const BundleOptions &options) {
  if (failed(prepareBundleDirectory(module, options)))
    return failure();

  NVVMPipelineOptions pipeline;
  setGPUPipelineOptions(pipeline, options, kSimulatedChip);
  if (failed(runPipeline(module, [&](OpPassManager &pm) {
        buildGPUHighLevelPipeline(pm, pipeline);
      })))
    return failure();

  FailureOr<Manifest> manifest =
      readManifest(module, StringRef(sim::kTarget.data(), sim::kTarget.size()),
                   kLibraryName);
  if (failed(manifest))
    return failure();

  for (auto gpuModule :
       llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>())) {
    FailureOr<std::string> image = compileKernels(gpuModule, options);
    if (failed(image))
      return failure();
    replaceByBinary(gpuModule, *image);
  }

  // With the kernel modules replaced, the GPU lowering has only the host
  // code to lower: no ptxas is needed.
  return finishGPUBundle(module, pipeline, *manifest, options);
}
