//===- MockDriver.h - A counting CUDA driver for unit tests -----*- C++ -*-===//
//
// A DriverApi whose functions count their calls and succeed, unless a test
// sets a failure for one. Device memory is host memory, so copies work and
// tests can look at what the runtime wrote. One mock at a time: the
// functions are plain function pointers and reach the mock through a
// global.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_UNITTESTS_RUNTIME_MOCKDRIVER_H
#define KVCACHE_UNITTESTS_RUNTIME_MOCKDRIVER_H

#include "kvcache/Runtime/CudaDriver.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>

namespace kvcache::runtime::testing {

struct MockDriver {
  /// Calls per driver function ("cuLaunchKernel" -> 2).
  std::map<std::string, int> calls;
  /// Results to return instead of success, per driver function.
  std::map<std::string, cuda::CUresult> failures;
  /// The parameter count cuFuncGetParamInfo reports for every function.
  size_t paramCount = 3;
  int numSms = 132;
  std::set<cuda::CUdeviceptr> allocations;
  /// The last launch.
  unsigned lastGridX = 0;
  unsigned lastMemsetValue = 0;

  static MockDriver *&current() {
    static MockDriver *mock = nullptr;
    return mock;
  }

  cuda::CUresult call(const char *name) {
    ++calls[name];
    auto it = failures.find(name);
    return it == failures.end() ? cuda::CUDA_SUCCESS : it->second;
  }
  int count(const char *name) const {
    auto it = calls.find(name);
    return it == calls.end() ? 0 : it->second;
  }

  MockDriver() { current() = this; }
  ~MockDriver() {
    for (cuda::CUdeviceptr pointer : allocations)
      std::free(reinterpret_cast<void *>(pointer));
    current() = nullptr;
  }

  /// Handles are distinct non-null addresses the runtime never dereferences.
  template <typename T> static T handle(uintptr_t value) {
    return reinterpret_cast<T>(value << 4);
  }

