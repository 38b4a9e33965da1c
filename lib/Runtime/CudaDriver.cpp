//===- CudaDriver.cpp - The CUDA driver API, opened at run time -----------===//

#include "kvcache/Runtime/CudaDriver.h"

#include <cstring>
#include <dlfcn.h>

namespace kvcache::cuda {

namespace {

/// Looks up the first of `names` that the library defines and stores it in
/// `slot`. Newer ABI names come first: cuEventElapsedTime_v2 (12.8+) fixes
/// its predecessor's handling of events from other contexts.
template <typename Fn>
bool bind(void *handle, Fn &slot, std::initializer_list<const char *> names) {
  for (const char *name : names) {
    if (void *symbol = dlsym(handle, name)) {
      std::memcpy(&slot, &symbol, sizeof(slot));
      return true;
    }
  }
  return false;
}

} // namespace

bool loadDriverApi(const std::string &library, DriverApi &api,
                   std::string &error) {
  dlerror();
  // RTLD_LOCAL: the driver's symbols must not interpose on anything the
  // bundle or kvcache-run defines (the stand-in driver is a C++ library).
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *message = dlerror();
    error = "cannot load " + library + ": " +
            (message ? message : "unknown dlopen error");
    return false;
  }
  DriverApi loaded;
  const char *missing = nullptr;
  auto required = [&](auto &slot,
                      std::initializer_list<const char *> names) {
    if (!bind(handle, slot, names) && !missing)
      missing = *names.begin();
  };
  auto optional = [&](auto &slot, std::initializer_list<const char *> names) {
    bind(handle, slot, names);
  };
  required(loaded.cuGetErrorName, {"cuGetErrorName"});
  required(loaded.cuGetErrorString, {"cuGetErrorString"});
  required(loaded.cuInit, {"cuInit"});
  required(loaded.cuDriverGetVersion, {"cuDriverGetVersion"});
  required(loaded.cuDeviceGetCount, {"cuDeviceGetCount"});
  required(loaded.cuDeviceGet, {"cuDeviceGet"});
  required(loaded.cuDeviceGetName, {"cuDeviceGetName"});
  required(loaded.cuDeviceGetAttribute, {"cuDeviceGetAttribute"});
  required(loaded.cuDeviceTotalMem, {"cuDeviceTotalMem_v2"});
  required(loaded.cuDevicePrimaryCtxRetain, {"cuDevicePrimaryCtxRetain"});
  required(loaded.cuCtxSetCurrent, {"cuCtxSetCurrent"});
  required(loaded.cuModuleLoadData, {"cuModuleLoadData"});
  required(loaded.cuModuleLoadDataEx, {"cuModuleLoadDataEx"});
  required(loaded.cuModuleUnload, {"cuModuleUnload"});
  required(loaded.cuModuleGetFunction, {"cuModuleGetFunction"});
  optional(loaded.cuFuncGetParamInfo, {"cuFuncGetParamInfo"});
  required(loaded.cuFuncSetAttribute, {"cuFuncSetAttribute"});
  required(loaded.cuLaunchKernel, {"cuLaunchKernel"});
  required(loaded.cuStreamCreate, {"cuStreamCreate"});
  required(loaded.cuStreamDestroy, {"cuStreamDestroy_v2"});
  required(loaded.cuStreamSynchronize, {"cuStreamSynchronize"});
  required(loaded.cuStreamWaitEvent, {"cuStreamWaitEvent"});
  required(loaded.cuEventCreate, {"cuEventCreate"});
  required(loaded.cuEventDestroy, {"cuEventDestroy_v2"});
  required(loaded.cuEventRecord, {"cuEventRecord"});
  required(loaded.cuEventSynchronize, {"cuEventSynchronize"});
  required(loaded.cuEventElapsedTime,
           {"cuEventElapsedTime_v2", "cuEventElapsedTime"});
  required(loaded.cuMemAlloc, {"cuMemAlloc_v2"});
  required(loaded.cuMemAllocManaged, {"cuMemAllocManaged"});
  required(loaded.cuMemFree, {"cuMemFree_v2"});
  required(loaded.cuMemGetInfo, {"cuMemGetInfo_v2"});
  required(loaded.cuMemcpyAsync, {"cuMemcpyAsync"});
  required(loaded.cuMemcpyHtoDAsync, {"cuMemcpyHtoDAsync_v2"});
  required(loaded.cuMemcpyDtoHAsync, {"cuMemcpyDtoHAsync_v2"});
  required(loaded.cuMemcpyDtoDAsync, {"cuMemcpyDtoDAsync_v2"});
  required(loaded.cuMemsetD8Async, {"cuMemsetD8Async"});
  required(loaded.cuMemsetD16Async, {"cuMemsetD16Async"});
  required(loaded.cuMemsetD32Async, {"cuMemsetD32Async"});
  required(loaded.cuMemHostRegister, {"cuMemHostRegister_v2"});
  required(loaded.cuMemHostUnregister, {"cuMemHostUnregister"});
  if (missing) {
    error = library + " has no " + missing + " (the driver is too old)";
    dlclose(handle);
    return false;
  }
  api = loaded;
  return true;
}

std::string describeResult(const DriverApi &api, CUresult result) {
  const char *name = nullptr;
  const char *message = nullptr;
  if (!api.cuGetErrorName || api.cuGetErrorName(result, &name) != 0)
    name = nullptr;
  if (!api.cuGetErrorString || api.cuGetErrorString(result, &message) != 0)
    message = nullptr;
  std::string text = name ? name : "CUresult " + std::to_string(result);
  if (message)
    text += std::string(": ") + message;
  return text;
}

} // namespace kvcache::cuda
