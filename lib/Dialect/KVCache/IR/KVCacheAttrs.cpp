//===- KVCacheAttrs.cpp - kvcache attributes ------------------------------===//

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace kvcache;

#define GET_ATTRDEF_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheAttrs.cpp.inc"

void KVCacheDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "kvcache/Dialect/KVCache/IR/KVCacheAttrs.cpp.inc"
      >();
}

/// Parses an ABI field name; shared by `#kvcache.field<...>`, the bundle type
/// and `kvcache.get`.
ParseResult kvcache::parseFieldName(AsmParser &parser, abi::Field &field) {
  SMLoc loc = parser.getCurrentLocation();
  std::string name;
  if (parser.parseKeywordOrString(&name))
    return failure();
  std::optional<abi::Field> parsed = abi::fieldFromName(name);
  if (!parsed) {
    std::string known;
    for (const abi::FieldInfo &info : abi::kFields)
      known += (known.empty() ? "" : ", ") + std::string(info.name);
    // A quoted name may hold any byte: escaped, so none reaches a terminal
    // raw.
    std::string escaped;
    llvm::raw_string_ostream os(escaped);
    llvm::printEscapedString(name, os);
    return parser.emitError(loc) << "unknown field '" << escaped
                                 << "'; the ABI's fields are " << known;
  }
  field = *parsed;
  return success();
}

Attribute FieldAttr::parse(AsmParser &parser, Type) {
  abi::Field field;
  if (parser.parseLess() || parseFieldName(parser, field) ||
      parser.parseGreater())
    return {};
  return FieldAttr::get(parser.getContext(), field);
}

void FieldAttr::print(AsmPrinter &printer) const {
  printer << "<" << abi::name(getValue()) << ">";
}
