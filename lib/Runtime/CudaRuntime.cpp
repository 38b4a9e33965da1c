//===- CudaRuntime.cpp - The device side of GPU bundles -------------------===//
//
// Locks guard the caches and the latch only, never a driver call, because
// latching takes the lock too. The bundles call the entry points from one
// thread, so the locks are uncontended; they are there so that a second
// thread cannot corrupt a cache.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Runtime/CudaRuntime.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/InputFault.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>

namespace kvcache::runtime {

using namespace kvcache::cuda;

namespace {

/// The context current on this thread, as far as the runtime set it: the
/// entry points may be called from any thread, and cuCtxSetCurrent is
/// needed once per thread, not per call.
thread_local CUcontext currentContext = nullptr;

/// The call this thread is making under a CallScope, if any.
thread_local CallContext *activeCall = nullptr;

/// Whether the host code is only being measured: nothing reaches the
/// device.
bool measuring() { return activeCall && activeCall->measure; }

/// Device memory the runtime hands out is rounded up to this; it is also
/// cuMemAlloc's alignment, more than the 16 bytes the kernels need.
constexpr uint64_t kAllocationGranule = 256;

uint64_t roundUp(uint64_t value, uint64_t granule) {
  return (value + granule - 1) / granule * granule;
}

std::string dims(intptr_t x, intptr_t y, intptr_t z) {
  return "(" + std::to_string(x) + ", " + std::to_string(y) + ", " +
         std::to_string(z) + ")";
}

/// "sm_90a" -> (9, 0, true). Returns false for anything else.
bool parseChip(const std::string &target, int &major, int &minor,
               bool &archSpecific) {
  if (target.compare(0, 3, "sm_") != 0)
    return false;
  size_t end = 3;
  while (end < target.size() &&
         std::isdigit(static_cast<unsigned char>(target[end])))
    ++end;
  std::string digits = target.substr(3, end - 3);
  std::string suffix = target.substr(end);
  if (digits.size() < 2 || digits.size() > 3 ||
      (!suffix.empty() && suffix != "a" && suffix != "f"))
    return false;
  major = std::stoi(digits.substr(0, digits.size() - 1));
  minor = digits.back() - '0';
  archSpecific = suffix == "a";
  return true;
}

} // namespace

std::string DeviceInfo::chip() const {
  return "sm_" + std::to_string(computeMajor) + std::to_string(computeMinor);
}

std::optional<std::string> targetMismatch(const std::string &target,
                                          const DeviceInfo &device) {
  int major = 0, minor = 0;
  bool archSpecific = false;
  if (!parseChip(target, major, minor, archSpecific))
    return "the bundle's target '" + target + "' is not a CUDA chip (sm_XY)";
  bool runs =
      archSpecific
          ? major == device.computeMajor && minor == device.computeMinor
          : major == device.computeMajor && minor <= device.computeMinor;
  if (runs)
    return std::nullopt;
  return "the bundle's target is " + target + ", device " +
         std::to_string(device.ordinal) + " (" + device.name + ") is " +
         device.chip();
}

CallScope::CallScope(CallContext &call) : previous(activeCall) {
  activeCall = &call;
}

CallScope::~CallScope() { activeCall = previous; }

std::string CudaFailure::message() const {
  std::string text = entryPoint;
  if (!kernel.empty())
    text += std::string(afterKernel ? " (after kernel '" : " (kernel '") +
            kernel + "')";
  text += ": ";
  if (!driverCall.empty())
    text += driverCall + " failed: ";
  return text + detail;
}

CudaRuntime::CudaRuntime(const DriverApi &driver, int ordinal) : api(driver) {
  info.ordinal = ordinal;
  // Every failure here means this machine cannot run GPU bundles (no
  // device, a device another process holds exclusively, ...).
  auto require = [&](CUresult result, const char *call) {
    if (result != CUDA_SUCCESS)
      throw DeviceUnavailableError(std::string(call) +
                                   " failed: " + describeResult(api, result));
  };
  require(api.cuInit(0), "cuInit");
  int count = 0;
  require(api.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count <= 0)
    throw DeviceUnavailableError("the driver reports no CUDA device");
  if (ordinal < 0 || ordinal >= count)
    throw DeviceUnavailableError("there is no device " +
                                 std::to_string(ordinal) +
                                 " (the driver "
                                 "reports " +
                                 std::to_string(count) + ")");
  require(api.cuDeviceGet(&deviceHandle, ordinal), "cuDeviceGet");
  char name[256] = {};
  require(api.cuDeviceGetName(name, sizeof(name) - 1, deviceHandle),
          "cuDeviceGetName");
  info.name = name;
  require(api.cuDriverGetVersion(&info.driverVersion), "cuDriverGetVersion");
  auto attribute = [&](CUdevice_attribute which, int &value) {
    require(api.cuDeviceGetAttribute(&value, which, deviceHandle),
            "cuDeviceGetAttribute");
  };
  attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, info.computeMajor);
  attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, info.computeMinor);
  attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, info.numSms);
  attribute(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, info.l2CacheBytes);
  attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
            info.sharedBytesOptIn);
  require(api.cuDeviceTotalMem(&info.totalMemoryBytes, deviceHandle),
          "cuDeviceTotalMem");
  require(api.cuDevicePrimaryCtxRetain(&context, deviceHandle),
          "cuDevicePrimaryCtxRetain");
  require(api.cuCtxSetCurrent(context), "cuCtxSetCurrent");
  currentContext = context;
  // Non-blocking, as upstream's mgpuStreamCreate: the runtime's work does
  // not wait for another library's work on the legacy default stream.
  require(api.cuStreamCreate(&mainStream, CU_STREAM_NON_BLOCKING),
          "cuStreamCreate");
}

