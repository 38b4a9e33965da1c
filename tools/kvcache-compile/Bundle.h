//===- Bundle.h - Compiling a graph into a bundle directory -----*- C++ -*-===//
//
// A bundle is a directory: the host library, the manifest that says how to
// call it, and the LLVM IR for inspection. Each target has one entry point
// here.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_TOOLS_KVCACHE_COMPILE_BUNDLE_H
#define KVCACHE_TOOLS_KVCACHE_COMPILE_BUNDLE_H

#include "kvcache/ABI/BundleManifest.h"
#include "mlir/IR/BuiltinOps.h"

#include <cstdint>
#include <string>

namespace kvcache::compile {

inline constexpr std::string_view kLibraryName = bundle::kLibraryFile;
inline constexpr std::string_view kManifestName = bundle::kManifestFile;
inline constexpr llvm::StringLiteral kLLVMIRName = "graph.ll";

struct BundleOptions {
  std::string outputDir;
  /// Split-K partitions per request; 0 lets the graph's dispatch metadata
  /// decide.
  int64_t splits = 0;
  /// Decode on tensor cores where the shape allows (GPU and sim targets).
  bool tensorCores = true;
  /// GPU and sim targets: the kernels' page-id checks (off only to measure
  /// their cost).
  bool pageGuard = true;
  /// The host CPU to generate code for (see SharedLibraryOptions::cpu).
  std::string cpu = "generic";
  /// "cpu", "sim", or the GPU chip the kernels are compiled for ("sm_90a").
  std::string target = "cpu";
};

/// Compiles `module` (a graph) with the loops lowering into a CPU bundle.
/// The manifest is written last, so that a directory with a manifest always
/// holds a complete bundle.
mlir::LogicalResult compileCPUBundle(mlir::ModuleOp module,
                                     const BundleOptions &options);

/// Compiles `module` with convert-kvcache-to-gpu for `options.target` (a
/// chip) into a GPU bundle: the host library with the cubin embedded, the
/// manifest, and DIR/<kernel module>.ptx.
mlir::LogicalResult compileGPUBundle(mlir::ModuleOp module,
                                     const BundleOptions &options);

/// Compiles `module` like compileGPUBundle (the kernels for sm_90a), but
/// the embedded image is a host shared object of the kernels, which the
/// stand-in libcuda runs with simulated CUDA threads (DIR/<kernel
/// module>.sim.so and .sim.ll are that object and its LLVM IR). No ptxas.
mlir::LogicalResult compileSimBundle(mlir::ModuleOp module,
                                     const BundleOptions &options);

} // namespace kvcache::compile

#endif // KVCACHE_TOOLS_KVCACHE_COMPILE_BUNDLE_H
