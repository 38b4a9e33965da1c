//===- ExpandInputs.cpp - Flatten bundles into their fields ---------------===//
//
// kvcache-expand-inputs: every !kvcache.inputs value becomes its present
// fields in ABI order, by a 1:N dialect conversion. Declarations become new
// function arguments, annotated so that a runtime can bind them by name.
// Operations the pass does not know (compute ops lowered later) keep their
// bundles, through the conversion's materializations: kvcache.pack of the
// flat values for a bundle they take, kvcache.get for one they define.
//
//===----------------------------------------------------------------------===//

#include "BundleFlow.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/ControlFlow/Transforms/StructuralTypeConversions.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace kvcache {
#define GEN_PASS_DEF_EXPANDINPUTS
#include "kvcache/Dialect/KVCache/Transforms/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;
using abi::Field;

namespace {

/// The attributes of one flat argument that holds `field` of (cache, device),
/// plus `extra` (attributes carried over from a bundle argument).
DictionaryAttr fieldArgAttrs(MLIRContext *ctx, Field field, int64_t device,
                             StringRef cache, ArrayRef<NamedAttribute> extra) {
  NamedAttrList attrs(extra);
  Builder b(ctx);
  attrs.set(argattrs::field, b.getStringAttr(abi::name(field)));
  attrs.set(argattrs::device, b.getI64IntegerAttr(device));
  if (!cache.empty())
    attrs.set(argattrs::cache, b.getStringAttr(cache));
  return attrs.getDictionary(ctx);
}

/// Turns the declarations in `func` into appended arguments; each declaration
/// becomes a kvcache.pack of its arguments, which the conversion removes.
LogicalResult expandDeclarations(func::FuncOp func, ModuleOp module) {
  // Group by cache (in order of first declaration), then device (ascending).
  llvm::MapVector<StringRef, std::map<int64_t, SmallVector<InputsPerDeviceOp>>>
      decls;
  func.walk([&](InputsPerDeviceOp op) {
    decls[op.getCacheName()][op.getDevice()].push_back(op);
  });
  if (decls.empty())
    return success();
  std::optional<SymbolTable::UseRange> uses = func.getSymbolUses(module);
  if (!uses || !uses->empty()) {
    InFlightDiagnostic diag =
        func.emitOpError()
        << "@" << func.getSymName()
        << " declares cache inputs with kvcache.inputs_per_device and is "
           "also referenced in the module; its callers could not supply the "
           "new arguments";
    if (uses && !uses->empty())
      diag.attachNote(uses->begin()->getUser()->getLoc())
          << "referenced here by '" << uses->begin()->getUser()->getName()
          << "'";
    return diag;
  }

  MLIRContext *ctx = func.getContext();
  for (auto &[cache, devices] : decls) {
    for (auto &[device, ops] : devices) {
      InputsType type = ops.front().getType();
      for (InputsPerDeviceOp op : ops)
        if (op.getType() != type)
          return op.emitOpError()
                 << "declares cache "
                 << (cache.empty() ? std::string("(default)")
                                   : ("'" + cache.str() + "'"))
                 << " device " << device << " as " << op.getType()
                 << ", but an earlier declaration in the same function has "
                 << type;
      unsigned first = func.getNumArguments();
      SmallVector<unsigned> indices(type.getNumFlatValues(), first);
      SmallVector<DictionaryAttr> attrs;
      SmallVector<Location> locs(type.getNumFlatValues(), ops.front().getLoc());
      for (Field field : type.getFields())
        attrs.push_back(fieldArgAttrs(ctx, field, device, cache, {}));
      if (failed(
              func.insertArguments(indices, type.getFieldTypes(), attrs, locs)))
        return failure();
      ValueRange args = func.getArguments().drop_front(first);
      for (InputsPerDeviceOp op : ops) {
        OpBuilder builder(op);
        auto pack = PackOp::create(builder, op.getLoc(), type, args);
        op.replaceAllUsesWith(pack.getResult());
        op.erase();
      }
    }
  }
  return success();
}

/// Gives kvcache.device = 0 to the arguments that were flat already and name
/// a field but no device, as kvcache-pack-inputs reads them: every flat
/// argument then says its device, so that packing and expanding again gives
/// the same signature.
void annotateDevices(func::FuncOp func) {
  Builder b(func.getContext());
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, argattrs::field) &&
        !func.getArgAttr(i, argattrs::device))
      func.setArgAttr(i, argattrs::device, b.getI64IntegerAttr(0));
}

