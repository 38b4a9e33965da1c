//===- ReadManifest.cpp - The manifest of a flattened module --------------===//
//
// The flat signature is the contract: cache arguments are named by the ABI
// from their kvcache.field/device/cache attributes, every other argument by
// the user's kvcache.name. Everything a runtime could not bind by name is an
// error here, at compile time, rather than a confusing failure at run time.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"

#include "llvm/ADT/StringMap.h"

using namespace mlir;
using namespace kvcache;
using namespace kvcache::compile;

namespace {

constexpr StringLiteral kMemRefElementTypes =
    "f32, f16, bf16, f8E4M3FN, i32, i64 and index";

/// The manifest's spelling of a memref element type, if the runtime has it.
std::optional<StringRef> memrefElementTypeName(Type type) {
  if (type.isF32())
    return StringRef("f32");
  if (type.isF16())
    return StringRef("f16");
  if (type.isBF16())
    return StringRef("bf16");
  if (isa<Float8E4M3FNType>(type))
    return StringRef("f8E4M3FN");
  if (type.isSignlessInteger(32))
    return StringRef("i32");
  if (type.isSignlessInteger(64))
    return StringRef("i64");
  if (type.isIndex())
    return StringRef("index");
  return std::nullopt;
}

/// Scalars are passed by value through the C interface; only the types the
/// entry wrapper knows how to load are allowed.
std::optional<StringRef> scalarTypeName(Type type) {
  if (type.isIndex())
    return StringRef("index");
  if (type.isSignlessInteger(64))
    return StringRef("i64");
  if (type.isF32())
    return StringRef("f32");
  return std::nullopt;
}

ArgumentPlacement toArgumentPlacement(abi::Placement placement) {
  return placement == abi::Placement::Device ? ArgumentPlacement::Device
                                             : ArgumentPlacement::Host;
}

/// Reads one public function's flat signature.
class FunctionReader {
public:
  explicit FunctionReader(func::FuncOp func) : func(func) {}

  FailureOr<ManifestFunction> read() {
    ManifestFunction result;
    result.name = func.getSymName().str();
    result.entry = bundle::entrySymbol(func.getSymName());
    // Returned tensors and buffers became output arguments in
    // kvcache-bufferize-graph; whatever is left has no place to go.
    if (func.getNumResults() != 0) {
      emitError(func.getLoc(), "public function '@")
          << func.getSymName() << "' returns " << func.getResultTypes()[0]
          << " (result 0); entry functions may return only statically "
             "shaped tensors, which become output arguments (or write "
             "outputs to arguments marked kvcache.role = \"output\")";
      return failure();
    }
    bool ok = true;
    for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
      FailureOr<ManifestArgument> argument = readArgument(i);
      if (failed(argument))
        ok = false;
      else
        result.arguments.push_back(std::move(*argument));
    }
    if (!ok || failed(placeCacheFields(result)) ||
        failed(checkUniqueNames(result)))
      return failure();
    return result;
  }

private:
  InFlightDiagnostic argError(unsigned index) {
    return emitError(func.getArgument(index).getLoc())
           << "argument " << index << " of function '@" << func.getSymName()
           << "' ";
  }

  /// Kind, element type and shape, from the argument's type.
  LogicalResult readType(unsigned index, ManifestArgument &argument) {
    Type type = func.getArgument(index).getType();
    if (auto memref = dyn_cast<MemRefType>(type)) {
      std::optional<StringRef> element =
          memrefElementTypeName(memref.getElementType());
      if (!element)
        return argError(index)
               << "('" << argument.name << "') has element type "
               << memref.getElementType() << "; bundles support "
               << kMemRefElementTypes;
      // The runtime describes every buffer as contiguous (row-major
      // strides); a memref with another layout would read the wrong
      // elements.
      if (!memref.getLayout().isIdentity())
        return argError(index)
               << "('" << argument.name << "') has type " << type
               << "; entry memrefs must have the identity layout";
      argument.kind = ArgumentKind::MemRef;
      argument.elementType = element->str();
      argument.shape.assign(memref.getShape().begin(), memref.getShape().end());
      for (int64_t &dim : argument.shape)
        if (ShapedType::isDynamic(dim))
          dim = -1;
      return success();
    }
    if (std::optional<StringRef> scalar = scalarTypeName(type)) {
      argument.kind = ArgumentKind::Scalar;
      argument.elementType = scalar->str();
      return success();
    }
    auto diag = argError(index)
                << "('" << argument.name << "') has type " << type << "; ";
    if (type.isIntOrIndexOrFloat())
      diag << "scalar arguments must be index, i64 or f32";
    else
      diag << "entry arguments must be memrefs (of " << kMemRefElementTypes
           << ") or index, i64 or f32 scalars";
    return diag;
  }

  LogicalResult readCacheBinding(unsigned index, Attribute fieldAttr,
                                 ManifestArgument &argument) {
    auto fieldName = dyn_cast<StringAttr>(fieldAttr);
    std::optional<abi::Field> field =
        fieldName ? abi::fieldFromName(fieldName.getValue()) : std::nullopt;
    if (!field)
      return argError(index) << "has " << argattrs::field << " = " << fieldAttr
                             << ", which names no ABI field";
    CacheBinding binding{*field, 0, ""};
    // kvcache-expand-inputs always writes the device; flat signatures
    // written by hand may leave device 0 implicit, as kvcache-pack-inputs
    // reads them.
    if (Attribute device = func.getArgAttr(index, argattrs::device)) {
      auto value = dyn_cast<IntegerAttr>(device);
      if (!value || value.getInt() < 0)
        return argError(index) << "has " << argattrs::device << " = " << device
                               << "; expected a non-negative integer";
      binding.device = value.getInt();
    }
    if (Attribute cache = func.getArgAttr(index, argattrs::cache)) {
      auto value = dyn_cast<StringAttr>(cache);
      if (!value)
        return argError(index) << "has " << argattrs::cache << " = " << cache
                               << "; expected a string";
      binding.cache = value.getValue().str();
    }
    argument.name =
        abi::flatArgumentName(binding.cache, binding.device, binding.field);
    argument.role = ArgumentRole::Cache;
    argument.cache = std::move(binding);
    return success();
  }

