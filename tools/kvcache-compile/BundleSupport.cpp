//===- BundleSupport.cpp - What every bundle target does ------------------===//

#include "BundleSupport.h"
#include "EntryPoints.h"
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

std::string kvcache::compile::bundlePath(const BundleOptions &options,
                                         llvm::StringRef name) {
  llvm::SmallString<256> path(options.outputDir);
  llvm::sys::path::append(path, name);
  return path.str().str();
}

LogicalResult
kvcache::compile::runPipeline(ModuleOp module,
                              llvm::function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  build(pm);
  return pm.run(module);
}

/// The kvcache.* argument attributes have done their job once the manifest
/// is read, and LLVM IR translation warns about every attribute of a dialect
/// it cannot translate.
static void dropABIAttributes(ModuleOp module) {
  module.walk([](LLVM::LLVMFuncOp func) {
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
      DictionaryAttr attrs = func.getArgAttrDict(i);
      if (!attrs)
        continue;
      SmallVector<NamedAttribute> kept;
      llvm::copy_if(attrs, std::back_inserter(kept), [](NamedAttribute attr) {
        return !attr.getName().strref().starts_with("kvcache.");
      });
      func.setArgAttrs(i, kept);
    }
  });
}

static LogicalResult writeManifestFile(ModuleOp module,
                                       const Manifest &manifest,
                                       llvm::StringRef path) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
  if (!file)
    return emitError(module.getLoc(), error);
  writeManifest(manifest, file->os());
  file->keep();
  return success();
}

LogicalResult
kvcache::compile::prepareBundleDirectory(ModuleOp module,
                                         const BundleOptions &options) {
  // Fail before the expensive work if the bundle cannot be written at all.
  if (std::error_code ec = llvm::sys::fs::create_directories(options.outputDir))
    return emitError(module.getLoc(), "cannot create the bundle directory '")
           << options.outputDir << "': " << ec.message();
  // A manifest left by an earlier compile would describe a library this
  // compile may fail to replace.
  std::string manifestPath = bundlePath(options, kManifestName);
  if (std::error_code ec = llvm::sys::fs::remove(manifestPath))
    return emitError(module.getLoc(), "cannot remove the old '")
           << manifestPath << "': " << ec.message();
  return success();
}

LogicalResult kvcache::compile::finishBundle(ModuleOp module,
                                             const Manifest &manifest,
                                             const BundleOptions &options) {
  dropABIAttributes(module);
  SharedLibraryOptions libraryOptions;
  libraryOptions.libraryPath = bundlePath(options, kLibraryName);
  libraryOptions.llvmIRPath = bundlePath(options, kLLVMIRName);
  libraryOptions.cpu = options.cpu;
  if (failed(buildSharedLibrary(module, libraryOptions)))
    return failure();
  return writeManifestFile(module, manifest,
                           bundlePath(options, kManifestName));
}

void kvcache::compile::setGPUPipelineOptions(NVVMPipelineOptions &pipeline,
                                             const BundleOptions &options,
                                             StringRef chip) {
  pipeline.chip = chip.str();
  pipeline.splits = options.splits;
  pipeline.tensorCores = options.tensorCores;
  pipeline.pageGuard = options.pageGuard;
}

LogicalResult kvcache::compile::finishGPUBundle(
    ModuleOp module, const NVVMPipelineOptions &pipeline,
    const Manifest &manifest, const BundleOptions &options) {
  if (failed(runPipeline(module,
                         [&](OpPassManager &pm) {
                           buildGPULoweringPipeline(pm, pipeline);
                         })) ||
      failed(addEntryPoints(module, manifest)))
    return failure();
  return finishBundle(module, manifest, options);
}
