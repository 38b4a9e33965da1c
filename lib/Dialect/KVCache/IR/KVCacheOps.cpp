//===- KVCacheOps.cpp - kvcache operations --------------------------------===//

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace kvcache;
using abi::Field;

#define GET_OP_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheOps.cpp.inc"

//===----------------------------------------------------------------------===//
// InputsPerDeviceOp
//===----------------------------------------------------------------------===//

LogicalResult InputsPerDeviceOp::verify() {
  std::optional<StringRef> cache = getCache();
  if (!cache)
    return success();
  // Cache names become part of flat argument names (`draft.d0.kv_blocks`).
  if (cache->empty())
    return emitOpError("cache name must not be empty; omit cache(...) for "
                       "the default cache");
  for (char c : *cache)
    if (!llvm::isAlnum(c) && c != '_' && c != '-')
      return emitOpError("cache name '")
             << *cache << "' may hold only letters, digits, '_' and '-'";
  return success();
}

void InputsPerDeviceOp::getAsmResultNames(OpAsmSetValueNameFn setNameFn) {
  std::string name = getCache() ? getCache()->str() : "kv";
  if (getDevice() != 0 || getCache())
    name += "_d" + std::to_string(getDevice());
  setNameFn(getResult(), name);
}

//===----------------------------------------------------------------------===//
// PackOp
//===----------------------------------------------------------------------===//

ParseResult PackOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::UnresolvedOperand> values;
  InputsType type;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseOperandList(values) ||
      parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseColonType(type))
    return failure();
  if (values.size() != type.getNumFlatValues())
    return parser.emitError(loc) << "expected " << type.getNumFlatValues()
                                 << " operands, one per present field of "
                                 << type << ", got " << values.size();
  if (parser.resolveOperands(values, type.getFieldTypes(), loc,
                             result.operands))
    return failure();
  result.addTypes(type);
  return success();
}

void PackOp::print(OpAsmPrinter &printer) {
  printer << " " << getValues();
  printer.printOptionalAttrDict((*this)->getAttrs());
  printer << " : " << getType();
}

LogicalResult PackOp::verify() {
  InputsType type = getType();
  if (getValues().size() != type.getNumFlatValues())
    return emitOpError("expects ")
           << type.getNumFlatValues()
           << " operands, one per present field of the bundle type, got "
           << getValues().size();
  for (auto [index, entry] : llvm::enumerate(llvm::zip_equal(
           getValues(), type.getFields(), type.getFieldTypes()))) {
    auto [value, field, fieldType] = entry;
    if (value.getType() != fieldType)
      return emitOpError("operand #")
             << index << " ('" << abi::name(field) << "') must have type "
             << fieldType << ", got " << value.getType();
  }
  return success();
}

Value PackOp::getFieldValue(Field field) {
  std::optional<unsigned> index = getType().getFieldIndex(field);
  return index ? getValues()[*index] : Value();
}

//===----------------------------------------------------------------------===//
// GetOp
//===----------------------------------------------------------------------===//

void GetOp::build(OpBuilder &builder, OperationState &state, Value bundle,
                  Field field) {
  auto type = cast<InputsType>(bundle.getType());
  build(builder, state, type.getFieldType(field), bundle,
        FieldAttr::get(builder.getContext(), field));
}

ParseResult GetOp::parse(OpAsmParser &parser, OperationState &result) {
  OpAsmParser::UnresolvedOperand bundle;
  Field field;
  InputsType type;
  SMLoc fieldLoc;
  if (parser.parseOperand(bundle) || parser.parseLSquare() ||
      (fieldLoc = parser.getCurrentLocation(), false) ||
      parseFieldName(parser, field) || parser.parseRSquare() ||
      parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseColonType(type) ||
      parser.resolveOperand(bundle, type, result.operands))
    return failure();
  // The field is spelled in brackets only; a second spelling could disagree.
  if (result.attributes.get(getFieldAttrName(result.name)))
    return parser.emitError(fieldLoc)
           << "the field is given in brackets; remove 'field' from the "
              "attribute dictionary";
  Type fieldType = type.getFieldType(field);
  if (!fieldType)
    return parser.emitError(fieldLoc)
           << "field '" << abi::name(field) << "' is not present in " << type;
  result.getOrAddProperties<Properties>().field =
      FieldAttr::get(parser.getContext(), field);
  result.addTypes(fieldType);
  return success();
}

void GetOp::print(OpAsmPrinter &printer) {
  printer << " " << getBundle() << "[" << abi::name(getFieldKind()) << "]";
  printer.printOptionalAttrDict((*this)->getAttrs(), {getFieldAttrName()});
  printer << " : " << getBundle().getType();
}

LogicalResult GetOp::verify() {
  auto type = cast<InputsType>(getBundle().getType());
  Type fieldType = type.getFieldType(getFieldKind());
  if (!fieldType)
    return emitOpError("field '")
           << abi::name(getFieldKind()) << "' is not present in " << type;
  if (getType() != fieldType)
    return emitOpError("result type must be the type of field '")
           << abi::name(getFieldKind()) << "', " << fieldType << ", got "
           << getType();
  return success();
}

OpFoldResult GetOp::fold(FoldAdaptor) {
  if (auto pack = getBundle().getDefiningOp<PackOp>())
    return pack.getFieldValue(getFieldKind());
  return {};
}