std::unique_ptr<CudaRuntime> CudaRuntime::open(int ordinal,
                                               const std::string &library) {
  DriverApi driver;
  std::string error;
  if (!loadDriverApi(library, driver, error))
    throw DeviceUnavailableError(error);
  return std::make_unique<CudaRuntime>(driver, ordinal);
}

CudaRuntime::~CudaRuntime() {
  if (currentContext != context && context)
    api.cuCtxSetCurrent(context);
  if (mainStream)
    api.cuStreamSynchronize(mainStream);
  if (workspaceBuffer)
    api.cuMemFree(workspaceBuffer);
  if (faultWord)
    api.cuMemFree(faultWord);
  if (mainStream)
    api.cuStreamDestroy(mainStream);
}

//===----------------------------------------------------------------------===//
// The latch
//===----------------------------------------------------------------------===//

void CudaRuntime::latch(CudaFailure newFailure) {
  if (CallContext *call = activeCall) {
    if (!call->failure)
      call->failure = std::move(newFailure);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (!failure)
    failure = std::move(newFailure);
}

bool CudaRuntime::ok(CUresult result, const char *entryPoint,
                     const char *driverCall, const std::string &kernel,
                     bool afterKernel) {
  if (result == CUDA_SUCCESS)
    return true;
  latch({entryPoint, kernel, afterKernel, driverCall, result,
         describeResult(api, result)});
  return false;
}

void CudaRuntime::collectFaultWord(CUdeviceptr word, CUstream stream) {
  if (!word || !makeCurrent("kvcache_runtime_error_word"))
    return;
  uint64_t value = 0;
  const char *entryPoint = "kvcache_runtime_error_word";
  if (!ok(api.cuMemcpyDtoHAsync(&value, word, sizeof value, stream), entryPoint,
          "cuMemcpyDtoHAsync") ||
      !ok(api.cuStreamSynchronize(stream), entryPoint, "cuStreamSynchronize") ||
      value == 0)
    return;
  latchInputFault({abi::Fault::PageOutOfRange,
                   static_cast<int64_t>(abi::faultWordRequest(value)),
                   static_cast<int64_t>(abi::faultWordPosition(value)), -1,
                   -1});
  // Cleared for the next call.
  ok(api.cuMemsetD32Async(word, 0, 2, stream), entryPoint, "cuMemsetD32Async");
  ok(api.cuStreamSynchronize(stream), entryPoint, "cuStreamSynchronize");
}

std::optional<CudaFailure> CudaRuntime::takeFailure() {
  {
    std::lock_guard<std::mutex> lock(workspaceMutex);
    collectFaultWord(faultWord, mainStream);
  }
  std::lock_guard<std::mutex> lock(mutex);
  std::optional<CudaFailure> taken = std::move(failure);
  failure.reset();
  return taken;
}

std::optional<CudaFailure> CudaRuntime::takeFailure(CallContext &call,
                                                    bool wait) {
  CallScope scope(call);
  if (!call.measure && wait) {
    // A kernel's fault surfaces at the synchronisation: name the kernel
    // launched last.
    if (makeCurrent("mgpuStreamSynchronize"))
      ok(api.cuStreamSynchronize(call.stream), "mgpuStreamSynchronize",
         "cuStreamSynchronize", call.lastKernel, /*afterKernel=*/true);
    collectFaultWord(call.faultWord, call.stream);
  }
  std::optional<CudaFailure> taken = std::move(call.failure);
  call.failure.reset();
  return taken;
}

bool CudaRuntime::hasFailure() const {
  if (const CallContext *call = activeCall)
    return call->failure.has_value();
  std::lock_guard<std::mutex> lock(mutex);
  return failure.has_value();
}

bool CudaRuntime::makeCurrent(const char *entryPoint) {
  if (currentContext == context)
    return true;
  if (!ok(api.cuCtxSetCurrent(context), entryPoint, "cuCtxSetCurrent"))
    return false;
  currentContext = context;
  return true;
}

//===----------------------------------------------------------------------===//
// Modules and functions
//===----------------------------------------------------------------------===//

CUmodule CudaRuntime::loadModule(const void *image, uint64_t size) {
  if (!makeCurrent("mgpuModuleLoad"))
    return nullptr;
  CUmodule module = nullptr;
  // cuModuleLoadData reads the size from the image's own header.
  if (!ok(api.cuModuleLoadData(&module, image), "mgpuModuleLoad",
          "cuModuleLoadData"))
    return nullptr;
  return module;
}

CUmodule CudaRuntime::loadModuleJIT(const void *image, int optLevel) {
  if (!makeCurrent("mgpuModuleLoadJIT"))
    return nullptr;
  char log[4096] = {};
  CUjit_option options[] = {CU_JIT_OPTIMIZATION_LEVEL, CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {reinterpret_cast<void *>(static_cast<intptr_t>(optLevel)),
                    log, reinterpret_cast<void *>(sizeof(log) - 1)};
  CUmodule module = nullptr;
  CUresult result = api.cuModuleLoadDataEx(&module, image, 3, options, values);
  if (result != CUDA_SUCCESS) {
    std::string detail = describeResult(api, result);
    if (log[0])
      detail += "; the JIT says: " + std::string(log);
    latch(
        {"mgpuModuleLoadJIT", "", false, "cuModuleLoadDataEx", result, detail});
    return nullptr;
  }
  return module;
}

void CudaRuntime::unloadModule(CUmodule module) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = functionsByAddress.begin(); it != functionsByAddress.end();)
      it = it->first.first == module ? functionsByAddress.erase(it) : ++it;
    for (auto it = functionsByName.begin(); it != functionsByName.end();)
      it = it->first.first == module ? functionsByName.erase(it) : ++it;
    for (auto it = functions.begin(); it != functions.end();)
      it = it->second.module == module ? functions.erase(it) : ++it;
  }
  if (!module || !makeCurrent("mgpuModuleUnload"))
    return;
  ok(api.cuModuleUnload(module), "mgpuModuleUnload", "cuModuleUnload");
}

