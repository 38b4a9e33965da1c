//===- CudaRuntime.h - The device side of GPU bundles -----------*- C++ -*-===//
//
// What a GPU bundle's host code needs from the process it runs in, on the
// CUDA driver API:
//
//  - the `mgpu*` entry points that upstream MLIR's gpu-to-llvm lowering calls
//    (CudaEntryPoints.cpp defines them as extern "C" and forwards here). The
//    host code calls mgpuModuleGetFunction and mgpuLaunchKernel at every
//    launch and mgpuStreamCreate, mgpuStreamSynchronize and
//    mgpuStreamDestroy once per kvcache op, so functions are cached per
//    (module, name) and there is one stream: mgpuStreamCreate returns it
//    and mgpuStreamDestroy keeps it;
//  - the two hooks convert-kvcache-to-gpu's host code calls: the SM count
//    and a workspace the runtime owns (include/kvcache/Conversion/
//    KVCacheToGPU.h has the contract).
//
// The entry points return void, so they cannot report failure: a failure is
// latched (the first one wins, with the entry point, the kernel, the driver
// call and the driver's error) and later launches and function lookups are
// skipped until it is taken, so one bad launch does not cascade. Whoever calls
// a bundle's entry must check the latch (takeFailure) after every call, and
// after dlopen, because the bundle's constructor loads its module.
//
// kvcache-run also uses this class directly, with throwing helpers, to place
// arguments, time kernels and flush L2.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_CUDARUNTIME_H
#define KVCACHE_RUNTIME_CUDARUNTIME_H

#include "kvcache/Runtime/CudaDriver.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace kvcache::runtime {

/// What kvcache-run reports about the device it ran on.
struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int driverVersion = 0;
  int computeMajor = 0;
  int computeMinor = 0;
  int numSms = 0;
  int l2CacheBytes = 0;
  /// The most dynamic shared memory a CTA may opt in to.
  int sharedBytesOptIn = 0;
  size_t totalMemoryBytes = 0;
  /// "sm_90"; the chip a bundle's target names (sm_90a) must start with it.
  std::string chip() const;
};

/// Why a cubin for `target` (a manifest's "sm_90a") cannot run on `device`,
/// or nothing when it can: an arch-specific target (the "a" suffix) needs
/// exactly its compute capability; others need the same major version and
/// at least their minor.
std::optional<std::string> targetMismatch(const std::string &target,
                                          const DeviceInfo &device);

/// One failure latched by an entry point.
struct CudaFailure {
  /// The entry point that failed: "mgpuLaunchKernel".
  std::string entryPoint;
  /// The kernel it concerns, when known; for a synchronisation, the kernel
  /// launched last (an asynchronous fault surfaces there).
  std::string kernel;
  bool afterKernel = false;
  /// The driver call that failed ("cuLaunchKernel"); empty when the runtime
  /// itself refused (a parameter count that does not match).
  std::string driverCall;
  cuda::CUresult result = cuda::CUDA_SUCCESS;
  /// The driver's "NAME: message", or the runtime's own reason.
  std::string detail;

  /// "mgpuLaunchKernel (kernel 'k'): cuLaunchKernel failed:
  /// CUDA_ERROR_INVALID_VALUE: invalid argument".
  std::string message() const;
};

/// One entry call on a caller's stream with a caller's workspace (the C
/// runtime API's runs, include/kvcache-c/Runtime.h). While a CallScope holds
/// it on a thread, the entry points called from that thread launch on its
/// stream, hand out its workspace and fault word, and latch failures in it
/// rather than in the runtime: calls on two threads and two streams share
/// nothing but the device and the function cache.
struct CallContext {
  cuda::CUstream stream = nullptr;
  /// The bundle's part of the caller's workspace, and its size.
  cuda::CUdeviceptr workspace = 0;
  uint64_t workspaceBytes = 0;
  /// 8 bytes of device memory, zero before the call.
  cuda::CUdeviceptr faultWord = 0;
  /// Runs the host code only (kvcache_call_workspace_bytes): nothing is
  /// launched, copied, set or waited for; the largest workspace asked for
  /// is recorded.
  bool measure = false;
  uint64_t workspaceAsked = 0;
  /// The host code's waits on `stream` return at once: the call only
  /// queues its work (KVCACHE_RUN_STREAM_ORDERED).
  bool streamOrdered = false;
  std::optional<CudaFailure> failure;
  std::string lastKernel;
};

