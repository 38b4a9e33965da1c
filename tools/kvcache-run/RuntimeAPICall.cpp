//===- RuntimeAPICall.cpp - kvcache-run over the C runtime API ------------===//

#include "RuntimeAPICall.h"

#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/PageAllocator.h"

#include <stdexcept>

namespace kvcache::run {

using namespace kvcache::runtime;

void throwIfFailed(kvcache_status status) {
  std::string message = kvcache_error_message();
  switch (status) {
  case KVCACHE_OK:
    return;
  case KVCACHE_ERROR_INPUT:
  case KVCACHE_ERROR_FAULT:
    throw InputError(message);
  case KVCACHE_ERROR_BUNDLE:
    throw BundleError(message);
  case KVCACHE_ERROR_DEVICE:
    throw DeviceError(message);
  case KVCACHE_ERROR_UNSUPPORTED:
    throw DeviceUnavailableError(message);
  case KVCACHE_ERROR_OUT_OF_PAGES:
    throw OutOfPagesError(message);
  case KVCACHE_ERROR_USAGE:
    break;
  }
  throw std::logic_error("the runtime API refused kvcache-run's call: " +
                         message);
}

ApiBundle::ApiBundle(const std::string &directory) {
  throwIfFailed(kvcache_bundle_open(directory.c_str(), nullptr, &bundle));
}

ApiCall::ApiCall(const ApiBundle &bundle, const std::string &entry) {
  throwIfFailed(kvcache_call_create(bundle.get(), entry.c_str(), &call));
}

void ApiCall::bind(const std::string &name, Array &array) {
  throwIfFailed(kvcache_call_bind(call, name.c_str(), array.data(),
                                  array.dtype().descr().c_str(), array.rank(),
                                  array.shape().data(), KVCACHE_MEMORY_HOST));
}

kvcache_status ApiCall::run(unsigned flags) {
  kvcache_run_options options{};
  options.flags = flags;
  kvcache_status status = kvcache_call_run(call, &options);
  if (status != KVCACHE_ERROR_FAULT)
    throwIfFailed(status);
  return status;
}

} // namespace kvcache::run
