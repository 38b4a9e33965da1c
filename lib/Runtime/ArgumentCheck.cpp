//===- ArgumentCheck.cpp - An array against its manifest argument ---------===//

#include "kvcache/Runtime/ArgumentCheck.h"
#include "kvcache/Runtime/Error.h"

#include <algorithm>

namespace kvcache::runtime {

void checkArgument(const ManifestArgument &argument, const Array &array) {
  auto fail = [&](const std::string &problem) {
    throw InputError(argument.describe() + ": " + problem);
  };
  std::vector<DType> accepted = acceptedDTypes(argument.elementType);
  if (std::find(accepted.begin(), accepted.end(), array.dtype()) ==
      accepted.end())
    fail("expected dtype " + describeAcceptedDTypes(argument.elementType) +
         ", got " + array.dtype().name());

  if (argument.kind == ArgumentKind::Scalar) {
    if (array.rank() != 0)
      fail("expected a 0-d array (a scalar), got rank " +
           std::to_string(array.rank()) + " (shape " +
           formatShape(array.shape()) + ")");
    return;
  }
  if (array.rank() != argument.rank)
    fail("expected rank " + std::to_string(argument.rank) + ", got " +
         std::to_string(array.rank()) + " (expected shape " +
         formatShape(argument.shape) + ", got " + formatShape(array.shape()) +
         ")");
  for (size_t i = 0; i < argument.rank; ++i) {
    int64_t expected = argument.shape[i];
    if (expected >= 0 && array.dim(i) != expected)
      fail("dim " + std::to_string(i) + ": expected " +
           std::to_string(expected) + ", got " + std::to_string(array.dim(i)) +
           " (expected shape " + formatShape(argument.shape) + ", got " +
           formatShape(array.shape()) + ")");
  }
}

} // namespace kvcache::runtime
