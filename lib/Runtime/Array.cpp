//===- Array.cpp - A dense, row-major host array --------------------------===//

#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/Error.h"

#include <cstring>
#include <limits>
#include <new>

namespace kvcache::runtime {

void Array::Free::operator()(uint8_t *pointer) const {
  if (owned)
    ::operator delete(pointer, std::align_val_t(kAlignment));
}

Array::Array() : Array(DType::float32(), {0}) {}

void Array::setShape(std::vector<int64_t> shape) {
  dims = std::move(shape);
  const int64_t maxBytes = std::numeric_limits<int64_t>::max() / 2;
  int64_t count = 1;
  for (int64_t dim : dims) {
    if (dim < 0)
      throw InputError("array shape " + formatShape(dims) +
                       " has a negative dim");
    if (dim != 0 && count > maxBytes / dim)
      throw InputError("array of shape " + formatShape(dims) + " is too large");
    count *= dim;
  }
  if (count > maxBytes / static_cast<int64_t>(type.itemSize))
    throw InputError("array of shape " + formatShape(dims) + " is too large");
  elements = count;
  bytes = static_cast<size_t>(count) * type.itemSize;
}

Array::Array(DType dtype, std::vector<int64_t> shape) : type(dtype) {
  setShape(std::move(shape));
  // Round up so that the allocation is never empty and whole cache lines.
  size_t allocated = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (allocated == 0)
    allocated = kAlignment;
  storage.reset(static_cast<uint8_t *>(
      ::operator new(allocated, std::align_val_t(kAlignment))));
  std::memset(storage.get(), 0, allocated);
}

Array Array::borrow(DType dtype, std::vector<int64_t> shape, void *data) {
  if (!data)
    throw InputError("a borrowed array of shape " + formatShape(shape) +
                     " has no data (a null pointer)");
  Array view(DType::uint8(), {0});
  view.type = dtype;
  view.setShape(std::move(shape));
  view.storage = std::unique_ptr<uint8_t[], Free>(static_cast<uint8_t *>(data),
                                                  Free(/*owned=*/false));
  return view;
}

Array Array::clone() const {
  Array copy(type, dims);
  std::memcpy(copy.data(), data(), bytes);
  return copy;
}

void Array::checkItemSize(size_t size) const {
  if (size != type.itemSize)
    throw std::logic_error("typed access of " + std::to_string(size) +
                           "-byte elements to a " + type.name() + " array");
}

int64_t Array::integerAt(int64_t flatIndex) const {
  if (flatIndex < 0 || flatIndex >= elements)
    throw std::out_of_range("array index " + std::to_string(flatIndex) +
                            " out of range for " + std::to_string(elements) +
                            " elements");
  if (type.kind == DType::Kind::Float || type.kind == DType::Kind::Complex)
    throw std::logic_error("integerAt on a " + type.name() + " array");
  const uint8_t *p = data() + flatIndex * type.itemSize;
  bool isSigned = type.kind == DType::Kind::Int;
  switch (type.itemSize) {
  case 1: {
    uint8_t v;
    std::memcpy(&v, p, 1);
    return isSigned ? static_cast<int8_t>(v) : v;
  }
  case 2: {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return isSigned ? static_cast<int16_t>(v) : v;
  }
  case 4: {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return isSigned ? static_cast<int64_t>(static_cast<int32_t>(v)) : v;
  }
  case 8: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return v;
  }
  default:
    throw std::logic_error("integerAt on a " + type.name() + " array");
  }
}

uint32_t Array::uint32At(int64_t flatIndex) const {
  checkItemSize(4);
  return static_cast<uint32_t>(integerAt(flatIndex));
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string result = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      result += ", ";
    result += shape[i] < 0 ? std::string("?") : std::to_string(shape[i]);
  }
  return result + "]";
}

} // namespace kvcache::runtime
