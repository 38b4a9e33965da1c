//===- InputFault.h - Faults a bundle found in its inputs -------*- C++ -*-===//
//
// A bundle's code checks the indices a caller controls (the layer, the page
// ids of lookup_table) and, when one is out of range, touches no memory with
// it and reports it: the host code through kvcache_runtime_raise, GPU kernels
// through the runtime's fault word (include/kvcache/ABI/RuntimeHooks.h). The
// first fault of a call is latched here, per thread (the one that calls the
// entry), until it is taken;
// whoever calls a bundle's entry takes it after every call (for GPU bundles
// after the call is synchronised and CudaRuntime::takeFailure has read the
// fault word) and fails the call with it.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_INPUTFAULT_H
#define KVCACHE_RUNTIME_INPUTFAULT_H

#include "kvcache/ABI/RuntimeHooks.h"

#include <cstdint>
#include <optional>
#include <string>

namespace kvcache::runtime {

struct InputFault {
  abi::Fault fault = abi::Fault::LayerOutOfRange;
  /// The hook's arguments; abi::Fault says what each one is.
  int64_t a = 0, b = 0, c = -1, d = -1;

  /// "layer 4 is out of range: the cache has 4 layers (kv_blocks dim 2)".
  std::string message() const;
};

/// Latches `fault` unless one is latched already (the first one wins; of
/// page faults, the smallest (request, position)).
void latchInputFault(const InputFault &fault);
/// Takes the latched fault, if any.
std::optional<InputFault> takeInputFault();

} // namespace kvcache::runtime

extern "C" void kvcache_runtime_raise(int32_t fault, int64_t a, int64_t b,
                                      int64_t c, int64_t d);

#endif // KVCACHE_RUNTIME_INPUTFAULT_H