int64_t CudaRuntime::countParameters(CUfunction function) {
  if (!api.cuFuncGetParamInfo)
    return -1;
  // The driver answers CUDA_ERROR_INVALID_VALUE past the last parameter.
  // A kernel whose first query fails is treated as unknown rather than as
  // taking none: kernels without parameters are rare, a driver that cannot
  // describe a function is not.
  constexpr int64_t kMaxParameters = 1 << 16;
  for (int64_t index = 0; index < kMaxParameters; ++index) {
    size_t offset = 0, size = 0;
    if (api.cuFuncGetParamInfo(function, static_cast<size_t>(index), &offset,
                               &size) != CUDA_SUCCESS)
      return index > 0 ? index : -1;
  }
  return -1;
}

CUfunction CudaRuntime::getFunction(CUmodule module, const char *name) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto byAddress = functionsByAddress.find({module, name});
    if (byAddress != functionsByAddress.end())
      return byAddress->second;
    auto byName = functionsByName.find({module, std::string(name)});
    if (byName != functionsByName.end()) {
      functionsByAddress.emplace(std::make_pair(module, name), byName->second);
      return byName->second;
    }
  }
  // After a failure the launch that wants this function is skipped anyway.
  if (hasFailure() || !makeCurrent("mgpuModuleGetFunction"))
    return nullptr;
  CUfunction function = nullptr;
  if (!ok(api.cuModuleGetFunction(&function, module, name),
          "mgpuModuleGetFunction", "cuModuleGetFunction", name))
    return nullptr;
  FunctionInfo functionInfo;
  functionInfo.name = name;
  functionInfo.module = module;
  functionInfo.paramCount = countParameters(function);
  std::lock_guard<std::mutex> lock(mutex);
  functionsByAddress.emplace(std::make_pair(module, name), function);
  functionsByName.emplace(std::make_pair(module, std::string(name)), function);
  functions.emplace(function, std::move(functionInfo));
  return function;
}

