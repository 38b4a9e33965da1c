//===- TestArrays.h - Building arrays and manifests in tests ----*- C++ -*-===//

#ifndef KVCACHE_UNITTESTS_RUNTIME_TESTARRAYS_H
#define KVCACHE_UNITTESTS_RUNTIME_TESTARRAYS_H

#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/Manifest.h"

#include <cstring>
#include <optional>
#include <vector>

namespace kvcache::runtime::testing {

/// An array of `dtype` (an integer dtype) holding `values`.
inline Array integers(DType dtype, std::vector<int64_t> shape,
                      const std::vector<int64_t> &values) {
  Array array(dtype, std::move(shape));
  for (size_t i = 0; i < values.size(); ++i)
    std::memcpy(array.data() + i * dtype.itemSize, &values[i], dtype.itemSize);
  return array;
}

inline Array int32s(std::vector<int64_t> shape,
                    const std::vector<int64_t> &values) {
  return integers(DType::int32(), std::move(shape), values);
}

inline ManifestArgument
memrefArgument(unsigned index, std::string name, ElementType type,
               std::vector<int64_t> shape,
               ArgumentRole role = ArgumentRole::Input,
               std::optional<abi::Field> field = std::nullopt) {
  ManifestArgument argument;
  argument.index = index;
  argument.name = std::move(name);
  argument.kind = ArgumentKind::MemRef;
  argument.elementType = type;
  argument.rank = static_cast<unsigned>(shape.size());
  argument.shape = std::move(shape);
  argument.role = field ? ArgumentRole::Cache : role;
  if (field)
    argument.cache = CacheBinding{*field, 0, ""};
  return argument;
}

} // namespace kvcache::runtime::testing

#endif // KVCACHE_UNITTESTS_RUNTIME_TESTARRAYS_H