/// The flat argument (or result) attributes of `func` after expansion: a
/// bundle's attributes go to each of its fields, with kvcache.field/device/
/// cache set and kvcache.field_attrs handed back to the fields they came from.
/// The attributes of each field of a bundle argument with attributes `attrs`
/// and type `type`. Graphs repeat a handful of (attributes, type) pairs over
/// thousands of functions, so the pass caches the result per pair.
SmallVector<Attribute> bundleFieldAttrs(MLIRContext *ctx, DictionaryAttr attrs,
                                        InputsType type) {
  int64_t device = 0;
  StringRef cache;
  DictionaryAttr fieldAttrs;
  SmallVector<NamedAttribute> shared;
  for (NamedAttribute attr :
       attrs ? attrs.getValue() : ArrayRef<NamedAttribute>()) {
    if (attr.getName() == argattrs::device) {
      if (auto value = dyn_cast<IntegerAttr>(attr.getValue()))
        device = value.getInt();
    } else if (attr.getName() == argattrs::cache) {
      if (auto value = dyn_cast<StringAttr>(attr.getValue()))
        cache = value.getValue();
    } else if (attr.getName() == argattrs::fieldAttrs) {
      fieldAttrs = dyn_cast<DictionaryAttr>(attr.getValue());
    } else {
      shared.push_back(attr);
    }
  }
  SmallVector<Attribute> result;
  for (Field field : type.getFields()) {
    SmallVector<NamedAttribute> extra(shared);
    if (fieldAttrs)
      if (auto own = fieldAttrs.getAs<DictionaryAttr>(abi::name(field)))
        llvm::append_range(extra, own.getValue());
    result.push_back(fieldArgAttrs(ctx, field, device, cache, extra));
  }
  return result;
}

using FieldAttrsCache =
    llvm::DenseMap<std::pair<DictionaryAttr, Type>, SmallVector<Attribute>>;

SmallVector<Attribute> flattenArgAttrs(func::FuncOp func,
                                       FieldAttrsCache &cache) {
  MLIRContext *ctx = func.getContext();
  SmallVector<Attribute> result;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    DictionaryAttr attrs = func.getArgAttrDict(i);
    auto type = dyn_cast<InputsType>(func.getArgumentTypes()[i]);
    if (!type) {
      result.push_back(attrs ? attrs : DictionaryAttr::get(ctx));
      continue;
    }
    auto [it, inserted] = cache.try_emplace({attrs, type});
    if (inserted)
      it->second = bundleFieldAttrs(ctx, attrs, type);
    llvm::append_range(result, it->second);
  }
  return result;
}

SmallVector<Attribute> flattenResultAttrs(func::FuncOp func) {
  MLIRContext *ctx = func.getContext();
  SmallVector<Attribute> result;
  for (unsigned i = 0, e = func.getNumResults(); i < e; ++i) {
    DictionaryAttr attrs = func.getResultAttrDict(i);
    if (!attrs)
      attrs = DictionaryAttr::get(ctx);
    auto type = dyn_cast<InputsType>(func.getResultTypes()[i]);
    result.append(type ? type.getNumFlatValues() : 1, attrs);
  }
  return result;
}

struct PackOpConversion : public OpConversionPattern<PackOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PackOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> fields;
    for (ValueRange values : adaptor.getValues())
      llvm::append_range(fields, values);
    rewriter.replaceOpWithMultiple(op, {fields});
    return success();
  }
};

struct GetOpConversion : public OpConversionPattern<GetOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GetOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<InputsType>(op.getBundle().getType());
    unsigned index = *type.getFieldIndex(op.getFieldKind());
    rewriter.replaceOp(op, adaptor.getBundle()[index]);
    return success();
  }
};

/// func.func signatures and the arguments of every block: upstream's
/// signature pattern converts the entry block only.
struct FuncSignatureConversion : public OpConversionPattern<func::FuncOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(func::FuncOp func, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    const TypeConverter &converter = *getTypeConverter();
    FunctionType type = func.getFunctionType();
    TypeConverter::SignatureConversion signature(type.getNumInputs());
    if (failed(converter.convertSignatureArgs(type.getInputs(), signature)))
      return failure();
    SmallVector<Type> results;
    if (failed(converter.convertTypes(type.getResults(), results)))
      return failure();
    if (!func.isExternal()) {
      if (failed(rewriter.convertRegionTypes(&func.getBody(), converter,
                                             &signature)))
        return failure();
    }
    rewriter.modifyOpInPlace(func, [&] {
      func.setType(FunctionType::get(func.getContext(),
                                     signature.getConvertedTypes(), results));
    });
    return success();
  }
};

