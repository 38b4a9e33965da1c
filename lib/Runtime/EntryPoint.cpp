//===- EntryPoint.cpp - Calling a bundle's entry point --------------------===//

#include "kvcache/Runtime/EntryPoint.h"
#include "kvcache/Runtime/Error.h"

#include <cstring>

namespace kvcache::runtime {

// The descriptor stores its pointers in int64_t-sized words.
static_assert(sizeof(void *) == sizeof(int64_t),
              "memref descriptors are laid out for 64-bit pointers");

EntryPoint lookupEntry(const SharedLibrary &library,
                       const ManifestFunction &function) {
  void *symbol = library.lookup(function.entry);
  if (!symbol)
    throw BundleError("'" + library.path() + "' does not export '" +
                      function.entry + "', the entry of function '" +
                      function.name + "'");
  EntryPoint entry;
  std::memcpy(&entry, &symbol, sizeof(entry));
  return entry;
}

PackedArguments::PackedArguments(const ManifestFunction &function,
                                 std::vector<Array> &arrays,
                                 const std::vector<void *> *basePointers)
    : descriptors(arrays.size()), pointers(arrays.size()) {
  if (arrays.size() != function.arguments.size())
    throw std::logic_error(
        "PackedArguments: " + std::to_string(arrays.size()) + " arrays for " +
        std::to_string(function.arguments.size()) + " arguments");
  if (basePointers && basePointers->size() != arrays.size())
    throw std::logic_error(
        "PackedArguments: " + std::to_string(basePointers->size()) +
        " base pointers for " + std::to_string(arrays.size()) + " arrays");
  for (size_t i = 0; i < arrays.size(); ++i) {
    Array &array = arrays[i];
    if (function.arguments[i].kind == ArgumentKind::Scalar) {
      pointers[i] = array.data();
      continue;
    }
    size_t rank = array.rank();
    std::vector<int64_t> &words = descriptors[i];
    words.assign(3 + 2 * rank, 0);
    void *base = array.data();
    if (basePointers && (*basePointers)[i])
      base = (*basePointers)[i];
    std::memcpy(&words[0], &base, sizeof(base)); // allocated
    std::memcpy(&words[1], &base, sizeof(base)); // aligned
    words[2] = 0;                                // offset
    int64_t stride = 1;
    for (size_t d = rank; d-- > 0;) {
      words[3 + d] = array.dim(d);
      words[3 + rank + d] = stride;
      stride *= array.dim(d);
    }
    pointers[i] = words.data();
  }
}

void invoke(EntryPoint entry, const ManifestFunction &function,
            std::vector<Array> &arrays) {
  PackedArguments arguments(function, arrays);
  entry(arguments.data());
}

} // namespace kvcache::runtime
