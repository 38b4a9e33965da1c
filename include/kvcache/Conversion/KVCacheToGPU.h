//===- KVCacheToGPU.h - GPU kernels for the kvcache ops ---------*- C++ -*-===//
//
// What a driver needs around `convert-kvcache-to-gpu`: the pipeline that
// turns its kernels into a cubin, and the host functions the generated host
// code calls, which the runtime implements with exactly these C signatures:
//
// (include/kvcache/ABI/RuntimeHooks.h names them and defines the faults
// they report):
//
//   extern "C" int32_t kvcache_runtime_num_sms(void);
//     The SM count of the device the kernels run on (MAX's split rule).
//   extern "C" uint64_t kvcache_runtime_workspace(uint64_t bytes);
//     The device address of a buffer of at least `bytes` bytes (any value
//     when `bytes` is 0), aligned to 16 bytes, owned by the runtime: reused
//     across calls and grown only when a call needs more, never allocated
//     per call (that would break CUDA-graph capture). Split-K partials live
//     there between the decode and combine kernels of one launch sequence,
//     so calls on one stream may share it.
//   extern "C" uint64_t kvcache_runtime_error_word(void);
//     The device address of the runtime's 8-byte fault word: kernels that
//     read lookup_table record a page id past the pool there.
//   extern "C" void kvcache_runtime_raise(int32_t fault, int64_t a,
//                                         int64_t b, int64_t c, int64_t d);
//     The host code found a layer out of range (or a pool with no pages)
//     and launched nothing for the op.
//
// Besides these, the host code's `gpu.launch_func`s become upstream's
// `mgpu*` calls (mgpuModuleLoad / mgpuModuleUnload from the module's
// constructor and destructor). Each kvcache op's kernels are async launches
// chained on one stream with one wait: mgpuStreamCreate, then
// mgpuModuleGetFunction and mgpuLaunchKernel per kernel, then
// mgpuStreamSynchronize and mgpuStreamDestroy once, so the GPU does not
// idle for a host round trip between decode and combine.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_CONVERSION_KVCACHETOGPU_H
#define KVCACHE_CONVERSION_KVCACHETOGPU_H

#include "llvm/ADT/StringRef.h"

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace kvcache {

/// The PTX feature a chip needs from LLVM's NVPTX backend: `+ptx80` for
/// sm_80 .. sm_90a, `+ptx88` for sm_100 and newer.
llvm::StringRef ptxFeaturesForChip(llvm::StringRef chip);

/// Registers what buildGPUKernelLoweringPipeline needs beyond the dialects:
/// the `#nvvm.target` serialization interface and the LLVM IR translations
/// of the builtin, llvm, nvvm and gpu dialects. Stock mlir-opt registers
/// them; a tool with its own registry (kvcache-opt, kvcache-compile) must
/// call this, or gpu-module-to-binary crashes on the target attribute.
void registerGPUKernelLoweringDependencies(mlir::DialectRegistry &registry);

/// Lowers a module that went through kvcache-drop-optional-fields,
/// convert-kvcache-to-gpu and kvcache-expand-inputs: upstream's
/// `gpu-lower-to-nvvm-pipeline` with the chip always given
/// (`cubin-chip=<chip> cubin-features=<ptxFeaturesForChip>
/// cubin-format=<format>`). The result holds a `gpu.binary @kvcache_kernels` (a
/// cubin for "bin", which needs `ptxas` on PATH or under
/// CUDA_ROOT/CUDA_HOME/CUDA_PATH; PTX text for "isa") and host code in the LLVM
/// dialect whose launches `mlir-translate --mlir-to-llvmir` turns into `mgpu*`
/// calls. `chip` must be the one given to convert-kvcache-to-gpu.
void buildGPUKernelLoweringPipeline(mlir::OpPassManager &pm,
                                    llvm::StringRef chip,
                                    llvm::StringRef format = "bin");

} // namespace kvcache

#endif // KVCACHE_CONVERSION_KVCACHETOGPU_H
