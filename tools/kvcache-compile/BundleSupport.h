//===- BundleSupport.h - What every bundle target does ----------*- C++ -*-===//

#ifndef KVCACHE_TOOLS_KVCACHE_COMPILE_BUNDLESUPPORT_H
#define KVCACHE_TOOLS_KVCACHE_COMPILE_BUNDLESUPPORT_H

#include "Bundle.h"
#include "Manifest.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace kvcache {
struct NVVMPipelineOptions;
} // namespace kvcache

namespace kvcache::compile {

/// `name` inside the bundle directory.
std::string bundlePath(const BundleOptions &options, llvm::StringRef name);

/// Creates the bundle directory and removes a manifest an earlier compile
/// left there.
mlir::LogicalResult prepareBundleDirectory(mlir::ModuleOp module,
                                           const BundleOptions &options);

/// Runs passes with the --mlir-print-ir-*, --mlir-timing ... options that
/// the tool registers, like mlir-opt does.
mlir::LogicalResult
runPipeline(mlir::ModuleOp module,
            llvm::function_ref<void(mlir::OpPassManager &)> build);

/// The end of every target's compile, on a module whose host code is in the
/// LLVM dialect with its entry points added: drops the ABI attributes, builds
/// the shared library, and writes the manifest last (so that a directory with
/// a manifest always holds a complete bundle).
mlir::LogicalResult finishBundle(mlir::ModuleOp module,
                                 const Manifest &manifest,
                                 const BundleOptions &options);

/// The GPU and simulator targets' pipeline options: `chip`, and what the
/// command line sets (split count, tensor cores).
void setGPUPipelineOptions(NVVMPipelineOptions &pipeline,
                           const BundleOptions &options, llvm::StringRef chip);

/// The end of the GPU and simulator targets, on a module after the GPU
/// high-level pipeline (and, for the simulator, with its kernel modules
/// already replaced by binaries): lowers the host code with
/// buildGPULoweringPipeline, adds the entry points, then finishBundle.
mlir::LogicalResult finishGPUBundle(mlir::ModuleOp module,
                                    const NVVMPipelineOptions &pipeline,
                                    const Manifest &manifest,
                                    const BundleOptions &options);

} // namespace kvcache::compile

#endif // KVCACHE_TOOLS_KVCACHE_COMPILE_BUNDLESUPPORT_H
