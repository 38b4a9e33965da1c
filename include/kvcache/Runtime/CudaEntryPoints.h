//===- CudaEntryPoints.h - The C functions GPU bundles call -----*- C++ -*-===//
//
// What a GPU bundle's libkernels.so leaves undefined and its host binds:
// upstream MLIR's CUDA runtime wrapper entry points, with the signatures
// LLVM 22's gpu-to-llvm lowering and LLVM IR translation declare, and the
// two hooks of convert-kvcache-to-gpu (include/kvcache/Conversion/
// KVCacheToGPU.h). kvcache-run defines and exports them; CudaRuntime.h says
// how they behave. Sizes and dims that MLIR passes as i64 are uint64_t or
// intptr_t here, as in upstream's wrappers.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_CUDAENTRYPOINTS_H
#define KVCACHE_RUNTIME_CUDAENTRYPOINTS_H

#include "kvcache/Runtime/CudaDriver.h"

#include <cstddef>
#include <cstdint>

extern "C" {

// Modules: called from the bundle's global constructor and destructor.
kvcache::cuda::CUmodule mgpuModuleLoad(void *data, uint64_t gpuBlobSize);
kvcache::cuda::CUmodule mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(kvcache::cuda::CUmodule module);
kvcache::cuda::CUfunction mgpuModuleGetFunction(kvcache::cuda::CUmodule module,
                                                const char *name);

// Launches: mgpuStreamCreate, mgpuModuleGetFunction and mgpuLaunchKernel per
// kernel, mgpuStreamSynchronize and mgpuStreamDestroy once per kvcache op
// (its kernels are chained on one stream).
void mgpuLaunchKernel(kvcache::cuda::CUfunction function, intptr_t gridX,
                      intptr_t gridY, intptr_t gridZ, intptr_t blockX,
                      intptr_t blockY, intptr_t blockZ, int32_t smem,
                      kvcache::cuda::CUstream stream, void **params,
                      void **extra, size_t paramsCount);
kvcache::cuda::CUstream mgpuStreamCreate();
void mgpuStreamDestroy(kvcache::cuda::CUstream stream);
void mgpuStreamSynchronize(kvcache::cuda::CUstream stream);
void mgpuStreamWaitEvent(kvcache::cuda::CUstream stream,
                         kvcache::cuda::CUevent event);

// Events: `gpu.wait async` joining several tokens.
kvcache::cuda::CUevent mgpuEventCreate();
void mgpuEventDestroy(kvcache::cuda::CUevent event);
void mgpuEventSynchronize(kvcache::cuda::CUevent event);
void mgpuEventRecord(kvcache::cuda::CUevent event,
                     kvcache::cuda::CUstream stream);

// Memory: async gpu.alloc, gpu.dealloc, gpu.memcpy, gpu.memset,
// gpu.host_register.
void *mgpuMemAlloc(uint64_t sizeBytes, kvcache::cuda::CUstream stream,
                   bool isHostShared);
void mgpuMemFree(void *pointer, kvcache::cuda::CUstream stream);
void mgpuMemcpy(void *destination, void *source, size_t sizeBytes,
                kvcache::cuda::CUstream stream);
void mgpuMemset32(void *destination, unsigned int value, size_t count,
                  kvcache::cuda::CUstream stream);
void mgpuMemset16(void *destination, unsigned short value, size_t count,
                  kvcache::cuda::CUstream stream);
void mgpuMemHostRegister(void *pointer, uint64_t sizeBytes);
void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                               int64_t elementSizeBytes);
void mgpuMemHostUnregister(void *pointer);
void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                 int64_t elementSizeBytes);
void mgpuSetDefaultDevice(int32_t device);

// convert-kvcache-to-gpu's hooks.
int32_t kvcache_runtime_num_sms(void);
uint64_t kvcache_runtime_workspace(uint64_t bytes);
uint64_t kvcache_runtime_error_word(void);

} // extern "C"

#endif // KVCACHE_RUNTIME_CUDAENTRYPOINTS_H