/// Makes `call` the calling thread's context while in scope.
class CallScope {
public:
  explicit CallScope(CallContext &call);
  ~CallScope();
  CallScope(const CallScope &) = delete;
  CallScope &operator=(const CallScope &) = delete;

private:
  CallContext *previous;
};

class CudaRuntime {
public:
  /// Opens device `ordinal` through `driver`: cuInit, the device, its
  /// primary context (made current on this thread) and the runtime's
  /// stream. Throws DeviceUnavailableError when the driver finds no such
  /// device (cuInit failing included), DeviceError for other failures.
  CudaRuntime(const cuda::DriverApi &driver, int ordinal = 0);
  /// Loads `library` (libcuda.so.1 unless given) first; a missing library
  /// is a DeviceUnavailableError.
  static std::unique_ptr<CudaRuntime>
  open(int ordinal = 0, const std::string &library = cuda::kDriverLibrary);
  /// Destroys the stream and frees the workspace; the primary context stays
  /// (the driver releases it at exit).
  ~CudaRuntime();
  CudaRuntime(const CudaRuntime &) = delete;
  CudaRuntime &operator=(const CudaRuntime &) = delete;

  const cuda::DriverApi &driver() const { return api; }
  const DeviceInfo &device() const { return info; }
  /// The one stream every launch and copy goes to.
  cuda::CUstream stream() const { return mainStream; }

  /// Stream-ordered entry calls: while set, the waits in a bundle's host
  /// code (mgpuStreamSynchronize on stream()) return at once, so an entry
  /// call only queues its kernels, and later work on stream() sees their
  /// results, as after a CUDA library call. Whoever sets it synchronizes
  /// the stream (after clearing it, or with synchronize()) before reading
  /// results and then checks the latch: a kernel's fault surfaces there.
  void setStreamOrdered(bool enabled) { streamOrderedCalls = enabled; }

  // What the entry points do. None of these throws; failures are latched.
  cuda::CUmodule loadModule(const void *image, uint64_t size);
  cuda::CUmodule loadModuleJIT(const void *image, int optLevel);
  void unloadModule(cuda::CUmodule module);
  cuda::CUfunction getFunction(cuda::CUmodule module, const char *name);
  /// `paramsCount` is the number of entries of `params`; it is checked
  /// against the kernel's parameter list when the driver can say it.
  void launchKernel(cuda::CUfunction function, intptr_t gridX, intptr_t gridY,
                    intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                    intptr_t blockZ, int32_t sharedBytes, cuda::CUstream stream,
                    void **params, void **extra, intptr_t paramsCount);
  /// The runtime's stream; destroyStream keeps it.
  cuda::CUstream createStream();
  void destroyStream(cuda::CUstream stream);
  void synchronizeStream(cuda::CUstream stream);
  void streamWaitEvent(cuda::CUstream stream, cuda::CUevent event);
  cuda::CUevent createEvent();
  void destroyEvent(cuda::CUevent event);
  void recordEvent(cuda::CUevent event, cuda::CUstream stream);
  void synchronizeEvent(cuda::CUevent event);
  void *allocate(uint64_t bytes, bool hostShared);
  void free(void *pointer);
  void copy(void *destination, const void *source, uint64_t bytes,
            cuda::CUstream stream);
  void memset32(void *destination, uint32_t value, uint64_t count,
                cuda::CUstream stream);
  void memset16(void *destination, uint16_t value, uint64_t count,
                cuda::CUstream stream);
  void hostRegister(void *pointer, uint64_t bytes);
  void hostUnregister(void *pointer);
  void setDefaultDevice(int32_t ordinal);
  /// kvcache_runtime_num_sms.
  int32_t numSms() const { return info.numSms; }
  /// kvcache_runtime_workspace: at least `bytes` of device memory, reused
  /// across calls and grown (never shrunk) when a call needs more.
  uint64_t workspace(uint64_t bytes);
  /// kvcache_runtime_error_word: the device address of the fault word
  /// (include/kvcache/ABI/RuntimeHooks.h), allocated and zeroed at first
  /// use; 0 (after latching why) when that fails.
  uint64_t errorWord();

  /// Takes the first failure latched since the last call, if any. It first
  /// synchronises the stream and reads the fault word: a page id off the
  /// pool that a kernel recorded is cleared there and latched as an
  /// InputFault (include/kvcache/Runtime/InputFault.h) for the caller to
  /// take too.
  std::optional<CudaFailure> takeFailure();
  /// takeFailure for a call made under a CallScope of `call`: with `wait`,
  /// synchronises its stream and reads, then clears, its fault word; else
  /// takes only what the host code latched.
  std::optional<CudaFailure> takeFailure(CallContext &call, bool wait = true);
  bool hasFailure() const;

