//===- EntryPoints.h - One C entry point per bundle function ----*- C++ -*-===//
//
// A runtime that binds arguments by name from a manifest cannot spell a C
// call with a per-function signature. Each public function therefore gets an
// exported `void kvcache_entry_<name>(void **args)`: args[i] points at flat
// argument i (a memref descriptor, or the scalar's value), and the entry
// calls `_mlir_ciface_<name>` with them.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_TOOLS_KVCACHE_COMPILE_ENTRYPOINTS_H
#define KVCACHE_TOOLS_KVCACHE_COMPILE_ENTRYPOINTS_H

#include "Manifest.h"

namespace kvcache::compile {

/// Adds the entry point of every function of `manifest` to an LLVM-dialect
/// module that holds their `_mlir_ciface_` wrappers. Fails, with an error, if
/// a wrapper is missing or its signature does not match the manifest.
mlir::LogicalResult addEntryPoints(mlir::ModuleOp module,
                                   const Manifest &manifest);

} // namespace kvcache::compile

#endif // KVCACHE_TOOLS_KVCACHE_COMPILE_ENTRYPOINTS_H