  cuda::DriverApi api() const;
};

namespace mock {
using namespace kvcache::cuda;
inline MockDriver &m() { return *MockDriver::current(); }

/// Device memory: host memory with cuMemAlloc's 256-byte alignment
/// (aligned_alloc wants a multiple of it).
inline CUdeviceptr deviceMemory(size_t bytes) {
  void *memory = std::aligned_alloc(256, (bytes + 255) / 256 * 256);
  m().allocations.insert(reinterpret_cast<uintptr_t>(memory));
  return reinterpret_cast<uintptr_t>(memory);
}

inline CUresult getErrorName(CUresult result, const char **name) {
  *name = result == CUDA_ERROR_INVALID_VALUE     ? "CUDA_ERROR_INVALID_VALUE"
          : result == CUDA_ERROR_NO_DEVICE       ? "CUDA_ERROR_NO_DEVICE"
          : result == CUDA_ERROR_ILLEGAL_ADDRESS ? "CUDA_ERROR_ILLEGAL_ADDRESS"
          : result == CUDA_ERROR_NOT_FOUND       ? "CUDA_ERROR_NOT_FOUND"
          : result == CUDA_ERROR_OUT_OF_MEMORY   ? "CUDA_ERROR_OUT_OF_MEMORY"
                                                 : nullptr;
  return *name ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}
inline CUresult getErrorString(CUresult result, const char **message) {
  *message = "mock message";
  return CUDA_SUCCESS;
}
inline CUresult init(unsigned) { return m().call("cuInit"); }
inline CUresult driverGetVersion(int *version) {
  *version = 12080;
  return m().call("cuDriverGetVersion");
}
inline CUresult deviceGetCount(int *count) {
  *count = 1;
  return m().call("cuDeviceGetCount");
}
inline CUresult deviceGet(CUdevice *device, int ordinal) {
  *device = ordinal;
  return m().call("cuDeviceGet");
}
inline CUresult deviceGetName(char *name, int length, CUdevice) {
  std::strncpy(name, "mock device", static_cast<size_t>(length));
  return m().call("cuDeviceGetName");
}
inline CUresult deviceGetAttribute(int *value, CUdevice_attribute which,
                                   CUdevice) {
  *value = which == CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT       ? m().numSms
           : which == CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE            ? 50 << 20
           : which == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR ? 9
           : which == CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
               ? 227 << 10
               : 0;
  return m().call("cuDeviceGetAttribute");
}
inline CUresult deviceTotalMem(size_t *bytes, CUdevice) {
  *bytes = size_t(80) << 30;
  return m().call("cuDeviceTotalMem");
}
inline CUresult primaryCtxRetain(CUcontext *context, CUdevice) {
  *context = MockDriver::handle<CUcontext>(1);
  return m().call("cuDevicePrimaryCtxRetain");
}
inline CUresult ctxSetCurrent(CUcontext) { return m().call("cuCtxSetCurrent"); }
inline CUresult moduleLoadData(CUmodule *module, const void *) {
  *module = MockDriver::handle<CUmodule>(2);
  return m().call("cuModuleLoadData");
}
inline CUresult moduleLoadDataEx(CUmodule *module, const void *, unsigned,
                                 CUjit_option *, void **) {
  *module = MockDriver::handle<CUmodule>(2);
  return m().call("cuModuleLoadDataEx");
}
inline CUresult moduleUnload(CUmodule) { return m().call("cuModuleUnload"); }
inline CUresult moduleGetFunction(CUfunction *function, CUmodule,
                                  const char *name) {
  // One handle per name, as the driver gives.
  *function = MockDriver::handle<CUfunction>(100 + std::strlen(name));
  return m().call("cuModuleGetFunction");
}
inline CUresult funcGetParamInfo(CUfunction, size_t index, size_t *offset,
                                 size_t *size) {
  m().call("cuFuncGetParamInfo");
  if (index >= m().paramCount)
    return CUDA_ERROR_INVALID_VALUE;
  *offset = 8 * index;
  *size = 8;
  return CUDA_SUCCESS;
}
inline CUresult funcSetAttribute(CUfunction, CUfunction_attribute, int) {
  return m().call("cuFuncSetAttribute");
}
inline CUresult launchKernel(CUfunction, unsigned gridX, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, CUstream,
                             void **, void **) {
  m().lastGridX = gridX;
  return m().call("cuLaunchKernel");
}
inline CUresult streamCreate(CUstream *stream, unsigned) {
  *stream = MockDriver::handle<CUstream>(3);
  return m().call("cuStreamCreate");
}
inline CUresult streamDestroy(CUstream) { return m().call("cuStreamDestroy"); }
inline CUresult streamSynchronize(CUstream) {
  return m().call("cuStreamSynchronize");
}
inline CUresult streamWaitEvent(CUstream, CUevent, unsigned) {
  return m().call("cuStreamWaitEvent");
}
inline CUresult eventCreate(CUevent *event, unsigned) {
  *event = MockDriver::handle<CUevent>(4);
  return m().call("cuEventCreate");
}
inline CUresult eventDestroy(CUevent) { return m().call("cuEventDestroy"); }
inline CUresult eventRecord(CUevent, CUstream) {
  return m().call("cuEventRecord");
}
inline CUresult eventSynchronize(CUevent) {
  return m().call("cuEventSynchronize");
}
inline CUresult eventElapsedTime(float *milliseconds, CUevent, CUevent) {
  *milliseconds = 0.5f;
  return m().call("cuEventElapsedTime");
}
inline CUresult memAlloc(CUdeviceptr *pointer, size_t bytes) {
  CUresult result = m().call("cuMemAlloc");
  if (result != CUDA_SUCCESS)
    return result;
  *pointer = deviceMemory(bytes);
  return CUDA_SUCCESS;
}
inline CUresult memAllocManaged(CUdeviceptr *pointer, size_t bytes, unsigned) {
  m().call("cuMemAllocManaged");
  *pointer = deviceMemory(bytes);
  return CUDA_SUCCESS;
}
inline CUresult memFree(CUdeviceptr pointer) {
  if (m().allocations.erase(pointer))
    std::free(reinterpret_cast<void *>(pointer));
  return m().call("cuMemFree");
}
inline CUresult memGetInfo(size_t *free, size_t *total) {
  *free = *total = size_t(80) << 30;
  return m().call("cuMemGetInfo");
}
inline CUresult memcpyAsync(CUdeviceptr destination, CUdeviceptr source,
                            size_t bytes, CUstream) {
  std::memcpy(reinterpret_cast<void *>(destination),
              reinterpret_cast<const void *>(source), bytes);
  return m().call("cuMemcpyAsync");
}
inline CUresult memcpyHtoDAsync(CUdeviceptr destination, const void *source,
                                size_t bytes, CUstream) {
  std::memcpy(reinterpret_cast<void *>(destination), source, bytes);
  return m().call("cuMemcpyHtoDAsync");
}
inline CUresult memcpyDtoHAsync(void *destination, CUdeviceptr source,
                                size_t bytes, CUstream) {
  std::memcpy(destination, reinterpret_cast<const void *>(source), bytes);
  return m().call("cuMemcpyDtoHAsync");
}
inline CUresult memcpyDtoDAsync(CUdeviceptr destination, CUdeviceptr source,
                                size_t bytes, CUstream) {
  std::memcpy(reinterpret_cast<void *>(destination),
              reinterpret_cast<const void *>(source), bytes);
  return m().call("cuMemcpyDtoDAsync");
}
inline CUresult memsetD8Async(CUdeviceptr destination, unsigned char value,
                              size_t count, CUstream) {
  std::memset(reinterpret_cast<void *>(destination), value, count);
  m().lastMemsetValue = value;
  return m().call("cuMemsetD8Async");
}
inline CUresult memsetD16Async(CUdeviceptr, unsigned short, size_t, CUstream) {
  return m().call("cuMemsetD16Async");
}
inline CUresult memsetD32Async(CUdeviceptr destination, unsigned value,
                               size_t count, CUstream) {
  CUresult result = m().call("cuMemsetD32Async");
  if (result == CUDA_SUCCESS)
    std::fill_n(reinterpret_cast<uint32_t *>(destination), count, value);
  return result;
}
inline CUresult memHostRegister(void *, size_t, unsigned) {
  return m().call("cuMemHostRegister");
}
inline CUresult memHostUnregister(void *) {
  return m().call("cuMemHostUnregister");
}
} // namespace mock

inline cuda::DriverApi MockDriver::api() const {
  cuda::DriverApi api;
  api.cuGetErrorName = mock::getErrorName;
  api.cuGetErrorString = mock::getErrorString;
  api.cuInit = mock::init;
  api.cuDriverGetVersion = mock::driverGetVersion;
  api.cuDeviceGetCount = mock::deviceGetCount;
  api.cuDeviceGet = mock::deviceGet;
  api.cuDeviceGetName = mock::deviceGetName;
  api.cuDeviceGetAttribute = mock::deviceGetAttribute;
  api.cuDeviceTotalMem = mock::deviceTotalMem;
  api.cuDevicePrimaryCtxRetain = mock::primaryCtxRetain;
  api.cuCtxSetCurrent = mock::ctxSetCurrent;
  api.cuModuleLoadData = mock::moduleLoadData;
  api.cuModuleLoadDataEx = mock::moduleLoadDataEx;
  api.cuModuleUnload = mock::moduleUnload;
  api.cuModuleGetFunction = mock::moduleGetFunction;
  api.cuFuncGetParamInfo = mock::funcGetParamInfo;
  api.cuFuncSetAttribute = mock::funcSetAttribute;
  api.cuLaunchKernel = mock::launchKernel;
  api.cuStreamCreate = mock::streamCreate;
  api.cuStreamDestroy = mock::streamDestroy;
  api.cuStreamSynchronize = mock::streamSynchronize;
  api.cuStreamWaitEvent = mock::streamWaitEvent;
  api.cuEventCreate = mock::eventCreate;
  api.cuEventDestroy = mock::eventDestroy;
  api.cuEventRecord = mock::eventRecord;
  api.cuEventSynchronize = mock::eventSynchronize;
  api.cuEventElapsedTime = mock::eventElapsedTime;
  api.cuMemAlloc = mock::memAlloc;
  api.cuMemAllocManaged = mock::memAllocManaged;
  api.cuMemFree = mock::memFree;
  api.cuMemGetInfo = mock::memGetInfo;
  api.cuMemcpyAsync = mock::memcpyAsync;
  api.cuMemcpyHtoDAsync = mock::memcpyHtoDAsync;
  api.cuMemcpyDtoHAsync = mock::memcpyDtoHAsync;
  api.cuMemcpyDtoDAsync = mock::memcpyDtoDAsync;
  api.cuMemsetD8Async = mock::memsetD8Async;
  api.cuMemsetD16Async = mock::memsetD16Async;
  api.cuMemsetD32Async = mock::memsetD32Async;
  api.cuMemHostRegister = mock::memHostRegister;
  api.cuMemHostUnregister = mock::memHostUnregister;
  return api;
}

} // namespace kvcache::runtime::testing

#endif // KVCACHE_UNITTESTS_RUNTIME_MOCKDRIVER_H