/// Converts the signature of `block`, a branch destination, so that it takes
/// `operands`; a block that an earlier pattern (or the function's own
/// signature conversion) converted already is returned as it is.
FailureOr<Block *> convertSuccessor(ConversionPatternRewriter &rewriter,
                                    const TypeConverter &converter,
                                    Operation *branch, Block *block,
                                    ValueRange operands) {
  if (block->getArgumentTypes() == operands.getTypes())
    return block;
  std::optional<TypeConverter::SignatureConversion> conversion =
      converter.convertBlockSignature(block);
  if (!conversion)
    return rewriter.notifyMatchFailure(branch, "cannot convert successor");
  if (TypeRange(conversion->getConvertedTypes()) != operands.getTypes())
    return rewriter.notifyMatchFailure(
        branch, "successor signature does not match the branch operands");
  return rewriter.applySignatureConversion(block, *conversion, &converter);
}

/// cf.switch: upstream's structural pattern takes a 1:1 adaptor, so it cannot
/// forward the fields of a bundle operand (cf.br and cf.cond_br are 1:N).
struct SwitchOpConversion : public OpConversionPattern<cf::SwitchOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(cf::SwitchOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<ValueRange> converted = adaptor.getOperands();
    // The converted values of one operand group (default or one case).
    auto flatten = [&](OperandRange group) {
      SmallVector<Value> values;
      if (group.empty())
        return values;
      for (ValueRange fields :
           converted.slice(group.getBeginOperandIndex(), group.size()))
        llvm::append_range(values, fields);
      return values;
    };
    if (!llvm::hasSingleElement(adaptor.getFlag()))
      return rewriter.notifyMatchFailure(op, "expected a single flag value");

    SmallVector<Value> defaultOperands = flatten(op.getDefaultOperands());
    FailureOr<Block *> defaultDest =
        convertSuccessor(rewriter, *getTypeConverter(), op,
                         op.getDefaultDestination(), defaultOperands);
    if (failed(defaultDest))
      return failure();
    SmallVector<SmallVector<Value>> caseOperands;
    SmallVector<Block *> caseDests;
    for (auto [index, dest] : llvm::enumerate(op.getCaseDestinations())) {
      caseOperands.push_back(flatten(op.getCaseOperands(index)));
      FailureOr<Block *> caseDest = convertSuccessor(
          rewriter, *getTypeConverter(), op, dest, caseOperands.back());
      if (failed(caseDest))
        return failure();
      caseDests.push_back(*caseDest);
    }
    SmallVector<ValueRange> caseRanges(caseOperands.begin(),
                                       caseOperands.end());
    auto newOp = cf::SwitchOp::create(
        rewriter, op.getLoc(), llvm::getSingleElement(adaptor.getFlag()),
        *defaultDest, defaultOperands, op.getCaseValuesAttr(), caseDests,
        caseRanges);
    newOp->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    rewriter.replaceOp(op, newOp);
    return success();
  }
};

/// scf.execute_region: upstream's structural conversions do not cover it.
struct ExecuteRegionConversion
    : public OpConversionPattern<scf::ExecuteRegionOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(scf::ExecuteRegionOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Type> resultTypes;
    SmallVector<unsigned> counts;
    for (Type type : op.getResultTypes()) {
      size_t before = resultTypes.size();
      if (failed(getTypeConverter()->convertType(type, resultTypes)))
        return failure();
      counts.push_back(resultTypes.size() - before);
    }
    auto newOp =
        scf::ExecuteRegionOp::create(rewriter, op.getLoc(), resultTypes);
    newOp->setAttrs(op->getAttrs());
    rewriter.inlineRegionBefore(op.getRegion(), newOp.getRegion(),
                                newOp.getRegion().end());
    if (failed(rewriter.convertRegionTypes(&newOp.getRegion(),
                                           *getTypeConverter())))
      return failure();
    SmallVector<SmallVector<Value>> replacements;
    unsigned next = 0;
    for (unsigned count : counts) {
      replacements.emplace_back(newOp.getResults().slice(next, count));
      next += count;
    }
    rewriter.replaceOpWithMultiple(op, std::move(replacements));
    return success();
  }
};

/// Whether the conversion rewrites `op`: a carrier that touches a bundle, in
/// a place whose other bundle values the conversion rewrites too. A yield or
/// a branch in the region of an op the pass does not know stays, since that
/// op's results and block arguments keep their bundle types.
bool isRewritten(Operation *op) {
  if (!isBundleCarrier(op) || !touchesBundles(op))
    return false;
  Operation *parent = op->getParentOp();
  if (isa<scf::YieldOp>(op))
    return isa<scf::ForOp, scf::IfOp, scf::WhileOp, scf::ExecuteRegionOp>(
        parent);
  if (isa<cf::BranchOp, cf::CondBranchOp, cf::SwitchOp>(op))
    return isa<func::FuncOp, scf::ExecuteRegionOp>(parent);
  return true;
}

