//===- Passes.h - Helper passes of the kvcache pipelines --------*- C++ -*-===//
//
// Two small passes that only the LLVM lowering pipelines need. They are not
// part of the dialect's pass set: they encode what a bundle's entry points
// look like, not anything about bundles.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_PIPELINES_PASSES_H
#define KVCACHE_PIPELINES_PASSES_H

#include <memory>

namespace mlir {
class Pass;
} // namespace mlir

namespace kvcache {

/// `kvcache-export-public-functions`: sets `llvm.emit_c_interface` on every
/// public func.func with a body, and internal linkage on every private one,
/// so that a library exports its public functions only. (Upstream's
/// llvm-request-c-wrappers marks every function, and func-to-llvm gives
/// private functions external linkage.)
std::unique_ptr<mlir::Pass> createExportPublicFunctionsPass();

/// `kvcache-check-llvm-lowering`: fails, naming the operation, if anything
/// other than the LLVM dialect is left in the module. Conversions to LLVM are
/// partial, so a leftover `kvcache` op or `unrealized_conversion_cast` would
/// otherwise surface only as an obscure translation error.
std::unique_ptr<mlir::Pass> createCheckLLVMLoweringPass();

/// Registers both passes for textual pipelines.
void registerPipelineHelperPasses();

} // namespace kvcache

#endif // KVCACHE_PIPELINES_PASSES_H
