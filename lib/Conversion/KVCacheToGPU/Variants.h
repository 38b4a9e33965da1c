//===- Variants.h - Which kernel serves which specialisation ----*- C++ -*-===//
//
// The variant table: for each role a kernel plays in a launch (KernelKind),
// the builds that can play it, in order of preference, each with the shapes
// it serves, its builder and the CTAs per SM it is built to fit. KernelCache
// builds what variantFor picks, and the host's split rule reads the
// occupancy of the same pick; no other file chooses between builds.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_VARIANTS_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_VARIANTS_H

#include "Kernels.h"

#include "llvm/ADT/StringRef.h"

namespace kvcache::gpukernels {

/// The role of a kernel in a launch.
enum class KernelKind { Store, Decode, DecodeMultiToken, Combine, Prefill };

/// Where a variant does its arithmetic.
enum class Engine { CudaCores, TensorCores };

struct KernelVariant {
  KernelKind kind;
  /// The kind's name in PTX entry names (`kvcache_<name>_...`).
  llvm::StringLiteral name;
  Engine engine;
  /// Whether the variant serves `shape` (its element type, head dims, the
  /// options that allow it).
  bool (*serves)(const KernelShape &shape);
  mlir::gpu::GPUFuncOp (*build)(mlir::OpBuilder &b, mlir::Location loc,
                                llvm::StringRef name, mlir::TypeRange argTypes,
                                const KernelShape &shape);
  /// CTAs per SM the variant is built to fit; for decode, what the split
  /// rule fills the GPU with. 0: no request (ptxas chooses).
  int64_t (*blocksPerSM)(const KernelShape &shape);
};

/// The first variant of `kind` that serves `shape` (the table ends each
/// kind with one that serves every shape the pass accepts).
const KernelVariant &variantFor(KernelKind kind, const KernelShape &shape);

} // namespace kvcache::gpukernels

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_VARIANTS_H
