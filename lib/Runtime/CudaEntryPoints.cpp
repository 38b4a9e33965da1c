//===- CudaEntryPoints.cpp - What GPU bundles' host code calls ------------===//
//
// The C entry points of upstream MLIR's CUDA runtime wrappers
// (mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp, which Debian does not
// ship), with the signatures LLVM 22's gpu-to-llvm lowering declares, plus
// convert-kvcache-to-gpu's two hooks. Each forwards to the installed
// CudaRuntime; see CudaRuntime.h for caching and the failure latch.
//
// They live in the same file as setGlobalCudaRuntime on purpose: a program
// that installs a runtime links this object from the static library, and
// with it every entry point, although nothing in the program calls them.
// The program must also export them (-rdynamic) so that a bundle's
// constructor, which runs inside dlopen, can bind them.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Runtime/CudaEntryPoints.h"
#include "kvcache/Runtime/CudaRuntime.h"
#include "kvcache/Runtime/Error.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

using namespace kvcache::runtime;
using namespace kvcache::cuda;

namespace {

std::atomic<CudaRuntime *> installedRuntime{nullptr};

std::atomic<CudaRuntime *> fallbackRuntime{nullptr};

std::mutex unservedMutex;
std::optional<CudaFailure> unserved;

/// Latches the first call that found no runtime.
void latchUnserved(const char *entryPoint, const std::string &why) {
  std::lock_guard<std::mutex> lock(unservedMutex);
  if (!unserved)
    unserved = CudaFailure{
        entryPoint, "",           false,
        "",         CUDA_SUCCESS, "called without a CUDA device: " + why};
}

/// The installed runtime or, for a host that installed none, one opened on
/// device 0 at first use. Null (after one message on stderr) when there is
/// no device: the entry points cannot report failure any other way.
CudaRuntime *runtimeFor(const char *entryPoint) {
  if (CudaRuntime *runtime = installedRuntime.load())
    return runtime;
  static std::string fallbackError;
  static CudaRuntime *fallback = [&]() -> CudaRuntime * {
    try {
      // Never destroyed: bundles unload their modules from destructors
      // that may run after this file's static objects are gone.
      CudaRuntime *runtime = CudaRuntime::open().release();
      fallbackRuntime.store(runtime);
      return runtime;
    } catch (const std::exception &error) {
      std::fprintf(stderr,
                   "kvcache runtime: %s called without a CUDA device: %s\n",
                   entryPoint, error.what());
      fallbackError = error.what();
      return nullptr;
    }
  }();
  if (!fallback)
    latchUnserved(entryPoint, fallbackError);
  return fallback;
}

/// The first byte of a ranked memref, from its descriptor
/// { allocated, aligned, offset, sizes[rank], strides[rank] }.
char *memrefStart(void *descriptor, int64_t elementSizeBytes) {
  auto *words = static_cast<int64_t *>(descriptor);
  return reinterpret_cast<char *>(words[1]) + words[2] * elementSizeBytes;
}

/// The bytes of a dense memref: the product of its sizes.
uint64_t memrefBytes(void *descriptor, int64_t rank, int64_t elementSizeBytes) {
  auto *sizes = static_cast<int64_t *>(descriptor) + 3;
  int64_t elements = 1;
  for (int64_t d = 0; d < rank; ++d)
    elements *= sizes[d];
  return static_cast<uint64_t>(elements * elementSizeBytes);
}

} // namespace

namespace kvcache::runtime {

void setGlobalCudaRuntime(CudaRuntime *runtime) {
  installedRuntime.store(runtime);
}

CudaRuntime *globalCudaRuntime() { return installedRuntime.load(); }

std::optional<CudaFailure> takeUnservedCall() {
  {
    std::lock_guard<std::mutex> lock(unservedMutex);
    std::optional<CudaFailure> taken = std::move(unserved);
    unserved.reset();
    if (taken)
      return taken;
  }
  // Or what failed on the device opened for such calls.
  if (CudaRuntime *fallback = fallbackRuntime.load())
    return fallback->takeFailure();
  return std::nullopt;
}

} // namespace kvcache::runtime

// Declared in CudaEntryPoints.h; definitions that disagree with a
// declaration would not compile (extern "C" forbids overloads).
#define KVCACHE_EXPORT extern "C" __attribute__((visibility("default")))

KVCACHE_EXPORT CUmodule mgpuModuleLoad(void *data, uint64_t gpuBlobSize) {
  CudaRuntime *runtime = runtimeFor("mgpuModuleLoad");
  return runtime ? runtime->loadModule(data, gpuBlobSize) : nullptr;
}

KVCACHE_EXPORT CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  CudaRuntime *runtime = runtimeFor("mgpuModuleLoadJIT");
  return runtime ? runtime->loadModuleJIT(data, optLevel) : nullptr;
}

KVCACHE_EXPORT void mgpuModuleUnload(CUmodule module) {
  // Bundles unload from a destructor, possibly after their host removed
  // its runtime: never open a device just to unload.
  CudaRuntime *runtime = installedRuntime.load();
  if (!runtime)
    runtime = fallbackRuntime.load();
  if (runtime)
    runtime->unloadModule(module);
}

KVCACHE_EXPORT CUfunction mgpuModuleGetFunction(CUmodule module,
                                                const char *name) {
  CudaRuntime *runtime = runtimeFor("mgpuModuleGetFunction");
  return runtime ? runtime->getFunction(module, name) : nullptr;
}

