//===- KVCacheCAPI.cpp - C API for the kvcache dialect --------------------===//
//
// Implements include/kvcache-c/Dialect.h on top of the C++ dialect.
//
//===----------------------------------------------------------------------===//

#include "kvcache-c/Dialect.h"

#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <cassert>
#include <string>

using namespace mlir;
using namespace kvcache;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(KVCache, kvcache, kvcache::KVCacheDialect)

void mlirKVCacheRegisterPasses(void) { kvcache::registerKVCachePasses(); }

bool mlirTypeIsAKVCacheInputs(MlirType type) {
  return isa<InputsType>(unwrap(type));
}

MlirType mlirKVCacheInputsTypeGet(MlirContext ctx, intptr_t numFields,
                                  MlirStringRef const *fieldNames,
                                  MlirType const *fieldTypes) {
  MLIRContext *context = unwrap(ctx);
  auto emitError = [context] {
    return mlir::emitError(UnknownLoc::get(context));
  };
  if (numFields < 0) {
    emitError() << "expected a non-negative number of fields, got "
                << static_cast<int64_t>(numFields);
    return MlirType{nullptr};
  }

  SmallVector<abi::Field> fields;
  SmallVector<Type> types;
  fields.reserve(numFields);
  types.reserve(numFields);
  for (intptr_t i = 0; i < numFields; ++i) {
    StringRef name = unwrap(fieldNames[i]);
    std::optional<abi::Field> field = abi::fieldFromName(name);
    if (!field) {
      std::string known;
      for (const abi::FieldInfo &info : abi::kFields)
        known += (known.empty() ? "" : ", ") + std::string(info.name);
      emitError() << "unknown field '" << name << "'; the ABI's fields are "
                  << known;
      return MlirType{nullptr};
    }
    Type type = unwrap(fieldTypes[i]);
    if (!type) {
      emitError() << "field '" << name << "' has a null type";
      return MlirType{nullptr};
    }
    fields.push_back(*field);
    types.push_back(type);
  }
  return wrap(InputsType::getChecked(
      emitError, context, ArrayRef<abi::Field>(fields), ArrayRef<Type>(types)));
}

intptr_t mlirKVCacheInputsTypeGetNumFields(MlirType type) {
  return cast<InputsType>(unwrap(type)).getFields().size();
}

MlirStringRef mlirKVCacheInputsTypeGetFieldName(MlirType type, intptr_t pos) {
  ArrayRef<abi::Field> fields = cast<InputsType>(unwrap(type)).getFields();
  assert(pos >= 0 && static_cast<size_t>(pos) < fields.size() &&
         "field position out of range");
  std::string_view name = abi::name(fields[pos]);
  return mlirStringRefCreate(name.data(), name.size());
}

MlirType mlirKVCacheInputsTypeGetFieldType(MlirType type, intptr_t pos) {
  ArrayRef<Type> types = cast<InputsType>(unwrap(type)).getFieldTypes();
  assert(pos >= 0 && static_cast<size_t>(pos) < types.size() &&
         "field position out of range");
  return wrap(types[pos]);
}

intptr_t mlirKVCacheInputsTypeGetNumFlatValues(MlirType type) {
  return cast<InputsType>(unwrap(type)).getNumFlatValues();
}

bool mlirKVCacheInputsTypeIsMLA(MlirType type) {
  return cast<InputsType>(unwrap(type)).isMLA();
}

bool mlirKVCacheInputsTypeIsFP8(MlirType type) {
  return cast<InputsType>(unwrap(type)).isFP8();
}
