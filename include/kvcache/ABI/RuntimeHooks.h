//===- RuntimeHooks.h - What compiled bundles call in their host --*- C++
//-*-===//
//
// The C functions a bundle's host code calls besides upstream's mgpu* entry
// points, and the faults it reports through them. The lowerings emit calls
// by these names; the runtime defines them (CudaEntryPoints.cpp,
// InputFault.cpp) with exactly these signatures:
//
//   int32_t kvcache_runtime_num_sms(void);
//     GPU bundles: the SM count of the device (the split rule).
//   uint64_t kvcache_runtime_workspace(uint64_t bytes);
//     GPU bundles: a device buffer of at least `bytes` bytes owned by the
//     runtime (see include/kvcache/Conversion/KVCacheToGPU.h).
//   uint64_t kvcache_runtime_error_word(void);
//     GPU bundles: the device address of the runtime's 8-byte fault word,
//     zero while no kernel found a fault. A kernel that reads a page id
//     >= total_num_pages for (request, position) keeps the smallest such pair
//     with an atomic unsigned max of encodeFaultWord(request, position); the
//     runtime reads and clears the word when the call is synchronised.
//   void kvcache_runtime_raise(int32_t fault, int64_t a, int64_t b,
//                              int64_t c, int64_t d);
//     Any bundle: the host code found a fault (Fault below says what a..d
//     are) and skipped the op; the runtime latches the first fault of a
//     call and fails the call with it.
//
// No MLIR dependency: the runtime includes this file too.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_ABI_RUNTIMEHOOKS_H
#define KVCACHE_ABI_RUNTIMEHOOKS_H

#include <cstdint>

namespace kvcache::abi {

inline constexpr const char kNumSmsHook[] = "kvcache_runtime_num_sms";
inline constexpr const char kWorkspaceHook[] = "kvcache_runtime_workspace";
inline constexpr const char kErrorWordHook[] = "kvcache_runtime_error_word";
inline constexpr const char kRaiseHook[] = "kvcache_runtime_raise";

/// What kvcache_runtime_raise reports; the arguments it takes.
enum class Fault : int32_t {
  /// The op's layer is not in [0, num_layers): a = layer, b = num_layers.
  LayerOutOfRange = 1,
  /// lookup_table gives a page id >= total_num_pages: a = request,
  /// b = position (the key's or new row's token position), c = the page id
  /// (-1 when not known), d = total_num_pages (-1 when not known).
  PageOutOfRange = 2,
};

/// The fault word a kernel keeps for a bad page id at (request, position):
/// an unsigned max over these keeps the smallest (request, position), and
/// 0 means no fault. Positions past 2^32 - 2 saturate.
inline uint64_t encodeFaultWord(uint64_t request, uint64_t position) {
  uint64_t saturated = position < 0xFFFFFFFEull ? position : 0xFFFFFFFEull;
  return ~((request << 32) | saturated);
}
inline uint64_t faultWordRequest(uint64_t word) { return ~word >> 32; }
inline uint64_t faultWordPosition(uint64_t word) {
  return ~word & 0xFFFFFFFFull;
}

} // namespace kvcache::abi

#endif // KVCACHE_ABI_RUNTIMEHOOKS_H
