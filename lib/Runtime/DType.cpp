//===- DType.cpp - NumPy dtypes and bundle element types ------------------===//

#include "kvcache/Runtime/DType.h"

#include <array>
#include <utility>

namespace kvcache::runtime {

std::string DType::descr() const {
  std::string result(1, itemSize == 1 ? '|' : '<');
  result += static_cast<char>(kind);
  result += std::to_string(itemSize);
  return result;
}

std::string DType::name() const {
  std::string bits = std::to_string(itemSize * 8);
  switch (kind) {
  case Kind::Bool:
    return "bool";
  case Kind::Int:
    return "int" + bits;
  case Kind::UInt:
    return "uint" + bits;
  case Kind::Float:
    return "float" + bits;
  case Kind::Complex:
    return "complex" + bits;
  }
  return descr();
}

namespace {
constexpr std::array<std::pair<ElementType, std::string_view>, 7>
    kElementNames = {{
        {ElementType::F32, "f32"},
        {ElementType::F16, "f16"},
        {ElementType::BF16, "bf16"},
        {ElementType::F8E4M3FN, "f8E4M3FN"},
        {ElementType::I32, "i32"},
        {ElementType::I64, "i64"},
        {ElementType::Index, "index"},
    }};
} // namespace

std::optional<ElementType> parseElementType(std::string_view name) {
  for (const auto &[type, spelling] : kElementNames)
    if (spelling == name)
      return type;
  return std::nullopt;
}

std::string_view toString(ElementType type) {
  for (const auto &[candidate, spelling] : kElementNames)
    if (candidate == type)
      return spelling;
  return "?";
}

std::string elementTypeNames() {
  std::string result;
  for (const auto &entry : kElementNames) {
    if (!result.empty())
      result += ", ";
    result += entry.second;
  }
  return result;
}

unsigned byteWidth(ElementType type) {
  switch (type) {
  case ElementType::F8E4M3FN:
    return 1;
  case ElementType::F16:
  case ElementType::BF16:
    return 2;
  case ElementType::F32:
  case ElementType::I32:
    return 4;
  case ElementType::I64:
  case ElementType::Index:
    return 8;
  }
  return 0;
}

std::vector<DType> acceptedDTypes(ElementType type) {
  switch (type) {
  case ElementType::F32:
    return {DType::float32()};
  case ElementType::F16:
    return {DType::float16()};
  case ElementType::BF16:
    return {DType::uint16()};
  case ElementType::F8E4M3FN:
    return {DType::uint8()};
  case ElementType::I32:
    return {DType::int32(), DType::uint32()};
  case ElementType::I64:
  case ElementType::Index:
    return {DType::int64()};
  }
  return {};
}

std::string describeAcceptedDTypes(ElementType type) {
  switch (type) {
  case ElementType::BF16:
    return "uint16 (bf16 bit patterns)";
  case ElementType::F8E4M3FN:
    return "uint8 (f8E4M3FN bit patterns)";
  default:
    break;
  }
  std::string result;
  for (const DType &dtype : acceptedDTypes(type)) {
    if (!result.empty())
      result += " or ";
    result += dtype.name();
  }
  return result + " (" + std::string(toString(type)) + ")";
}

} // namespace kvcache::runtime