const std::string &CudaRuntime::kernelName(CUfunction function) const {
  static const std::string unknown = "<unknown function>";
  auto it = functions.find(function);
  return it == functions.end() ? unknown : it->second.name;
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

void CudaRuntime::launchKernel(CUfunction function, intptr_t gridX,
                               intptr_t gridY, intptr_t gridZ, intptr_t blockX,
                               intptr_t blockY, intptr_t blockZ,
                               int32_t sharedBytes, CUstream stream,
                               void **params, void **extra,
                               intptr_t paramsCount) {
  std::string name;
  int64_t expectedParams = -1;
  int32_t sharedBytesAllowed = 0;
  // A latched failure skips later launches: they would run on the results
  // of the one that failed.
  if (measuring() || hasFailure())
    return;
  {
    std::lock_guard<std::mutex> lock(mutex);
    name = kernelName(function);
    auto it = functions.find(function);
    if (it != functions.end()) {
      expectedParams = it->second.paramCount;
      sharedBytesAllowed = it->second.sharedBytesAllowed;
    }
  }
  auto refuse = [&](std::string detail) {
    latch(
        {"mgpuLaunchKernel", name, false, "", CUDA_SUCCESS, std::move(detail)});
  };
  if (!function)
    return refuse("no function to launch (mgpuModuleGetFunction failed)");
  constexpr intptr_t kMaxDim = std::numeric_limits<unsigned>::max();
  for (intptr_t dim : {gridX, gridY, gridZ, blockX, blockY, blockZ})
    if (dim < 1 || dim > kMaxDim)
      return refuse("grid " + dims(gridX, gridY, gridZ) + ", block " +
                    dims(blockX, blockY, blockZ) +
                    ": every dimension must be in 1.." +
                    std::to_string(kMaxDim));
  if (expectedParams >= 0 && paramsCount != expectedParams)
    return refuse("the host code passes " + std::to_string(paramsCount) +
                  " parameters, the kernel takes " +
                  std::to_string(expectedParams));
  if (sharedBytes < 0)
    return refuse("negative dynamic shared memory (" +
                  std::to_string(sharedBytes) + " bytes)");
  if (!makeCurrent("mgpuLaunchKernel"))
    return;
  if (sharedBytes > sharedBytesAllowed) {
    // Above 48 KiB a kernel must opt in, once; the attribute stays set.
    if (sharedBytes > info.sharedBytesOptIn)
      return refuse(std::to_string(sharedBytes) +
                    " bytes of dynamic shared memory; the device allows " +
                    std::to_string(info.sharedBytesOptIn));
    if (!ok(api.cuFuncSetAttribute(
                function, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                sharedBytes),
            "mgpuLaunchKernel", "cuFuncSetAttribute", name))
      return;
    std::lock_guard<std::mutex> lock(mutex);
    functions[function].sharedBytesAllowed = sharedBytes;
  }
  if (activeCall) {
    activeCall->lastKernel = name;
  } else {
    std::lock_guard<std::mutex> lock(mutex);
    lastKernel = name;
  }
  ok(api.cuLaunchKernel(
         function, static_cast<unsigned>(gridX), static_cast<unsigned>(gridY),
         static_cast<unsigned>(gridZ), static_cast<unsigned>(blockX),
         static_cast<unsigned>(blockY), static_cast<unsigned>(blockZ),
         static_cast<unsigned>(sharedBytes), stream, params, extra),
     "mgpuLaunchKernel", "cuLaunchKernel", name);
}

//===----------------------------------------------------------------------===//
// Streams and events
//===----------------------------------------------------------------------===//

CUstream CudaRuntime::createStream() {
  return activeCall ? activeCall->stream : mainStream;
}

void CudaRuntime::destroyStream(CUstream) {
  // The runtime's stream lives as long as the runtime; it never creates
  // another one.
}

void CudaRuntime::synchronizeStream(CUstream stream) {
  // The runtime's one stream orders everything queued on it.
  if (measuring() || (streamOrderedCalls && stream == mainStream) ||
      (activeCall && activeCall->streamOrdered && stream == activeCall->stream))
    return;
  if (!makeCurrent("mgpuStreamSynchronize"))
    return;
  std::string kernel;
  if (activeCall) {
    kernel = activeCall->lastKernel;
  } else {
    std::lock_guard<std::mutex> lock(mutex);
    kernel = lastKernel;
  }
  // A kernel's fault surfaces at the next synchronisation: name the kernel
  // launched last.
  ok(api.cuStreamSynchronize(stream), "mgpuStreamSynchronize",
     "cuStreamSynchronize", kernel, /*afterKernel=*/true);
}

void CudaRuntime::streamWaitEvent(CUstream stream, CUevent event) {
  if (!measuring() && makeCurrent("mgpuStreamWaitEvent"))
    ok(api.cuStreamWaitEvent(stream, event, 0), "mgpuStreamWaitEvent",
       "cuStreamWaitEvent");
}

CUevent CudaRuntime::createEvent() {
  if (!makeCurrent("mgpuEventCreate"))
    return nullptr;
  CUevent event = nullptr;
  // The host code's events only order work; timing them costs.
  if (!ok(api.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "mgpuEventCreate",
          "cuEventCreate"))
    return nullptr;
  return event;
}

void CudaRuntime::destroyEvent(CUevent event) {
  if (event && makeCurrent("mgpuEventDestroy"))
    ok(api.cuEventDestroy(event), "mgpuEventDestroy", "cuEventDestroy");
}

void CudaRuntime::recordEvent(CUevent event, CUstream stream) {
  if (!measuring() && makeCurrent("mgpuEventRecord"))
    ok(api.cuEventRecord(event, stream), "mgpuEventRecord", "cuEventRecord");
}

void CudaRuntime::synchronizeEvent(CUevent event) {
  if (measuring() || !makeCurrent("mgpuEventSynchronize"))
    return;
  std::string kernel;
  if (activeCall) {
    kernel = activeCall->lastKernel;
  } else {
    std::lock_guard<std::mutex> lock(mutex);
    kernel = lastKernel;
  }
  ok(api.cuEventSynchronize(event), "mgpuEventSynchronize",
     "cuEventSynchronize", kernel, /*afterKernel=*/true);
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

void *CudaRuntime::allocate(uint64_t bytes, bool hostShared) {
  // The driver rejects empty allocations; an empty memref needs no memory.
  if (bytes == 0 || measuring() || !makeCurrent("mgpuMemAlloc"))
    return nullptr;
  CUdeviceptr pointer = 0;
  CUresult result =
      hostShared ? api.cuMemAllocManaged(&pointer, bytes, CU_MEM_ATTACH_GLOBAL)
                 : api.cuMemAlloc(&pointer, bytes);
  if (!ok(result, "mgpuMemAlloc",
          hostShared ? "cuMemAllocManaged" : "cuMemAlloc"))
    return nullptr;
  return reinterpret_cast<void *>(static_cast<uintptr_t>(pointer));
}

void CudaRuntime::free(void *pointer) {
  if (pointer && !measuring() && makeCurrent("mgpuMemFree"))
    ok(api.cuMemFree(reinterpret_cast<uintptr_t>(pointer)), "mgpuMemFree",
       "cuMemFree");
}

void CudaRuntime::copy(void *destination, const void *source, uint64_t bytes,
                       CUstream stream) {
  if (bytes == 0 || measuring() || !makeCurrent("mgpuMemcpy"))
    return;
  // Unified addressing: the driver tells host from device pointers.
  ok(api.cuMemcpyAsync(reinterpret_cast<uintptr_t>(destination),
                       reinterpret_cast<uintptr_t>(source), bytes, stream),
     "mgpuMemcpy", "cuMemcpyAsync");
}

void CudaRuntime::memset32(void *destination, uint32_t value, uint64_t count,
                           CUstream stream) {
  if (count && !measuring() && makeCurrent("mgpuMemset32"))
    ok(api.cuMemsetD32Async(reinterpret_cast<uintptr_t>(destination), value,
                            count, stream),
       "mgpuMemset32", "cuMemsetD32Async");
}

void CudaRuntime::memset16(void *destination, uint16_t value, uint64_t count,
                           CUstream stream) {
  if (count && !measuring() && makeCurrent("mgpuMemset16"))
    ok(api.cuMemsetD16Async(reinterpret_cast<uintptr_t>(destination), value,
                            count, stream),
       "mgpuMemset16", "cuMemsetD16Async");
}

void CudaRuntime::hostRegister(void *pointer, uint64_t bytes) {
  if (bytes && makeCurrent("mgpuMemHostRegister"))
    ok(api.cuMemHostRegister(pointer, bytes, 0), "mgpuMemHostRegister",
       "cuMemHostRegister");
}

void CudaRuntime::hostUnregister(void *pointer) {
  if (pointer && makeCurrent("mgpuMemHostUnregister"))
    ok(api.cuMemHostUnregister(pointer), "mgpuMemHostUnregister",
       "cuMemHostUnregister");
}

void CudaRuntime::setDefaultDevice(int32_t ordinal) {
  if (ordinal != info.ordinal)
    latch({"mgpuSetDefaultDevice", "", false, "", CUDA_SUCCESS,
           "the runtime runs on device " + std::to_string(info.ordinal) +
               "; device " + std::to_string(ordinal) +
               " would need another runtime"});
}

uint64_t CudaRuntime::errorWord() {
  if (activeCall)
    return activeCall->faultWord;
  std::lock_guard<std::mutex> lock(workspaceMutex);
  if (faultWord)
    return faultWord;
  const char *entryPoint = "kvcache_runtime_error_word";
  if (!makeCurrent(entryPoint))
    return 0;
  CUdeviceptr pointer = 0;
  if (!ok(api.cuMemAlloc(&pointer, 8), entryPoint, "cuMemAlloc"))
    return 0;
  if (!ok(api.cuMemsetD32Async(pointer, 0, 2, mainStream), entryPoint,
          "cuMemsetD32Async") ||
      !ok(api.cuStreamSynchronize(mainStream), entryPoint,
          "cuStreamSynchronize")) {
    api.cuMemFree(pointer);
    return 0;
  }
  faultWord = pointer;
  return faultWord;
}

uint64_t CudaRuntime::workspace(uint64_t bytes) {
  if (CallContext *call = activeCall) {
    call->workspaceAsked = std::max(call->workspaceAsked, bytes);
    if (call->measure || bytes <= call->workspaceBytes)
      return call->workspace;
    latch({"kvcache_runtime_workspace", "", false, "", CUDA_SUCCESS,
           "the call needs " + std::to_string(bytes) +
               " bytes of workspace past the fault word, the caller's "
               "workspace leaves " +
               std::to_string(call->workspaceBytes) +
               " (kvcache_call_workspace_bytes says how many to give)"});
    return 0;
  }
  std::lock_guard<std::mutex> lock(workspaceMutex);
  if (bytes <= workspaceBytes)
    return workspaceBuffer;
  const char *entryPoint = "kvcache_runtime_workspace";
  if (!makeCurrent(entryPoint))
    return 0;
  if (workspaceBuffer) {
    // Kernels in flight may still use the old buffer.
    if (!ok(api.cuStreamSynchronize(mainStream), entryPoint,
            "cuStreamSynchronize"))
      return 0;
    ok(api.cuMemFree(workspaceBuffer), entryPoint, "cuMemFree");
    workspaceBuffer = 0;
    workspaceBytes = 0;
  }
  uint64_t rounded = roundUp(bytes, kAllocationGranule);
  CUdeviceptr pointer = 0;
  CUresult result = api.cuMemAlloc(&pointer, rounded);
  if (result != CUDA_SUCCESS) {
    latch({entryPoint, "", false, "cuMemAlloc", result,
           describeResult(api, result) + " (" + std::to_string(rounded) +
               " bytes)"});
    return 0;
  }
  workspaceBuffer = pointer;
  workspaceBytes = rounded;
  return workspaceBuffer;
}

//===----------------------------------------------------------------------===//
// Throwing helpers
//===----------------------------------------------------------------------===//

void CudaRuntime::check(CUresult result, const std::string &call) const {
  if (result != CUDA_SUCCESS)
    throw DeviceError(call + " failed: " + describeResult(api, result));
}

void CudaRuntime::makeCurrentOrThrow() {
  if (currentContext == context)
    return;
  check(api.cuCtxSetCurrent(context), "cuCtxSetCurrent");
  currentContext = context;
}

CUdeviceptr CudaRuntime::allocateDevice(size_t bytes, const std::string &what) {
  size_t rounded = roundUp(bytes == 0 ? 1 : bytes, kAllocationGranule);
  CUdeviceptr pointer = 0;
  check(api.cuMemAlloc(&pointer, rounded),
        "cuMemAlloc of " + std::to_string(rounded) + " bytes for " + what);
  return pointer;
}

void CudaRuntime::freeDevice(CUdeviceptr pointer) noexcept {
  if (pointer)
    api.cuMemFree(pointer);
}

void CudaRuntime::copyToDevice(CUdeviceptr destination, const void *source,
                               size_t bytes) {
  if (bytes == 0)
    return;
  check(api.cuMemcpyHtoDAsync(destination, source, bytes, mainStream),
        "cuMemcpyHtoDAsync");
  synchronize();
}

void CudaRuntime::copyToHost(void *destination, CUdeviceptr source,
                             size_t bytes) {
  if (bytes == 0)
    return;
  check(api.cuMemcpyDtoHAsync(destination, source, bytes, mainStream),
        "cuMemcpyDtoHAsync");
  synchronize();
}

void CudaRuntime::copyOnDevice(CUdeviceptr destination, CUdeviceptr source,
                               size_t bytes) {
  check(api.cuMemcpyDtoDAsync(destination, source, bytes, mainStream),
        "cuMemcpyDtoDAsync");
}

void CudaRuntime::fill(CUdeviceptr destination, unsigned char value,
                       size_t bytes) {
  check(api.cuMemsetD8Async(destination, value, bytes, mainStream),
        "cuMemsetD8Async");
}

void CudaRuntime::synchronize() {
  check(api.cuStreamSynchronize(mainStream), "cuStreamSynchronize");
}

CUevent CudaRuntime::createTimingEvent() {
  CUevent event = nullptr;
  check(api.cuEventCreate(&event, CU_EVENT_DEFAULT), "cuEventCreate");
  return event;
}

void CudaRuntime::destroyTimingEvent(CUevent event) noexcept {
  if (event)
    api.cuEventDestroy(event);
}

void CudaRuntime::record(CUevent event) {
  check(api.cuEventRecord(event, mainStream), "cuEventRecord");
}

float CudaRuntime::elapsedMilliseconds(CUevent start, CUevent end) {
  check(api.cuEventSynchronize(end), "cuEventSynchronize");
  float milliseconds = 0;
  check(api.cuEventElapsedTime(&milliseconds, start, end),
        "cuEventElapsedTime");
  return milliseconds;
}

} // namespace kvcache::runtime
