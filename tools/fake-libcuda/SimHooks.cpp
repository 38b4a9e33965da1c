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
SIM_HOOK uint64_t kvcache_sim_shuffle(uint32_t bits, int32_t offset,
                                      int32_t width, int32_t mode,
                                      int32_t site) {
  return simShuffle(bits, offset, width, mode, site);
}
SIM_HOOK void *kvcache_sim_workgroup(int32_t index, int64_t bytes) {
  return simWorkgroup(index, bytes);
}
