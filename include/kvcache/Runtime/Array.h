//===- Array.h - A dense, row-major host array ------------------*- C++ -*-===//
//
// The runtime's one array type: what .npy files load into, what the paged
// cache manager emits and what an entry point's memref descriptors point at.
// Storage is 64-byte aligned (kernels may use wide vector loads) and never
// null, even for an empty array, because a memref descriptor's pointers must
// be valid. A borrowed array (Array::borrow) is a view of a caller's memory
// instead, host or device: the C runtime API binds arguments that way,
// without a copy.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_ARRAY_H
#define KVCACHE_RUNTIME_ARRAY_H

#include "kvcache/Runtime/DType.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kvcache::runtime {

class Array {
public:
  static constexpr size_t kAlignment = 64;

  /// An empty float32 array of shape [0].
  Array();
  /// A zero-filled array. Throws InputError when a dim is negative or the
  /// byte size overflows.
  Array(DType dtype, std::vector<int64_t> shape);

  /// A view of `data` (not owned, never freed by the array), e.g. a
  /// caller's buffer or a device address that only a kernel dereferences.
  /// Throws InputError as the constructor does; `data` must not be null.
  static Array borrow(DType dtype, std::vector<int64_t> shape, void *data);

  Array(Array &&) = default;
  Array &operator=(Array &&) = default;
  /// Copies are explicit (clone) because arrays may be gigabytes.
  Array(const Array &) = delete;
  Array &operator=(const Array &) = delete;
  Array clone() const;

  const DType &dtype() const { return type; }
  const std::vector<int64_t> &shape() const { return dims; }
  size_t rank() const { return dims.size(); }
  int64_t dim(size_t i) const { return dims.at(i); }
  int64_t numElements() const { return elements; }
  size_t numBytes() const { return bytes; }

  uint8_t *data() { return storage.get(); }
  const uint8_t *data() const { return storage.get(); }

  /// Typed views; throw std::logic_error when sizeof(T) is not the item size.
  template <typename T> T *dataAs() {
    checkItemSize(sizeof(T));
    return reinterpret_cast<T *>(data());
  }
  template <typename T> const T *dataAs() const {
    checkItemSize(sizeof(T));
    return reinterpret_cast<const T *>(data());
  }

  /// Element `flatIndex` of an integer or bool array, sign- or zero-extended
  /// as its dtype says.
  int64_t integerAt(int64_t flatIndex) const;
  /// Element `flatIndex` of a 4-byte integer array read as uint32, as the
  /// ABI reads its i32 fields.
  uint32_t uint32At(int64_t flatIndex) const;

private:
  struct Free {
    // Constructors, not a member initializer: GCC takes a nested class with
    // one for not default-constructible inside the incomplete Array.
    Free() : owned(true) {}
    explicit Free(bool owned) : owned(owned) {}
    void operator()(uint8_t *pointer) const;
    bool owned;
  };
  /// Sets dims, elements and bytes; throws InputError for a bad shape.
  void setShape(std::vector<int64_t> shape);
  void checkItemSize(size_t size) const;

  DType type;
  std::vector<int64_t> dims;
  int64_t elements = 0;
  size_t bytes = 0;
  std::unique_ptr<uint8_t[], Free> storage;
};

/// "[3, 4]"; dynamic dims (-1) print as "?".
std::string formatShape(const std::vector<int64_t> &shape);

/// An array with the name it is bound or saved under.
struct NamedArray {
  std::string name;
  Array array;
};

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_ARRAY_H
