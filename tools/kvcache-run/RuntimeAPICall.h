//===- RuntimeAPICall.h - kvcache-run over the C runtime API ----*- C++ -*-===//
//
// kvcache-run calls CPU bundles through the C runtime API
// (include/kvcache-c/Runtime.h), as a serving engine does; these wrappers
// own its handles and turn a status back into the runtime's exception of
// the same kind, so that kvcache-run's exit codes and messages stay one
// mapping (kvcache-run.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUN_RUNTIMEAPICALL_H
#define KVCACHE_RUN_RUNTIMEAPICALL_H

#include "kvcache-c/Runtime.h"

#include "kvcache/Runtime/Array.h"

#include <string>

namespace kvcache::run {

/// Throws the runtime exception that `status` stands for, with the API's
/// message; a fault is an InputError (exit 1) like any bad input.
void throwIfFailed(kvcache_status status);

class ApiBundle {
public:
  explicit ApiBundle(const std::string &directory);
  ~ApiBundle() { kvcache_bundle_close(bundle); }
  ApiBundle(const ApiBundle &) = delete;
  ApiBundle &operator=(const ApiBundle &) = delete;
  kvcache_bundle *get() const { return bundle; }

private:
  kvcache_bundle *bundle = nullptr;
};

class ApiCall {
public:
  ApiCall(const ApiBundle &bundle, const std::string &entry);
  ~ApiCall() { kvcache_call_destroy(call); }
  ApiCall(const ApiCall &) = delete;
  ApiCall &operator=(const ApiCall &) = delete;

  /// Binds `array` (host memory) to argument `name`.
  void bind(const std::string &name, runtime::Array &array);
  /// Runs the call; returns its status, throwing for none but a fault
  /// (after which outputs hold what the call left).
  kvcache_status run(unsigned flags);

private:
  kvcache_call *call = nullptr;
};

} // namespace kvcache::run

#endif // KVCACHE_RUN_RUNTIMEAPICALL_H
