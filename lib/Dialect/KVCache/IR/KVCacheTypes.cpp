//===- KVCacheTypes.cpp - kvcache types -----------------------------------===//
//
// The bundle type and its verifier: every rule of the ABI (docs/ABI.md) that a
// type can break is an error naming the field and what was expected.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "StaticSize.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace kvcache;
using abi::Field;

#define GET_TYPEDEF_CLASSES
#include "kvcache/Dialect/KVCache/IR/KVCacheTypes.cpp.inc"

void KVCacheDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "kvcache/Dialect/KVCache/IR/KVCacheTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Syntax: !kvcache.inputs<kv_blocks: memref<...>, cache_lengths: ..., ...>
//===----------------------------------------------------------------------===//

Type InputsType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  SmallVector<Field> fields;
  SmallVector<Type> fieldTypes;
  auto parseEntry = [&]() -> ParseResult {
    Field field;
    Type type;
    if (parseFieldName(parser, field) || parser.parseColon() ||
        parser.parseType(type))
      return failure();
    fields.push_back(field);
    fieldTypes.push_back(type);
    return success();
  };
  if (parser.parseCommaSeparatedList(AsmParser::Delimiter::LessGreater,
                                     parseEntry))
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(),
                    fields, fieldTypes);
}

void InputsType::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleaveComma(
      llvm::zip_equal(getFields(), getFieldTypes()), printer, [&](auto entry) {
        printer << abi::name(std::get<0>(entry)) << ": " << std::get<1>(entry);
      });
  printer << ">";
}

//===----------------------------------------------------------------------===//
// Verifier
//===----------------------------------------------------------------------===//

LogicalResult
kvcache::verifyStaticSize(function_ref<InFlightDiagnostic()> emitError,
                          StringRef what, ShapedType type) {
  int64_t elements = 1;
  for (int64_t size : type.getShape())
    if (!ShapedType::isDynamic(size) &&
        llvm::MulOverflow(elements, std::max<int64_t>(size, 1), elements))
      return emitError() << what
                         << " element count overflows int64: the nonzero "
                            "static dims of "
                         << type << " multiply past 2^63 - 1";
  Type element = type.getElementType();
  if (!element.isIntOrFloat())
    return success();
  int64_t elementBytes = llvm::divideCeil(element.getIntOrFloatBitWidth(), 8);
  int64_t bytes;
  if (llvm::MulOverflow(elements, elementBytes, bytes))
    return emitError() << what << " byte size overflows int64: " << elements
                       << " elements of " << elementBytes << " bytes (" << type
                       << ")";
  return success();
}

namespace {
const char *const kKvBlocksDimNames[] = {"total_num_pages", "kv_dim",
                                         "num_layers",      "page_size",
                                         "num_kv_heads",    "head_dim"};

std::string quoted(Field field) {
  return "'" + std::string(abi::name(field)) + "'";
}

std::string dimString(int64_t dim) {
  return ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
}

bool isCacheElementType(Type type) {
  return type.isF32() || type.isF16() || type.isBF16() ||
         isa<Float8E4M3FNType>(type);
}

/// The element type the ABI table asks for, in words, and whether `type` is it.
std::pair<bool, StringRef> checkElement(abi::Element element, Type type) {
  switch (element) {
  case abi::Element::CacheDType:
    return {isCacheElementType(type), "f32, f16, bf16 or f8E4M3FN"};
  case abi::Element::F32:
    return {type.isF32(), "f32"};
  case abi::Element::I32:
    return {type.isSignlessInteger(32), "i32 (signless)"};
  case abi::Element::I64:
    return {type.isSignlessInteger(64), "i64 (signless)"};
  }
  return {false, ""};
}

/// Kind, rank and element type: the rules the ABI table states per field.
LogicalResult verifyFieldShape(function_ref<InFlightDiagnostic()> emitError,
                               Field field, Type type) {
  const abi::FieldInfo &info = abi::info(field);
  auto shaped = dyn_cast<ShapedType>(type);
  bool isMemRef = isa<MemRefType>(type);
  bool isTensor = isa<RankedTensorType>(type);
  if (info.kind == abi::Kind::Buffer && !isMemRef)
    return emitError() << "field " << quoted(field)
                       << " is a buffer and must be a ranked memref, got "
                       << type;
  if (!isMemRef && !isTensor)
    return emitError() << "field " << quoted(field)
                       << " must be a ranked tensor or memref, got " << type;
  // The default ABI revision has packed pages and rows (a later revision adds
  // page strides as fields of their own).
  if (auto memref = dyn_cast<MemRefType>(type);
      memref && !(isa<AffineMapAttr>(memref.getLayout()) &&
                  memref.getLayout().getAffineMap().isIdentity()))
    return emitError() << "field " << quoted(field)
                       << " must have the identity (packed) layout, got "
                       << type;
  if (shaped.getRank() != static_cast<int64_t>(info.rank))
    return emitError() << "field " << quoted(field) << " must have rank "
                       << info.rank << ", got " << shaped.getRank() << " ("
                       << type << ")";
  auto [ok, expected] = checkElement(info.element, shaped.getElementType());
  if (!ok)
    return emitError() << "field " << quoted(field)
                       << " must have element type " << expected << ", got "
                       << shaped.getElementType();
  return success();
}

/// A dimension that the ABI fixes to `expected`.
LogicalResult expectDim(function_ref<InFlightDiagnostic()> emitError,
                        Field field, ShapedType type, unsigned dim,
                        int64_t expected, StringRef why) {
  if (type.getDimSize(dim) == expected)
    return success();
  return emitError() << "field " << quoted(field) << " dim " << dim
                     << " must be " << expected << " " << why << ", got "
                     << dimString(type.getDimSize(dim));
}
} // namespace

