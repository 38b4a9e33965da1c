//===- CPUBundle.cpp - A graph as a CPU bundle ----------------------------===//
//
// The pipeline runs in two halves because the manifest must be read off the
// flat signatures (memref types, kvcache.* argument attributes) before the
// LLVM lowering turns them into pointers and integers.
//
//===----------------------------------------------------------------------===//

#include "Bundle.h"
#include "BundleSupport.h"
#include "EntryPoints.h"
#include "Manifest.h"
#include "SharedLibrary.h"

#include "kvcache/Pipelines/Pipelines.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace kvcache;
using namespace kvcache::compile;

LogicalResult kvcache::compile::compileCPUBundle(ModuleOp module,
                                                 const BundleOptions &options) {
  if (failed(prepareBundleDirectory(module, options)))
    return failure();

  CPUPipelineOptions pipelineOptions;
  pipelineOptions.splits = options.splits;
  if (failed(runPipeline(module, [&](OpPassManager &pm) {
        buildCPUHighLevelPipeline(pm, pipelineOptions);
      })))
    return failure();

  FailureOr<Manifest> manifest = readManifest(module, "cpu", kLibraryName);
  if (failed(manifest))
    return failure();

  if (failed(runPipeline(
          module,
          [](OpPassManager &pm) { buildCPULLVMLoweringPipeline(pm); })) ||
      failed(addEntryPoints(module, *manifest)))
    return failure();
  return finishBundle(module, *manifest, options);
}