  LogicalResult readUserBinding(unsigned index, ManifestArgument &argument) {
    auto name = func.getArgAttrOfType<StringAttr>(index, argattrs::name);
    if (!name || name.getValue().empty())
      return argError(index)
             << "has no " << argattrs::name
             << " (a non-empty string); the runtime binds every argument of "
                "a public function by name";
    // The runtime reads and writes `<name>.npy`.
    if (name.getValue().contains('/'))
      return argError(index) << "is named '" << name.getValue()
                             << "'; names must not contain '/'";
    argument.name = name.getValue().str();
    if (auto operand =
            func.getArgAttrOfType<StringAttr>(index, argattrs::operand))
      argument.operand = bundle::operandFromName(operand.getValue());
    argument.role = ArgumentRole::Input;
    if (Attribute role = func.getArgAttr(index, argattrs::role)) {
      auto value = dyn_cast<StringAttr>(role);
      std::optional<ArgumentRole> parsed;
      if (value)
        parsed = bundle::roleFromName(value.getValue());
      // Cache and workspace roles are the compiler's to give.
      if (parsed == ArgumentRole::Cache || parsed == ArgumentRole::Workspace)
        parsed.reset();
      if (!parsed)
        return argError(index)
               << "('" << argument.name << "') has " << argattrs::role << " = "
               << role << "; expected \"input\", \"output\" or \"inout\"";
      argument.role = *parsed;
    }
    return success();
  }

  FailureOr<ManifestArgument> readArgument(unsigned index) {
    ManifestArgument argument;
    argument.index = index;
    Attribute field = func.getArgAttr(index, argattrs::field);
    if (failed(field ? readCacheBinding(index, field, argument)
                     : readUserBinding(index, argument)) ||
        failed(readType(index, argument)))
      return failure();
    if (argument.cache && argument.kind != ArgumentKind::MemRef)
      return argError(index)
             << "('" << argument.name << "') is a cache field but not a memref";
    argument.placement = bundle::placementOf(argument.kind);
    return argument;
  }

  /// The ABI placement of each cache field. The dispatch metadata lives on
  /// the host for ordinary attention and on the device for MLA, which is
  /// read off kv_dim (dim 1) of the same cache and device's kv_blocks.
  LogicalResult placeCacheFields(ManifestFunction &function) {
    for (ManifestArgument &argument : function.arguments) {
      if (!argument.cache)
        continue;
      abi::Field field = argument.cache->field;
      if (abi::info(field).placement !=
          abi::Placement::HostForMHADeviceForMLA) {
        argument.placement =
            toArgumentPlacement(abi::placementFor(field, /*isMLA=*/false));
        continue;
      }
      const ManifestArgument *kvBlocks = nullptr;
      for (const ManifestArgument &other : function.arguments)
        if (other.cache && other.cache->field == abi::Field::kv_blocks &&
            other.cache->device == argument.cache->device &&
            other.cache->cache == argument.cache->cache)
          kvBlocks = &other;
      if (!kvBlocks ||
          kvBlocks->shape.size() != abi::info(abi::Field::kv_blocks).rank ||
          kvBlocks->shape[abi::kKvDimDim] < 0)
        return argError(argument.index)
               << "('" << argument.name
               << "') is placed by the cache's kind (MHA or MLA), but the "
                  "function has no kv_blocks of the same cache and device "
                  "with a static kv_dim (dim 1)";
      argument.placement = toArgumentPlacement(abi::placementFor(
          field, /*isMLA=*/kvBlocks->shape[abi::kKvDimDim] == 1));
    }
    return success();
  }

  LogicalResult checkUniqueNames(const ManifestFunction &function) {
    llvm::StringMap<unsigned> first;
    bool ok = true;
    for (const ManifestArgument &argument : function.arguments) {
      auto [it, inserted] = first.try_emplace(argument.name, argument.index);
      if (inserted)
        continue;
      InFlightDiagnostic diag = argError(argument.index)
                                << "is named '" << argument.name
                                << "', like argument " << it->second
                                << "; the runtime binds arguments by name, "
                                   "so they must be distinct";
      diag.attachNote(func.getArgument(it->second).getLoc())
          << "argument " << it->second << " is here";
      ok = false;
    }
    return success(ok);
  }

  func::FuncOp func;
};

} // namespace

FailureOr<Manifest> kvcache::compile::readManifest(ModuleOp module,
                                                   StringRef target,
                                                   StringRef library) {
  Manifest manifest;
  manifest.target = target.str();
  manifest.library = library.str();
  bool ok = true;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isDeclaration())
      continue;
    FailureOr<ManifestFunction> function = FunctionReader(func).read();
    if (failed(function))
      ok = false;
    else
      manifest.functions.push_back(std::move(*function));
  }
  if (!ok)
    return failure();
  if (manifest.functions.empty())
    return emitError(module.getLoc(),
                     "the module has no public function with a body; "
                     "a bundle's entry points are its public "
                     "functions");
  return manifest;
}