LogicalResult InputsType::verify(function_ref<InFlightDiagnostic()> emitError,
                                 ArrayRef<Field> fields,
                                 ArrayRef<Type> fieldTypes) {
  if (fields.size() != fieldTypes.size())
    return emitError() << "expected one type per field, got " << fields.size()
                       << " fields and " << fieldTypes.size() << " types";

  // Names: each once, in ABI order.
  for (size_t i = 1; i < fields.size(); ++i) {
    if (fields[i] == fields[i - 1])
      return emitError() << "duplicate field " << quoted(fields[i]);
    if (abi::position(fields[i]) < abi::position(fields[i - 1]))
      return emitError() << "field " << quoted(fields[i])
                         << " is out of ABI order: it must come before "
                         << quoted(fields[i - 1]);
  }
  abi::FieldSet present;
  for (Field field : fields)
    present = present.with(field);
  auto typeOf = [&](Field field) -> Type {
    std::optional<unsigned> index = present.flatIndex(field);
    return index ? fieldTypes[*index] : Type();
  };

  // kv_blocks first: the other rules depend on it.
  if (!present.contains(Field::kv_blocks))
    return emitError() << "missing required field " << quoted(Field::kv_blocks);
  for (auto [field, type] : llvm::zip_equal(fields, fieldTypes))
    if (failed(verifyFieldShape(emitError, field, type)) ||
        failed(verifyStaticSize(emitError, "field " + quoted(field),
                                cast<ShapedType>(type))))
      return failure();

  auto kvBlocks = cast<MemRefType>(typeOf(Field::kv_blocks));
  for (unsigned dim = abi::kKvDimDim; dim <= abi::kHeadDimDim; ++dim) {
    int64_t size = kvBlocks.getDimSize(dim);
    if (ShapedType::isDynamic(size) || size <= 0)
      return emitError() << "field 'kv_blocks' dim " << dim << " ("
                         << kKvBlocksDimNames[dim]
                         << ") must be static and positive, got "
                         << dimString(size);
  }
  int64_t kvDim = kvBlocks.getDimSize(abi::kKvDimDim);
  if (kvDim != 1 && kvDim != 2)
    return emitError() << "field 'kv_blocks' dim 1 (kv_dim) must be 2 (K and "
                          "V) or 1 (MLA), got "
                       << kvDim;
  bool isMLA = kvDim == 1;
  if (isMLA && kvBlocks.getDimSize(abi::kNumKvHeadsDim) != 1)
    return emitError() << "field 'kv_blocks' dim 4 (num_kv_heads) must be 1 "
                          "on an MLA cache (kv_dim 1), got "
                       << kvBlocks.getDimSize(abi::kNumKvHeadsDim);
  abi::CacheTraits traits;
  traits.isMLA = isMLA;
  traits.isFP8 = isa<Float8E4M3FNType>(kvBlocks.getElementType());

  std::vector<abi::PresenceError> presenceErrors =
      abi::checkPresence(present, traits);
  if (!presenceErrors.empty())
    return emitError() << presenceErrors.front().message;

  // Batch sizes agree where both are static.
  auto cacheLengths = cast<ShapedType>(typeOf(Field::cache_lengths));
  auto lookupTable = cast<ShapedType>(typeOf(Field::lookup_table));
  int64_t batch = cacheLengths.getDimSize(0);
  int64_t tableBatch = lookupTable.getDimSize(0);
  if (!ShapedType::isDynamic(batch) && !ShapedType::isDynamic(tableBatch) &&
      batch != tableBatch)
    return emitError() << "field 'lookup_table' dim 0 (batch) is " << tableBatch
                       << " but 'cache_lengths' dim 0 (batch) is " << batch;

  auto maxLengths = cast<ShapedType>(typeOf(Field::max_lengths));
  if (failed(expectDim(emitError, Field::max_lengths, maxLengths, 1, 2,
                       "(max_prompt_length, max_cache_length)")))
    return failure();

  if (Type scalesType = typeOf(Field::kv_scales)) {
    auto scales = cast<MemRefType>(scalesType);
    for (unsigned dim = 0; dim < abi::kHeadDimDim; ++dim) {
      int64_t expected = kvBlocks.getDimSize(dim);
      int64_t actual = scales.getDimSize(dim);
      if (dim == abi::kTotalNumPagesDim &&
          (ShapedType::isDynamic(expected) || ShapedType::isDynamic(actual)))
        continue;
      if (actual != expected)
        return emitError() << "field 'kv_scales' dim " << dim << " ("
                           << kKvBlocksDimNames[dim]
                           << ") must match 'kv_blocks' ("
                           << dimString(expected) << "), got "
                           << dimString(actual);
    }
    int64_t headDim = kvBlocks.getDimSize(abi::kHeadDimDim);
    int64_t groups = scales.getDimSize(abi::kHeadDimDim);
    if (ShapedType::isDynamic(groups) || groups <= 0 || headDim % groups != 0)
      return emitError() << "field 'kv_scales' dim 5 (head_dim / granularity) "
                            "must be static and divide head_dim "
                         << headDim << ", got " << dimString(groups);
  }

  int64_t metadataSize =
      isMLA ? abi::kMLADispatchMetadataSize : abi::kMHADispatchMetadataSize;
  for (Field field : {Field::attention_dispatch_metadata,
                      Field::draft_attention_dispatch_metadata})
    if (Type type = typeOf(field))
      if (failed(expectDim(emitError, field, cast<ShapedType>(type), 0,
                           metadataSize,
                           isMLA ? "on an MLA cache" : "on an MHA cache")))
        return failure();
  for (Field field :
       {Field::mla_num_partitions, Field::draft_mla_num_partitions})
    if (Type type = typeOf(field))
      if (failed(expectDim(emitError, field, cast<ShapedType>(type), 0, 1,
                           "(one partition count)")))
        return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// Accessors
//===----------------------------------------------------------------------===//

abi::FieldSet InputsType::getFieldSet() const {
  abi::FieldSet set;
  for (Field field : getFields())
    set = set.with(field);
  return set;
}

std::optional<unsigned> InputsType::getFieldIndex(Field field) const {
  return getFieldSet().flatIndex(field);
}

Type InputsType::getFieldType(Field field) const {
  std::optional<unsigned> index = getFieldIndex(field);
  return index ? getFieldTypes()[*index] : Type();
}

MemRefType InputsType::getKvBlocksType() const {
  return cast<MemRefType>(getFieldTypes().front());
}
Type InputsType::getCacheElementType() const {
  return getKvBlocksType().getElementType();
}
int64_t InputsType::getKvDim() const {
  return getKvBlocksType().getDimSize(abi::kKvDimDim);
}
int64_t InputsType::getNumLayers() const {
  return getKvBlocksType().getDimSize(abi::kNumLayersDim);
}
int64_t InputsType::getPageSize() const {
  return getKvBlocksType().getDimSize(abi::kPageSizeDim);
}
int64_t InputsType::getNumKvHeads() const {
  return getKvBlocksType().getDimSize(abi::kNumKvHeadsDim);
}
int64_t InputsType::getHeadDim() const {
  return getKvBlocksType().getDimSize(abi::kHeadDimDim);
}
bool InputsType::isFP8() const {
  return isa<Float8E4M3FNType>(getCacheElementType());
}

InputsType InputsType::withoutField(Field field) const {
  SmallVector<Field> fields;
  SmallVector<Type> types;
  for (auto [f, t] : llvm::zip_equal(getFields(), getFieldTypes())) {
    if (f == field)
      continue;
    fields.push_back(f);
    types.push_back(t);
  }
  return InputsType::get(getContext(), fields, types);
}
