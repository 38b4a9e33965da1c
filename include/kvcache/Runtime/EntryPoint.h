//===- EntryPoint.h - Calling a bundle's entry point ------------*- C++ -*-===//
//
// A compiled function is exported as `void kvcache_entry_<name>(void **args)`
// where args[i] points at argument i's storage: for a memref, a descriptor
// laid out as MLIR's
//   { void *allocated; void *aligned; int64_t offset;
//     int64_t sizes[rank]; int64_t strides[rank]; }
// (row-major strides, offset 0); for a scalar, the element itself (an
// int64_t for index and i64, a float for f32, and so on by element type).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_ENTRYPOINT_H
#define KVCACHE_RUNTIME_ENTRYPOINT_H

#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/Manifest.h"
#include "kvcache/Runtime/SharedLibrary.h"

#include <cstdint>
#include <vector>

namespace kvcache::runtime {

using EntryPoint = void (*)(void **args);

/// The entry of `function` in `library`. Throws BundleError when the
/// library does not export it.
EntryPoint lookupEntry(const SharedLibrary &library,
                       const ManifestFunction &function);

/// The `args` array of one call. It points into `arrays`, which must outlive
/// it and keep their storage (moving the vector is fine; resizing it is not).
class PackedArguments {
public:
  /// `arrays[i]` is bound to `function.arguments[i]` and passed
  /// checkArgument. A memref's descriptor points at its array's storage,
  /// or at `basePointers[i]` when that is given and not null (the array's
  /// copy in device memory); the sizes and strides are the array's.
  PackedArguments(const ManifestFunction &function, std::vector<Array> &arrays,
                  const std::vector<void *> *basePointers = nullptr);

  void **data() { return pointers.data(); }
  size_t size() const { return pointers.size(); }
  /// The descriptor words of argument `index` (empty for a scalar): the two
  /// pointers, the offset, sizes, strides.
  const std::vector<int64_t> &descriptor(size_t index) const {
    return descriptors[index];
  }

private:
  std::vector<std::vector<int64_t>> descriptors;
  std::vector<void *> pointers;
};

/// Calls `entry` with `arrays` bound to `function`'s arguments; memref
/// arguments are updated in place.
void invoke(EntryPoint entry, const ManifestFunction &function,
            std::vector<Array> &arrays);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_ENTRYPOINT_H