// Dimensions are intptr_t, MLIR's index, as upstream's wrapper takes them.
KVCACHE_EXPORT void mgpuLaunchKernel(CUfunction function, intptr_t gridX,
                                     intptr_t gridY, intptr_t gridZ,
                                     intptr_t blockX, intptr_t blockY,
                                     intptr_t blockZ, int32_t smem,
                                     CUstream stream, void **params,
                                     void **extra, size_t paramsCount) {
  if (CudaRuntime *runtime = runtimeFor("mgpuLaunchKernel"))
    runtime->launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                          smem, stream, params, extra,
                          static_cast<intptr_t>(paramsCount));
}

KVCACHE_EXPORT CUstream mgpuStreamCreate() {
  CudaRuntime *runtime = runtimeFor("mgpuStreamCreate");
  return runtime ? runtime->createStream() : nullptr;
}

KVCACHE_EXPORT void mgpuStreamDestroy(CUstream stream) {
  if (CudaRuntime *runtime = runtimeFor("mgpuStreamDestroy"))
    runtime->destroyStream(stream);
}

KVCACHE_EXPORT void mgpuStreamSynchronize(CUstream stream) {
  if (CudaRuntime *runtime = runtimeFor("mgpuStreamSynchronize"))
    runtime->synchronizeStream(stream);
}

KVCACHE_EXPORT void mgpuStreamWaitEvent(CUstream stream, CUevent event) {
  if (CudaRuntime *runtime = runtimeFor("mgpuStreamWaitEvent"))
    runtime->streamWaitEvent(stream, event);
}

KVCACHE_EXPORT CUevent mgpuEventCreate() {
  CudaRuntime *runtime = runtimeFor("mgpuEventCreate");
  return runtime ? runtime->createEvent() : nullptr;
}

KVCACHE_EXPORT void mgpuEventDestroy(CUevent event) {
  if (CudaRuntime *runtime = runtimeFor("mgpuEventDestroy"))
    runtime->destroyEvent(event);
}

KVCACHE_EXPORT void mgpuEventSynchronize(CUevent event) {
  if (CudaRuntime *runtime = runtimeFor("mgpuEventSynchronize"))
    runtime->synchronizeEvent(event);
}

KVCACHE_EXPORT void mgpuEventRecord(CUevent event, CUstream stream) {
  if (CudaRuntime *runtime = runtimeFor("mgpuEventRecord"))
    runtime->recordEvent(event, stream);
}

KVCACHE_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, CUstream stream,
                                  bool isHostShared) {
  CudaRuntime *runtime = runtimeFor("mgpuMemAlloc");
  return runtime ? runtime->allocate(sizeBytes, isHostShared) : nullptr;
}

KVCACHE_EXPORT void mgpuMemFree(void *pointer, CUstream stream) {
  if (CudaRuntime *runtime = runtimeFor("mgpuMemFree"))
    runtime->free(pointer);
}

KVCACHE_EXPORT void mgpuMemcpy(void *destination, void *source,
                               size_t sizeBytes, CUstream stream) {
  if (CudaRuntime *runtime = runtimeFor("mgpuMemcpy"))
    runtime->copy(destination, source, sizeBytes, stream);
}

KVCACHE_EXPORT void mgpuMemset32(void *destination, unsigned int value,
                                 size_t count, CUstream stream) {
  if (CudaRuntime *runtime = runtimeFor("mgpuMemset32"))
    runtime->memset32(destination, value, count, stream);
}

KVCACHE_EXPORT void mgpuMemset16(void *destination, unsigned short value,
                                 size_t count, CUstream stream) {
  if (CudaRuntime *runtime = runtimeFor("mgpuMemset16"))
    runtime->memset16(destination, value, count, stream);
}

KVCACHE_EXPORT void mgpuMemHostRegister(void *pointer, uint64_t sizeBytes) {
  if (CudaRuntime *runtime = runtimeFor("mgpuMemHostRegister"))
    runtime->hostRegister(pointer, sizeBytes);
}

KVCACHE_EXPORT void mgpuMemHostRegisterMemRef(int64_t rank, void *descriptor,
                                              int64_t elementSizeBytes) {
  CudaRuntime *runtime = runtimeFor("mgpuMemHostRegisterMemRef");
  if (!runtime)
    return;
  runtime->hostRegister(memrefStart(descriptor, elementSizeBytes),
                        memrefBytes(descriptor, rank, elementSizeBytes));
}

KVCACHE_EXPORT void mgpuMemHostUnregister(void *pointer) {
  if (CudaRuntime *runtime = runtimeFor("mgpuMemHostUnregister"))
    runtime->hostUnregister(pointer);
}

KVCACHE_EXPORT void mgpuMemHostUnregisterMemRef(int64_t rank, void *descriptor,
                                                int64_t elementSizeBytes) {
  CudaRuntime *runtime = runtimeFor("mgpuMemHostUnregisterMemRef");
  if (!runtime)
    return;
  runtime->hostUnregister(memrefStart(descriptor, elementSizeBytes));
}

KVCACHE_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  if (CudaRuntime *runtime = runtimeFor("mgpuSetDefaultDevice"))
    runtime->setDefaultDevice(device);
}

KVCACHE_EXPORT int32_t kvcache_runtime_num_sms(void) {
  CudaRuntime *runtime = runtimeFor("kvcache_runtime_num_sms");
  // One SM keeps the split rule well defined when there is no device; the
  // launch that follows fails and says why.
  return runtime ? runtime->numSms() : 1;
}

KVCACHE_EXPORT uint64_t kvcache_runtime_error_word(void) {
  CudaRuntime *runtime = runtimeFor("kvcache_runtime_error_word");
  return runtime ? runtime->errorWord() : 0;
}

KVCACHE_EXPORT uint64_t kvcache_runtime_workspace(uint64_t bytes) {
  CudaRuntime *runtime = runtimeFor("kvcache_runtime_workspace");
  return runtime ? runtime->workspace(bytes) : 0;
}
