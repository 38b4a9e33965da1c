//===- SimKernelABI.h - GPU kernels compiled for the host CPU ---*- C++ -*-===//
//
// The contract between `kvcache-gpu-kernels-to-host` (which compiles the
// gpu.func kernels of a bundle for the host CPU: kvcache-compile
// --target=sim) and the stand-in libcuda that runs them with simulated CUDA
// threads. Defined once, here, for both sides; no MLIR dependency.
//
// The kernels' shared object exports, per kernel `K`:
//   void K_packed(void **params);     cuLaunchKernel's kernelParams
//                                     convention: params[i] points at the
//                                     i-th lowered parameter
//   const char K_param_types[];       "ptr,ptr,i64,...": the lowered
//                                     parameter types, for launch checks
// and imports the hooks below, which the stand-in libcuda defines. A
// thread's ids, the barrier, shuffles, the tensor-core MMA and workgroup
// memory are all it needs from the "hardware".
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_ABI_SIMKERNELABI_H
#define KVCACHE_ABI_SIMKERNELABI_H

#include <cstdint>
#include <string_view>

namespace kvcache::sim {

/// The value of the bundle manifest's "target" for these bundles.
inline constexpr std::string_view kTarget = "sim";

inline constexpr std::string_view kPackedSuffix = "_packed";
inline constexpr std::string_view kParamTypesSuffix = "_param_types";

// The hooks, as C functions (dims: 0 = x, 1 = y, 2 = z):
//   int64_t kvcache_sim_thread_id(int32_t dim);
//   int64_t kvcache_sim_block_id(int32_t dim);
//   int64_t kvcache_sim_block_dim(int32_t dim);
//   int64_t kvcache_sim_grid_dim(int32_t dim);
//   void kvcache_sim_barrier(int32_t site);
//   int32_t kvcache_sim_barrier_or(int32_t predicate, int32_t site);
//     The same barrier (one site numbering) that also returns 1 in every
//     thread when `predicate` is nonzero in any (nvvm.barrier's `or`
//     reduction, CUDA's __syncthreads_or), else 0.
//   uint64_t kvcache_sim_shuffle(uint32_t bits, int32_t offset,
//                                int32_t width, int32_t mode, int32_t site);
//     The 32 bits of lane `source` (chosen by `mode` and `offset`) in bits
//     0..31; bit 32 set when `source` < `width` (gpu.shuffle's `valid`;
//     an invalid shuffle returns the caller's own bits).
//   void kvcache_sim_mma_m16n8k16(uint32_t a0, uint32_t a1, uint32_t a2,
//                                 uint32_t a3, uint32_t b0, uint32_t b1,
//                                 float c0, float c1, float c2, float c3,
//                                 float *d, int32_t type, int32_t site);
//     nvvm.mma.sync m16n8k16, A row-major, B column-major, 16-bit
//     multiplicands of MmaType `type`, f32 accumulators: the lane's
//     fragments in PTX's register order (a 32-bit A or B register holds two
//     elements, the lower-indexed one in bits 0..15), its four D values
//     stored at `d`. A warp collective: all 32 lanes must take part.
//   void *kvcache_sim_workgroup(int32_t index, int64_t bytes);
//     The CTA's workgroup buffer number `index`, 16-byte aligned.
// `site` numbers a kernel's barriers (warp collectives: shuffles and MMAs
// together) in program order: all threads of a CTA (lanes of a warp) must
// meet at the same one.
inline constexpr std::string_view kThreadIdHook = "kvcache_sim_thread_id";
inline constexpr std::string_view kBlockIdHook = "kvcache_sim_block_id";
inline constexpr std::string_view kBlockDimHook = "kvcache_sim_block_dim";
inline constexpr std::string_view kGridDimHook = "kvcache_sim_grid_dim";
inline constexpr std::string_view kBarrierHook = "kvcache_sim_barrier";
inline constexpr std::string_view kBarrierOrHook = "kvcache_sim_barrier_or";
inline constexpr std::string_view kShuffleHook = "kvcache_sim_shuffle";
inline constexpr std::string_view kMmaM16N8K16Hook = "kvcache_sim_mma_m16n8k16";
inline constexpr std::string_view kWorkgroupHook = "kvcache_sim_workgroup";

/// gpu.shuffle's modes, as the shuffle hook receives them.
enum class ShuffleMode : int32_t { Xor = 0, Up = 1, Down = 2, Idx = 3 };

/// The MMA hook's multiplicand types (A and B alike). Zero is no type, so
/// that an argument left unset is reported rather than taken for one.
enum class MmaType : int32_t { BF16 = 1, F16 = 2 };

/// Lanes per warp.
inline constexpr int32_t kWarpSize = 32;

} // namespace kvcache::sim

#endif // KVCACHE_ABI_SIMKERNELABI_H
