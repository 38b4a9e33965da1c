//===- RuntimeAPI.h - The objects behind kvcache-c/Runtime.h ----*- C++ -*-===//
//
// The C API's handles are these structs; the C functions only translate
// between them and C, and turn the runtime's exceptions into a status and a
// message (guarded). What a run does lives in RuntimeAPICall.cpp, paged
// caches in RuntimeAPIPagedCache.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_RUNTIME_RUNTIMEAPI_H
#define KVCACHE_LIB_RUNTIME_RUNTIMEAPI_H

#include "kvcache-c/Runtime.h"

#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/CudaRuntime.h"
#include "kvcache/Runtime/EntryPoint.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/Manifest.h"
#include "kvcache/Runtime/PageAllocator.h"
#include "kvcache/Runtime/PagedCache.h"
#include "kvcache/Runtime/SharedLibrary.h"

#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kvcache::runtime::capi {

/// The API was misused (KVCACHE_ERROR_USAGE): a null pointer, an index past
/// the end, an object of another bundle.
class UsageError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A ran call's guards found an index out of range (KVCACHE_ERROR_FAULT).
class FaultError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Runs `body`, returning KVCACHE_OK, or the status of what it threw with
/// its message kept for kvcache_error_message.
template <typename Body> kvcache_status guarded(Body &&body);

/// Sets the calling thread's message (for the status a C function returns
/// itself) and returns `status`.
kvcache_status fail(kvcache_status status, std::string message);

/// Throws UsageError "<what> is null" when `pointer` is.
void requireNonNull(const void *pointer, const char *what);

} // namespace kvcache::runtime::capi

/// One argument's manifest description in C form; the strings point into
/// the manifest or at literals, and live as long as the bundle.
struct kvcache_argument_record {
  std::string dtype;
  kvcache_argument_info info;
};

struct kvcache_bundle {
  std::string directory;
  kvcache::runtime::Manifest manifest;
  bool gpu = false;
  /// The process's device, for GPU bundles (never destroyed: bundles
  /// unload their modules from destructors that may run at exit).
  kvcache::runtime::CudaRuntime *runtime = nullptr;
  std::optional<kvcache::runtime::SharedLibrary> library;
  /// Per function, in manifest order: its entry and its arguments.
  std::vector<kvcache::runtime::EntryPoint> entries;
  std::vector<std::vector<kvcache_argument_record>> arguments;
  /// Calls not yet destroyed; closing a bundle with calls is misuse.
  size_t liveCalls = 0;

  /// The function named `entry`; throws InputError naming the ones there
  /// are.
  size_t functionIndex(const char *entry) const;
};

/// What kvcache_call_bind recorded for one argument.
struct kvcache_binding {
  bool bound = false;
  kvcache::runtime::DType dtype;
  std::vector<int64_t> shape;
  void *data = nullptr;
  kvcache_memory memory = KVCACHE_MEMORY_HOST;
};

struct kvcache_call {
  kvcache_bundle *bundle = nullptr;
  const kvcache::runtime::ManifestFunction *function = nullptr;
  kvcache::runtime::EntryPoint entry = nullptr;
  std::vector<kvcache_binding> bindings;
  /// The device workspace the call allocated for runs given none.
  kvcache::cuda::CUdeviceptr ownWorkspace = 0;
  uint64_t ownWorkspaceBytes = 0;
  /// The stream-ordered run kvcache_call_wait has yet to check.
  std::optional<kvcache::runtime::CallContext> pending;

  ~kvcache_call();
  /// kvcache_call_bind.
  void bind(const char *name, void *data, const char *dtype, size_t rank,
            const int64_t *shape, kvcache_memory memory);
  /// kvcache_call_workspace_bytes.
  uint64_t workspaceBytes();
  /// kvcache_call_run.
  void run(const kvcache_run_options &options);
  /// kvcache_call_wait.
  void wait();

private:
  /// "function 'decode' (kvcache_entry_decode)", for device failures.
  std::string describeFunction() const;
  void runOnCpu(const kvcache_run_options &options);
  void runOnGpu(const kvcache_run_options &options);
};

struct kvcache_paged_cache {
  kvcache::runtime::PagedCache cache;

  kvcache_paged_cache(const kvcache::runtime::CacheGeometry &geometry,
                      uint64_t seed)
      : cache(geometry, seed) {}
};

//===----------------------------------------------------------------------===//
// guarded
//===----------------------------------------------------------------------===//

template <typename Body>
kvcache_status kvcache::runtime::capi::guarded(Body &&body) {
  try {
    body();
    return KVCACHE_OK;
  } catch (const UsageError &error) {
    return fail(KVCACHE_ERROR_USAGE, error.what());
  } catch (const FaultError &error) {
    return fail(KVCACHE_ERROR_FAULT, error.what());
  } catch (const OutOfPagesError &error) {
    // Before InputError, which it is one of.
    return fail(KVCACHE_ERROR_OUT_OF_PAGES, error.what());
  } catch (const InputError &error) {
    return fail(KVCACHE_ERROR_INPUT, error.what());
  } catch (const BundleError &error) {
    return fail(KVCACHE_ERROR_BUNDLE, error.what());
  } catch (const DeviceUnavailableError &error) {
    return fail(KVCACHE_ERROR_UNSUPPORTED, error.what());
  } catch (const DeviceError &error) {
    return fail(KVCACHE_ERROR_DEVICE, error.what());
  } catch (const std::bad_alloc &) {
    return fail(KVCACHE_ERROR_INPUT, "out of host memory");
  } catch (const std::exception &error) {
    return fail(KVCACHE_ERROR_BUNDLE,
                std::string("internal error: ") + error.what());
  }
}

#endif // KVCACHE_LIB_RUNTIME_RUNTIMEAPI_H
