//===- DType.h - NumPy dtypes and bundle element types ----------*- C++ -*-===//
//
// Two vocabularies meet at kvcache-run's input: the element types a bundle's
// manifest names (MLIR's: f32, bf16, index, ...) and the dtypes .npy files
// store (NumPy's: <f4, <u2, ...). This file names both and says which dtypes
// hold which element type. NumPy has no bf16 or fp8 dtype, so those elements
// travel as their raw bit patterns: bf16 as uint16, f8E4M3FN as uint8.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_DTYPE_H
#define KVCACHE_RUNTIME_DTYPE_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kvcache::runtime {

/// A NumPy scalar dtype of the kind .npy files hold for numeric arrays:
/// little-endian (or single-byte) bool, signed/unsigned integer, float or
/// complex.
struct DType {
  enum class Kind : char {
    Bool = 'b',
    Int = 'i',
    UInt = 'u',
    Float = 'f',
    Complex = 'c',
  };
  Kind kind = Kind::Float;
  unsigned itemSize = 4;

  static constexpr DType float32() { return {Kind::Float, 4}; }
  static constexpr DType float16() { return {Kind::Float, 2}; }
  static constexpr DType int32() { return {Kind::Int, 4}; }
  static constexpr DType uint32() { return {Kind::UInt, 4}; }
  static constexpr DType int64() { return {Kind::Int, 8}; }
  static constexpr DType uint16() { return {Kind::UInt, 2}; }
  static constexpr DType uint8() { return {Kind::UInt, 1}; }

  /// The .npy descr: "<f4", "|u1".
  std::string descr() const;
  /// NumPy's name: "float32", "uint16", "bool".
  std::string name() const;

  bool operator==(const DType &other) const {
    return kind == other.kind && itemSize == other.itemSize;
  }
  bool operator!=(const DType &other) const { return !(*this == other); }
};

/// The element types a manifest may name.
enum class ElementType { F32, F16, BF16, F8E4M3FN, I32, I64, Index };

/// Parses a manifest element type ("f32", "index", ...).
std::optional<ElementType> parseElementType(std::string_view name);
std::string_view toString(ElementType type);
/// All element type names, for error messages: "f32, f16, ...".
std::string elementTypeNames();

/// Bytes per element.
unsigned byteWidth(ElementType type);

/// The dtypes an .npy file may use for `type`; the first is the canonical
/// one, which the input generator writes. i32 also accepts uint32 because
/// MAX stores the ABI's i32 fields as uint32.
std::vector<DType> acceptedDTypes(ElementType type);

/// "float32 (f32)", "int32 or uint32 (i32)", "uint16 (bf16 bit patterns)":
/// what an error message says was expected for `type`.
std::string describeAcceptedDTypes(ElementType type);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_DTYPE_H
