//===- SimHooks.cpp - The hooks a sim bundle's kernels call ---------------===//
//
// SimKernelABI.h's C functions, exported by the stand-in libcuda (which
// makes them visible to the kernel objects it opens) and answered by the
// simulator of the launch in progress.
//
//===----------------------------------------------------------------------===//

#include "SimThreads.h"

#include <cstdint>

using namespace kvcache::fakecuda;

#define SIM_HOOK extern "C" __attribute__((visibility("default")))

SIM_HOOK int64_t kvcache_sim_thread_id(int32_t dim) { return simThreadId(dim); }
SIM_HOOK int64_t kvcache_sim_block_id(int32_t dim) { return simBlockId(dim); }
SIM_HOOK int64_t kvcache_sim_block_dim(int32_t dim) { return simBlockDim(dim); }
SIM_HOOK int64_t kvcache_sim_grid_dim(int32_t dim) { return simGridDim(dim); }
SIM_HOOK void kvcache_sim_barrier(int32_t site) { simBarrier(site); }
SIM_HOOK int32_t kvcache_sim_barrier_or(int32_t predicate, int32_t site) {
  return simBarrierOr(predicate, site);
}
SIM_HOOK uint64_t kvcache_sim_shuffle(uint32_t bits, int32_t offset,
                                      int32_t width, int32_t mode,
                                      int32_t site) {
  return simShuffle(bits, offset, width, mode, site);
}
SIM_HOOK void kvcache_sim_mma_m16n8k16(uint32_t a0, uint32_t a1, uint32_t a2,
                                       uint32_t a3, uint32_t b0, uint32_t b1,
                                       float c0, float c1, float c2, float c3,
                                       float *d, int32_t type, int32_t site) {
  const uint32_t a[4] = {a0, a1, a2, a3};
  const uint32_t b[2] = {b0, b1};
  const float c[4] = {c0, c1, c2, c3};
  simMmaM16N8K16(a, b, c, d, type, site);
}
SIM_HOOK void *kvcache_sim_workgroup(int32_t index, int64_t bytes) {
  return simWorkgroup(index, bytes);
}
