//===- CudaDriver.cpp - The CUDA driver API, opened at run time -----------===//

#include "kvcache/Runtime/CudaDriver.h"

#include <cstring>
#include <dlfcn.h>
#include <initializer_list>

namespace kvcache::cuda {

namespace {

/// Looks up the first of `names` that the library defines and stores it in
/// `slot`.
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
#define KVCACHE_CUDA_FUNCTION(member, symbol, required)                        \
  if (!bind(handle, loaded.member, {#symbol}) && required && !missing)         \
    missing = #symbol;
#include "CudaDriverFunctions.def"
  // Drivers before 12.8 have only the first version.
  if (!loaded.cuEventElapsedTime &&
      !bind(handle, loaded.cuEventElapsedTime, {"cuEventElapsedTime"}) &&
      !missing)
    missing = "cuEventElapsedTime";
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
