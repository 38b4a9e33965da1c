//===- KVCacheOps.cpp - kvcache operations --------------------------------===//

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "StaticSize.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>

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
    if (!llvm::isAlnum(c) && c != '_' && c != '-') {
      // Escaped: the name may hold control bytes, which must not reach a
      // terminal or a log raw.
      std::string escaped;
      llvm::raw_string_ostream os(escaped);
      llvm::printEscapedString(*cache, os);
      return emitOpError("cache name '")
             << escaped << "' may hold only letters, digits, '_' and '-'";
    }
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

OpFoldResult PackOp::fold(FoldAdaptor) {
  // The fields of a bundle type are distinct and in ABI order, so one get of
  // each field, in order, from a bundle of the same type is all of it.
  Value bundle;
  for (auto [field, value] :
       llvm::zip_equal(getType().getFields(), getValues())) {
    auto get = value.getDefiningOp<GetOp>();
    if (!get || get.getFieldKind() != field ||
        (bundle && get.getBundle() != bundle))
      return {};
    bundle = get.getBundle();
  }
  if (!bundle || bundle.getType() != getType())
    return {};
  return bundle;
}

OpFoldResult GetOp::fold(FoldAdaptor) {
  if (auto pack = getBundle().getDefiningOp<PackOp>())
    return pack.getFieldValue(getFieldKind());
  return {};
}

//===----------------------------------------------------------------------===//
// Compute ops
//===----------------------------------------------------------------------===//

namespace {
/// A constant `layer` must name one of the cache's layers; a dynamic one is
/// checked at run time by the lowerings.
LogicalResult verifyLayer(Operation *op, Value layer, InputsType bundle) {
  APInt value;
  if (!matchPattern(layer, m_ConstantInt(&value)))
    return success();
  int64_t numLayers = bundle.getNumLayers();
  if (value.isNegative() || value.sge(numLayers))
    return op->emitOpError("layer ")
           << value.getSExtValue() << " is out of range for a cache of "
           << numLayers << " layers (kv_blocks dim 2)";
  return success();
}

/// The rows operands of a compute op are all memrefs or all tensors: the
/// memref form is what the lowerings read, the tensor form what
/// one-shot-bufferize rewrites into it; a mix is neither.
LogicalResult verifyOneForm(Operation *op,
                            ArrayRef<std::pair<StringRef, Value>> operands) {
  auto [firstName, first] = operands.front();
  bool tensor = isa<TensorType>(first.getType());
  for (auto [name, value] : operands.drop_front())
    if (isa<TensorType>(value.getType()) != tensor)
      return op->emitOpError("operands '")
             << firstName << "' and '" << name
             << "' must both be memrefs or both be tensors, got "
             << first.getType() << " and " << value.getType();
  return success();
}

/// The static sizes of an operand fit in int64 (verifyStaticSize).
LogicalResult verifyOperandSize(Operation *op, StringRef name,
                                ShapedType type) {
  return verifyStaticSize([&] { return op->emitOpError(); },
                          ("operand '" + name + "'").str(), type);
}

/// Checks a `[tokens, heads, head_dim]` operand of a compute op against the
/// cache: rank 3, static heads and head_dim, head_dim equal to the cache's.
LogicalResult verifyRowsOperand(Operation *op, StringRef name, Type type,
                                InputsType bundle) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank() || shaped.getRank() != 3)
    return op->emitOpError("operand '")
           << name
           << "' must be a rank-3 memref or tensor [tokens, heads, head_dim], "
              "got "
           << type;
  for (unsigned dim : {1u, 2u})
    if (shaped.isDynamicDim(dim))
      return op->emitOpError("operand '") << name << "' dim " << dim << " ("
                                          << (dim == 1 ? "heads" : "head_dim")
                                          << ") must be static, got " << type;
  if (shaped.getDimSize(2) != bundle.getHeadDim())
    return op->emitOpError("operand '")
           << name << "' head_dim (dim 2) is " << shaped.getDimSize(2)
           << " but the cache's head_dim (kv_blocks dim 5) is "
           << bundle.getHeadDim();
  return verifyOperandSize(op, name, shaped);
}

/// Rows stored into a cache hold its element type; an 8-bit float cache is
/// quantised on the fly from any 16- or 32-bit float (ABI.md, FP8 caches).
LogicalResult verifyStoredElementType(Operation *op, StringRef name,
                                      Type element, InputsType bundle) {
  if (bundle.isFP8()) {
    if (element.isF32() || element.isF16() || element.isBF16())
      return success();
    return op->emitOpError("operand '")
           << name << "' element type " << element
           << " must be f32, f16 or bf16 on an 8-bit float cache (kv_blocks "
           << bundle.getCacheElementType() << ")";
  }
  if (element != bundle.getCacheElementType())
    return op->emitOpError("operand '")
           << name << "' element type " << element << " must be the cache's, "
           << bundle.getCacheElementType();
  return success();
}

