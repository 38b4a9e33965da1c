//===- GPUBundle.cpp - A graph as a GPU bundle ----------------------------===//
//
// The GPU bundle is the CPU bundle's shape with the kernels compiled for a
// chip: the host library carries the cubin (loaded by a constructor through
// the runtime's mgpu* entry points), and the PTX of every kernel module sits
// beside it for inspection and `ptxas -v`.
//
//===----------------------------------------------------------------------===//

#include "Bundle.h"
#include "BundleSupport.h"
#include "SharedLibrary.h"

#include "kvcache/Conversion/KVCacheToGPU.h"
#include "kvcache/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cstdlib>

using namespace mlir;
using namespace kvcache;
using namespace kvcache::compile;

namespace {

/// gpu-module-to-binary finds ptxas on PATH (or under CUDA_ROOT/CUDA_HOME/
/// CUDA_PATH). The toolkit's standard prefix is not always on PATH: add it.
void makePtxasFindable() {
  if (llvm::sys::findProgramByName("ptxas"))
    return;
  for (const char *var : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (std::getenv(var))
      return;
  std::string path = "/usr/local/cuda/bin";
  if (const char *old = std::getenv("PATH"))
    path += std::string(":") + old;
  ::setenv("PATH", path.c_str(), /*overwrite=*/1);
}

/// Writes the PTX of every gpu.binary in `lowered` (compiled with
/// format=isa) as DIR/<binary>.ptx.
LogicalResult writePTX(ModuleOp lowered, const BundleOptions &options) {
  WalkResult result = lowered.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      std::string path =
          bundlePath(options, (binary.getSymName() + ".ptx").str());
      std::string error;
      std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
      if (!file) {
        binary.emitError(error);
        return WalkResult::interrupt();
      }
      file->os() << object.getObject().getValue();
      file->keep();
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

} // namespace

LogicalResult kvcache::compile::compileGPUBundle(ModuleOp module,
                                                 const BundleOptions &options) {
  if (failed(prepareBundleDirectory(module, options)))
    return failure();
  makePtxasFindable();

  NVVMPipelineOptions pipeline;
  setGPUPipelineOptions(pipeline, options, options.target);
  if (failed(runPipeline(module, [&](OpPassManager &pm) {
        buildGPUHighLevelPipeline(pm, pipeline);
      })))
    return failure();

  FailureOr<Manifest> manifest =
      readManifest(module, options.target, kLibraryName);
  if (failed(manifest))
    return failure();

  // The PTX, for inspection: the same kernels compiled to text.
  OwningOpRef<ModuleOp> forPTX = cast<ModuleOp>(module->clone());
  NVVMPipelineOptions ptx;
  ptx.chip = options.target;
  ptx.format = "isa";
  if (failed(runPipeline(*forPTX,
                         [&](OpPassManager &pm) {
                           buildGPUKernelLoweringPipeline(pm, ptx.chip,
                                                          ptx.format);
                         })) ||
      failed(writePTX(*forPTX, options)))
    return failure();

  return finishGPUBundle(module, pipeline, *manifest, options);
}
