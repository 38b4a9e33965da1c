//===- Lowering.h - Host side of convert-kvcache-to-gpu ---------*- C++ -*-===//
//
// The pieces the pass driver ties together: the gpu.module that collects the
// kernels (one per distinct specialisation), and the host code that replaces
// each kvcache op with launches.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_LOWERING_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_LOWERING_H

#include "Kernels.h"
#include "Variants.h"

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

namespace kvcache::gpukernels {

/// The kernels of `gpu.module @kvcache_kernels`, created on first use: ops
/// with the same specialisation (kind, shape, scale, mask, argument types)
/// share one kernel.
class KernelCache {
public:
  explicit KernelCache(mlir::ModuleOp module);

  mlir::gpu::GPUFuncOp get(KernelKind kind, const KernelShape &shape,
                           mlir::TypeRange argTypes);

private:
  mlir::gpu::GPUModuleOp gpuModule;
  llvm::StringMap<mlir::gpu::GPUFuncOp> kernels;
};

/// The pass options the host code needs.
struct LaunchOptions {
  int64_t blockSize = 128;
  int64_t splitsCap = 64;
  /// Forced split count; 0 picks it at run time.
  int64_t splits = 0;
  bool tensorCores = true;
  /// Whether kernels check page ids against total_num_pages.
  bool pageGuard = true;
  /// The chip's compute capability (80 for sm_80).
  int64_t smVersion = 90;
};

/// The runtime hooks, declared in the module (include/kvcache/ABI/
/// RuntimeHooks.h).
struct RuntimeHooks {
  mlir::func::FuncOp numSms;
  mlir::func::FuncOp workspace;
  mlir::func::FuncOp errorWord;
  mlir::func::FuncOp raise;
};

/// The attention problem of `op` (a kvcache.store or kvcache.attention).
AttentionSpec getAttentionSpec(mlir::Operation *op);
/// The target the pass options describe.
GpuTarget getGpuTarget(const LaunchOptions &options);
/// The specialisation of `op`'s kernels: its problem on that target.
KernelShape getKernelShape(mlir::Operation *op, const LaunchOptions &options);

/// Replaces `op` by host code that launches the store kernel.
void lowerStore(StoreOp op, KernelCache &kernels, const LaunchOptions &options,
                const RuntimeHooks &hooks);

/// Replaces `op` by host code that picks decode or prefill on
/// max_lengths[0][0], chooses the split count and launches.
void lowerAttention(AttentionOp op, KernelCache &kernels,
                    const LaunchOptions &options, const RuntimeHooks &hooks);

} // namespace kvcache::gpukernels

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_LOWERING_H
