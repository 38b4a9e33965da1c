//===- SharedLibrary.h - An LLVM-dialect module as a host .so ---*- C++ -*-===//
//
// The host half of every bundle: translate the LLVM dialect to LLVM IR,
// optimise it, emit a position-independent object for the host and link it
// into a shared library with the system C++ compiler driver.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_TOOLS_KVCACHE_COMPILE_SHAREDLIBRARY_H
#define KVCACHE_TOOLS_KVCACHE_COMPILE_SHAREDLIBRARY_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace kvcache::compile {

struct SharedLibraryOptions {
  /// Where the library goes.
  std::string libraryPath;
  /// Where the optimised LLVM IR goes, for inspection; empty for nowhere.
  std::string llvmIRPath;
  /// The CPU to generate code for: "generic" (runs on any host of the
  /// triple), "native" (this host's CPU and features) or an LLVM CPU name.
  std::string cpu = "generic";
  unsigned optLevel = 2;
};

/// Builds the library. The module must hold the LLVM dialect only, with the
/// builtin and LLVM dialect translations registered in its context. Errors
/// go to the context's diagnostic handler.
mlir::LogicalResult buildSharedLibrary(mlir::ModuleOp module,
                                       const SharedLibraryOptions &options);

} // namespace kvcache::compile

#endif // KVCACHE_TOOLS_KVCACHE_COMPILE_SHAREDLIBRARY_H