  // Throwing helpers for kvcache-run and the C API (DeviceError), all on
  // the runtime's stream.
  /// Makes the runtime's context current on the calling thread, as every
  /// entry point does first: the helpers below assume it.
  void makeCurrentOrThrow();
  cuda::CUdeviceptr allocateDevice(size_t bytes, const std::string &what);
  void freeDevice(cuda::CUdeviceptr pointer) noexcept;
  void copyToDevice(cuda::CUdeviceptr destination, const void *source,
                    size_t bytes);
  void copyToHost(void *destination, cuda::CUdeviceptr source, size_t bytes);
  void copyOnDevice(cuda::CUdeviceptr destination, cuda::CUdeviceptr source,
                    size_t bytes);
  void fill(cuda::CUdeviceptr destination, unsigned char value, size_t bytes);
  void synchronize();
  /// An event that records timing (the entry points' events do not).
  cuda::CUevent createTimingEvent();
  void record(cuda::CUevent event);
  /// Milliseconds between two recorded, completed events.
  float elapsedMilliseconds(cuda::CUevent start, cuda::CUevent end);
  void destroyTimingEvent(cuda::CUevent event) noexcept;
  /// Throws DeviceError "<call> failed: <driver's error>" unless success.
  void check(cuda::CUresult result, const std::string &call) const;

private:
  struct FunctionInfo {
    std::string name;
    cuda::CUmodule module = nullptr;
    /// -1 when the driver cannot say (no cuFuncGetParamInfo).
    int64_t paramCount = -1;
    /// The dynamic shared memory the function was opened up to.
    int32_t sharedBytesAllowed = 48 * 1024;
  };

  /// Records `failure` unless one is latched already.
  void latch(CudaFailure failure);
  /// Latches a failed driver call; returns whether `result` is success.
  bool ok(cuda::CUresult result, const char *entryPoint, const char *driverCall,
          const std::string &kernel = {}, bool afterKernel = false);
  /// Makes the context current on the calling thread (once per thread).
  bool makeCurrent(const char *entryPoint);
  int64_t countParameters(cuda::CUfunction function);
  const std::string &kernelName(cuda::CUfunction function) const;

  cuda::DriverApi api;
  DeviceInfo info;
  cuda::CUdevice deviceHandle = 0;
  cuda::CUcontext context = nullptr;
  cuda::CUstream mainStream = nullptr;

  mutable std::mutex mutex;
  std::optional<CudaFailure> failure;
  /// The cache of mgpuModuleGetFunction: by the name's address first (the
  /// host code passes the same constant every time, so the hot path is one
  /// pointer lookup), then by the name itself.
  std::map<std::pair<cuda::CUmodule, const char *>, cuda::CUfunction>
      functionsByAddress;
  std::map<std::pair<cuda::CUmodule, std::string>, cuda::CUfunction>
      functionsByName;
  std::unordered_map<cuda::CUfunction, FunctionInfo> functions;
  std::string lastKernel;
  std::atomic<bool> streamOrderedCalls{false};
  std::mutex workspaceMutex;
  cuda::CUdeviceptr workspaceBuffer = 0;
  uint64_t workspaceBytes = 0;
  cuda::CUdeviceptr faultWord = 0;
  /// Moves a nonzero fault word into the InputFault latch and clears it,
  /// through `stream`.
  void collectFaultWord(cuda::CUdeviceptr word, cuda::CUstream stream);
};

/// The runtime the extern "C" entry points use. kvcache-run installs one
/// before it dlopens a bundle, whose constructor loads its kernels, and
/// removes it (nullptr) after the bundle is closed. When none is installed,
/// the first entry point call opens device 0 through libcuda.so.1.
void setGlobalCudaRuntime(CudaRuntime *runtime);
CudaRuntime *globalCudaRuntime();

/// Takes the first failure of the entry point calls made without an
/// installed runtime (a GPU bundle run as a CPU one): a call that no device
/// could serve, or the failure latched on the device opened for them.
/// Whoever calls a bundle without installing a runtime checks it after
/// every call.
std::optional<CudaFailure> takeUnservedCall();

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_CUDARUNTIME_H