/// `out` is `[tokens, num_q_heads, head_dim]`; on an MLA cache its last
/// dim is value_dim, the leading lanes of the latent row read as the value.
LogicalResult verifyOut(Operation *op, Type type, InputsType bundle) {
  if (!bundle.isMLA())
    return verifyRowsOperand(op, "out", type, bundle);
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank() || shaped.getRank() != 3 ||
      shaped.isDynamicDim(1) || shaped.isDynamicDim(2))
    return op->emitOpError("operand 'out' must be a rank-3 memref or tensor "
                           "[tokens, heads, value_dim] with static heads and "
                           "value_dim, got ")
           << type;
  int64_t valueDim = shaped.getDimSize(2);
  if (valueDim < 1 || valueDim > bundle.getHeadDim())
    return op->emitOpError("operand 'out' value_dim (dim 2) is ")
           << valueDim << " but must be in [1, " << bundle.getHeadDim()
           << "] on an MLA cache: the value is the first value_dim lanes of "
              "the latent row (kv_blocks dim 5 is "
           << bundle.getHeadDim() << ")";
  return verifyOperandSize(op, "out", shaped);
}

LogicalResult verifyRowOffsets(Operation *op, Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank() || shaped.getRank() != 1 ||
      !shaped.getElementType().isSignlessInteger(32))
    return op->emitOpError("operand 'input_row_offsets' must be a rank-1 "
                           "memref or tensor of i32 [batch + 1], got ")
           << type;
  return verifyOperandSize(op, "input_row_offsets", shaped);
}

/// Declares a read or write of each memref among `values` (tensors are
/// values: they have no effects, as in linalg).
void addMemRefEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects,
    MemoryEffects::Effect *effect, ArrayRef<OpOperand *> operands) {
  for (OpOperand *operand : operands)
    if (isa<MemRefType>(operand->get().getType()))
      effects.emplace_back(effect, operand,
                           SideEffects::DefaultResource::get());
}
} // namespace

//===----------------------------------------------------------------------===//
// StoreOp
//===----------------------------------------------------------------------===//

// `kvcache.store %kv, %layer, %key[, %value], %rows attr-dict : type(%kv),
// type(%key)[, type(%value)], type(%rows)`: the operand count tells whether
// `value` is there.
ParseResult StoreOp::parse(OpAsmParser &parser, OperationState &result) {
  SmallVector<OpAsmParser::UnresolvedOperand> operands;
  SmallVector<Type> types;
  InputsType bundle;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseOperandList(operands) ||
      parser.parseOptionalAttrDict(result.attributes) || parser.parseColon() ||
      parser.parseType(bundle) || parser.parseComma() ||
      parser.parseTypeList(types))
    return failure();
  if (operands.size() != 4 && operands.size() != 5)
    return parser.emitError(loc)
           << "expected bundle, layer, key, [value,] input_row_offsets: 4 or 5 "
              "operands, got "
           << operands.size();
  if (types.size() != operands.size() - 2)
    return parser.emitError(loc)
           << "expected " << operands.size() - 2
           << " types after the bundle's, one per rows operand, got "
           << types.size();
  SmallVector<Type> operandTypes = {bundle, parser.getBuilder().getIndexType()};
  operandTypes.append(types);
  return parser.resolveOperands(operands, operandTypes, loc, result.operands);
}

void StoreOp::print(OpAsmPrinter &printer) {
  printer << " " << getBundle() << ", " << getLayer() << ", " << getKey();
  if (Value value = getValue())
    printer << ", " << value;
  printer << ", " << getInputRowOffsets();
  printer.printOptionalAttrDict((*this)->getAttrs());
  printer << " : " << getBundle().getType() << ", " << getKey().getType();
  if (Value value = getValue())
    printer << ", " << value.getType();
  printer << ", " << getInputRowOffsets().getType();
}

LogicalResult StoreOp::verify() {
  auto bundle = getBundle().getType();
  SmallVector<std::pair<StringRef, Value>, 3> rows = {{"key", getKey()}};
  if (getValue())
    rows.push_back({"value", getValue()});
  rows.push_back({"input_row_offsets", getInputRowOffsets()});
  if (failed(verifyLayer(*this, getLayer(), bundle)) ||
      failed(verifyOneForm(*this, rows)))
    return failure();
  // An MLA row is one latent vector, the key and the value at once.
  if (bundle.isMLA() && getValue())
    return emitOpError("operand 'value' must be absent on an MLA cache "
                       "(kv_dim 1): 'key' holds the latent rows, which are "
                       "the values too");
  if (!bundle.isMLA() && !getValue())
    return emitOpError("operand 'value' is required on a cache with kv_dim "
                       "2 (K and V); only an MLA cache (kv_dim 1) stores "
                       "latent rows alone");
  rows.pop_back();
  for (auto [name, value] : rows) {
    if (failed(verifyRowsOperand(*this, name, value.getType(), bundle)))
      return failure();
    auto shaped = cast<ShapedType>(value.getType());
    if (failed(verifyStoredElementType(*this, name, shaped.getElementType(),
                                       bundle)))
      return failure();
    if (shaped.getDimSize(1) != bundle.getNumKvHeads())
      return emitOpError("operand '")
             << name << "' has " << shaped.getDimSize(1)
             << " heads (dim 1) but the cache has " << bundle.getNumKvHeads()
             << " kv heads (kv_blocks dim 4)";
  }
  if (getValue() && getKey().getType() != getValue().getType())
    return emitOpError("operands 'key' and 'value' must have the same type, "
                       "got ")
           << getKey().getType() << " and " << getValue().getType();
  return verifyRowOffsets(*this, getInputRowOffsets().getType());
}

void StoreOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  // The cache: the comment above KVCache_StoreOp in KVCacheOps.td says why
  // the effect is on the bundle.
  effects.emplace_back(MemoryEffects::Read::get(), &getBundleMutable(),
                       SideEffects::DefaultResource::get());
  effects.emplace_back(MemoryEffects::Write::get(), &getBundleMutable(),
                       SideEffects::DefaultResource::get());
  SmallVector<OpOperand *, 3> reads = {&getKeyMutable()};
  for (OpOperand &value : getValueMutable())
    reads.push_back(&value);
  reads.push_back(&getInputRowOffsetsMutable());
  addMemRefEffects(effects, MemoryEffects::Read::get(), reads);
}

LogicalResult AttentionOp::verify() {
  auto bundle = getBundle().getType();
  if (failed(verifyLayer(*this, getLayer(), bundle)) ||
      failed(verifyOneForm(*this, {{"q", getQ()},
                                   {"input_row_offsets", getInputRowOffsets()},
                                   {"out", getOut()}})))
    return failure();
  if (failed(verifyRowsOperand(*this, "q", getQ().getType(), bundle)) ||
      failed(verifyOut(*this, getOut().getType(), bundle)))
    return failure();
  auto q = cast<ShapedType>(getQ().getType());
  auto out = cast<ShapedType>(getOut().getType());
  Type element = q.getElementType();
  if (!element.isF32() && !element.isF16() && !element.isBF16())
    return emitOpError("operand 'q' must hold f32, f16 or bf16, got ")
           << element;
  if (!bundle.isFP8() && element != bundle.getCacheElementType())
    return emitOpError("operand 'q' element type ")
           << element << " must be the cache's, "
           << bundle.getCacheElementType();
  // On an MLA cache out's last dim is value_dim (verifyOut checked it).
  if (out.getElementType() != element || out.getDimSize(1) != q.getDimSize(1) ||
      (!bundle.isMLA() && out.getDimSize(2) != q.getDimSize(2)) ||
      (!q.isDynamicDim(0) && !out.isDynamicDim(0) &&
       q.getDimSize(0) != out.getDimSize(0)))
    return emitOpError("operand 'out' must have the ")
           << (bundle.isMLA() ? "tokens, heads and element type"
                              : "shape and element type")
           << " of 'q', " << q << ", got " << out;
  if (bundle.isMLA() && !getScaleAttr())
    return emitOpError("on an MLA cache needs 'scale': the default 1 / "
                       "sqrt(head_dim) is not the absorbed form's scale, "
                       "which the model gives");
  if (getDraft())
    for (Field field : getSplitCountFields())
      if (!bundle.hasField(field))
        return emitOpError("with 'draft' reads field '")
               << abi::name(field) << "', which the bundle does not hold";
  int64_t numQHeads = q.getDimSize(1);
  if (numQHeads <= 0)
    return emitOpError("num_q_heads ('q' dim 1) must be positive, got ")
           << numQHeads;
  if (numQHeads % bundle.getNumKvHeads() != 0)
    return emitOpError("num_q_heads (")
           << numQHeads << ", 'q' dim 1) must be a multiple of num_kv_heads ("
           << bundle.getNumKvHeads() << ", kv_blocks dim 4)";
  // The attribute is an f32: a literal too large for one (1.0e300) parses
  // as inf, which the finiteness check rejects.
  if (FloatAttr scale = getScaleAttr()) {
    double value = scale.getValueAsDouble();
    if (std::isnan(value))
      return emitOpError("scale must be finite (as an f32), got nan");
    if (std::isinf(value))
      return emitOpError("scale must be finite (as an f32), got ")
             << (value > 0 ? "inf" : "-inf");
    if (!(value > 0.0))
      return emitOpError("scale must be positive, got ") << value;
  }
  return verifyRowOffsets(*this, getInputRowOffsets().getType());
}

void AttentionOp::getEffects(
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  effects.emplace_back(MemoryEffects::Read::get(), &getBundleMutable(),
                       SideEffects::DefaultResource::get());
  addMemRefEffects(effects, MemoryEffects::Read::get(),
                   {&getQMutable(), &getInputRowOffsetsMutable()});
  addMemRefEffects(effects, MemoryEffects::Write::get(), {&getOutMutable()});
}

std::optional<Field>
AttentionOp::getSplitCountField(function_ref<bool(Field)> usable) {
  for (Field field : getSplitCountFields())
    if (getBundle().getType().hasField(field) && (!usable || usable(field)))
      return field;
  return std::nullopt;
}

float AttentionOp::getScaleOrDefault() {
  if (FloatAttr scale = getScaleAttr())
    return static_cast<float>(scale.getValueAsDouble());
  return 1.0f /
         std::sqrt(static_cast<float>(getBundle().getType().getHeadDim()));
}
