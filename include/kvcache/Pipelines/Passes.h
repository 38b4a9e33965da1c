//===- Passes.h - Helper passes of the kvcache pipelines --------*- C++ -*-===//
//
// The small passes that only the end-to-end pipelines need. They are not
// part of the dialect's pass set: they encode what a bundle's entry points
// look like, not anything about bundles.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_PIPELINES_PASSES_H
#define KVCACHE_PIPELINES_PASSES_H

#include <memory>
#include <string>

namespace mlir {
class Pass;
namespace func {
class FuncOp;
} // namespace func
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

/// `kvcache-bufferize-graph`: a tensor graph to the memref signature of a
/// bundle. One-Shot Bufferize at function boundaries with identity layouts
/// (a public function's tensor inputs are not written in place unless they
/// are cache fields or marked kvcache.role = "output" or "inout"; copies are
/// linalg.copy), then every buffer a public function returns becomes an
/// appended output argument (buffer-results-to-out-params, with static
/// allocations hoisted into the argument), named by entryResultName and
/// marked kvcache.role = "output", then the buffer deallocation pipeline
/// (its clones lowered to linalg.copy). Results must have static shapes.
/// Does nothing to a module without tensors in which no public function
/// returns a buffer.
std::unique_ptr<mlir::Pass> createBufferizeGraphPass();

/// The name that result `index` of public function `func` has as an output
/// argument: its `kvcache.name` result attribute, else `result<index>`.
std::string entryResultName(mlir::func::FuncOp func, unsigned index);

/// `kvcache-expand-f16-casts`: arith.extf f16 -> f32 and arith.truncf
/// f32 -> f16 (to nearest even) as integer arithmetic, which arith-expand
/// does for bf16 only. x86 without F16C would call __extendhfsf2 and
/// __truncsfhf2, builtins that the host's libgcc may lack. Also drops the
/// fast-math flags of the f16 and bf16 casts (arith-emulate-unsupported-floats
/// marks its casts `contract`, which lets extf(truncf(x)) fold to x), so that
/// 16-bit arithmetic rounds after every operation.
std::unique_ptr<mlir::Pass> createExpandF16CastsPass();

/// Registers the passes for textual pipelines.
void registerPipelineHelperPasses();

} // namespace kvcache

#endif // KVCACHE_PIPELINES_PASSES_H