/// Every other operation that touches a bundle (kvcache.store and
/// kvcache.attention, ops of other dialects) stays as it is: it reads a
/// bundle operand through a kvcache.pack of the flat values, and a bundle it
/// defines reaches the rewritten ops through kvcache.get of each field.
bool isLegal(Operation *op) { return !isRewritten(op); }

Value packFields(OpBuilder &builder, InputsType type, ValueRange fields,
                 Location loc) {
  if (TypeRange(fields) != TypeRange(type.getFieldTypes()))
    return Value();
  return PackOp::create(builder, loc, type, fields).getResult();
}

SmallVector<Value> getFields(OpBuilder &builder, TypeRange fieldTypes,
                             ValueRange inputs, Location loc) {
  if (inputs.size() != 1)
    return {};
  auto type = dyn_cast<InputsType>(inputs.front().getType());
  if (!type || fieldTypes != TypeRange(type.getFieldTypes()))
    return {};
  SmallVector<Value> fields;
  for (Field field : type.getFields())
    fields.push_back(GetOp::create(builder, loc, inputs.front(), field));
  return fields;
}

struct ExpandInputsPass
    : public kvcache::impl::ExpandInputsBase<ExpandInputsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // One walk finds the bundles hidden in other types, the functions that
    // carry bundles and the declarations outside any function.
    llvm::SetVector<Operation *> carriers;
    bool stray = false;
    auto record = [&](Operation *op) {
      auto func = dyn_cast<func::FuncOp>(op);
      if (!func)
        func = op->getParentOfType<func::FuncOp>();
      if (func) {
        carriers.insert(func);
      } else if (isa<InputsPerDeviceOp>(op) && !stray) {
        // Declarations outside any function have no arguments to become.
        op->emitOpError("must be nested in a func.func: declarations become "
                        "arguments of the enclosing function");
        stray = true;
      }
    };
    if (failed(checkBundleUsers(module, "kvcache-expand-inputs", record)) ||
        stray)
      return signalPassFailure();

    for (Operation *op : carriers)
      if (failed(expandDeclarations(cast<func::FuncOp>(op), module)))
        return signalPassFailure();

    // The conversion driver does not visit operations in unreachable blocks,
    // so a bundle used there would be left behind a cast. The blocks are dead:
    // erase them in the functions that carry bundles.
    IRRewriter rewriter(&getContext());
    for (Operation *op : carriers)
      (void)eraseUnreachableBlocks(rewriter, op->getRegions());

    // Attributes of the flat signatures, computed while bundles still exist.
    llvm::DenseMap<Operation *,
                   std::pair<SmallVector<Attribute>, SmallVector<Attribute>>>
        flatAttrs;
    FieldAttrsCache fieldAttrsCache;
    for (auto func : module.getOps<func::FuncOp>()) {
      annotateDevices(func);
      if (touchesBundles(func))
        flatAttrs[func] = {flattenArgAttrs(func, fieldAttrsCache),
                           flattenResultAttrs(func)};
    }

    TypeConverter converter;
    converter.addConversion([](Type type) { return type; });
    converter.addConversion(
        [](InputsType type, SmallVectorImpl<Type> &results) {
          llvm::append_range(results, type.getFieldTypes());
          return success();
        });
    // The bundle that an op the pass does not know takes, rebuilt from the
    // flat values; the fields of a bundle that such an op defines.
    converter.addSourceMaterialization(packFields);
    converter.addTargetMaterialization(getFields);

    ConversionTarget target(getContext());
    target.markUnknownOpDynamicallyLegal(isLegal);
    target.addIllegalOp<PackOp, GetOp>();

    RewritePatternSet patterns(&getContext());
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    scf::populateSCFStructuralTypeConversions(converter, patterns);
    cf::populateCFStructuralTypeConversions(converter, patterns);
    patterns.add<FuncSignatureConversion, PackOpConversion, GetOpConversion,
                 ExecuteRegionConversion>(converter, &getContext());
    // Preferred over upstream's 1:1 cf.switch pattern.
    patterns.add<SwitchOpConversion>(converter, &getContext(),
                                     /*benefit=*/2);

    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    // A bundle defined by an unknown op is read through one kvcache.get per
    // field, of which the rewritten ops may use only some.
    for (Operation *op : carriers)
      op->walk([](GetOp get) {
        if (get->use_empty())
          get->erase();
      });

    for (auto &[op, attrs] : flatAttrs) {
      auto func = cast<func::FuncOp>(op);
      func.setAllArgAttrs(attrs.first);
      func.setAllResultAttrs(attrs.second);
    }
  }
};

} // namespace
