//===- PackInputs.cpp - Regroup flat fields into bundles ------------------===//
//
// kvcache-pack-inputs: the inverse of kvcache-expand-inputs on function
// arguments. A run of arguments annotated with kvcache.field, starting at
// kv_blocks, becomes one !kvcache.inputs argument.
//
//===----------------------------------------------------------------------===//

#include "BundleFlow.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace kvcache {
#define GEN_PASS_DEF_PACKINPUTS
#include "kvcache/Dialect/KVCache/Transforms/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;
using abi::Field;

namespace {

/// One run of flat arguments that becomes one bundle argument.
struct Run {
  unsigned first = 0; ///< Index of the kv_blocks argument.
  int64_t device = 0;
  StringRef cache;
  SmallVector<Field> fields;
  SmallVector<Type> types;
  /// Attributes of each field other than kvcache.field/device/cache.
  SmallVector<NamedAttribute> fieldAttrs;
  InputsType type;
};

LogicalResult collectRuns(func::FuncOp func, SmallVectorImpl<Run> &runs) {
  std::optional<Run> open;
  auto argError = [&](unsigned index) -> InFlightDiagnostic {
    return func.emitOpError() << "argument #" << index << ": ";
  };
  auto close = [&]() -> LogicalResult {
    if (!open)
      return success();
    for (const abi::FieldInfo &info : abi::kFields)
      if (abi::isRequired(info.field) &&
          !llvm::is_contained(open->fields, info.field))
        return argError(open->first)
               << "the run of cache fields that starts here misses the "
                  "required field '"
               << info.name << "'";
    open->type = InputsType::getChecked(
        [&]() -> InFlightDiagnostic {
          return argError(open->first)
                 << "the run of cache fields that starts here is not a valid "
                    "bundle: ";
        },
        func.getContext(), ArrayRef<Field>(open->fields),
        ArrayRef<Type>(open->types));
    if (!open->type)
      return failure();
    runs.push_back(std::move(*open));
    open.reset();
    return success();
  };

  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    DictionaryAttr attrs = func.getArgAttrDict(i);
    Attribute fieldName = attrs ? attrs.get(argattrs::field) : Attribute();
    if (!fieldName) {
      if (failed(close()))
        return failure();
      continue;
    }
    auto nameAttr = dyn_cast<StringAttr>(fieldName);
    std::optional<Field> field =
        nameAttr ? abi::fieldFromName(nameAttr.getValue()) : std::nullopt;
    if (!field)
      return argError(i) << "kvcache.field must name an ABI field, got "
                         << fieldName;
    int64_t device = 0;
    if (Attribute value = attrs.get(argattrs::device)) {
      auto intAttr = dyn_cast<IntegerAttr>(value);
      if (!intAttr || intAttr.getInt() < 0)
        return argError(i) << "kvcache.device must be a non-negative integer, "
                              "got "
                           << value;
      device = intAttr.getInt();
    }
    StringRef cache;
    if (Attribute value = attrs.get(argattrs::cache)) {
      auto strAttr = dyn_cast<StringAttr>(value);
      if (!strAttr)
        return argError(i) << "kvcache.cache must be a string, got " << value;
      cache = strAttr.getValue();
    }

    if (*field == Field::kv_blocks) {
      if (failed(close()))
        return failure();
      open.emplace();
      open->first = i;
      open->device = device;
      open->cache = cache;
    } else if (!open) {
      return argError(i) << "field '" << abi::name(*field)
                         << "' is not part of a run of cache fields: a run "
                            "starts at 'kv_blocks'";
    } else if (abi::position(*field) <= abi::position(open->fields.back())) {
      return argError(i) << "field '" << abi::name(*field)
                         << "' goes backwards in ABI order: it follows '"
                         << abi::name(open->fields.back()) << "'";
    } else if (device != open->device || cache != open->cache) {
      return argError(i) << "field '" << abi::name(*field) << "' is for "
                         << "device " << device << " cache '" << cache
                         << "', but its run (from argument #" << open->first
                         << ") is for device " << open->device << " cache '"
                         << open->cache << "'";
    }
    open->fields.push_back(*field);
    open->types.push_back(func.getArgumentTypes()[i]);
    NamedAttrList rest(attrs);
    rest.erase(argattrs::field);
    rest.erase(argattrs::device);
    rest.erase(argattrs::cache);
    if (!rest.empty())
      open->fieldAttrs.push_back(NamedAttribute(
          abi::name(*field), rest.getDictionary(func.getContext())));
  }
  return close();
}

/// Rewrites `func`'s signature and body in one step: the new function type,
/// argument attributes and entry block are each built once, whatever the
/// number of runs (inserting one bundle at a time re-uniques a function type
/// and an attribute array as long as the signature per run).
void packFunction(func::FuncOp func, ArrayRef<Run> runs) {
  MLIRContext *ctx = func.getContext();
  Builder b(ctx);
  SmallVector<Type> inputs;
  SmallVector<DictionaryAttr> argAttrs;
  // Per new argument, the old one it keeps, or the run whose bundle it is.
  SmallVector<unsigned> keptArgs;
  SmallVector<const Run *> bundleRuns;
  unsigned numArgs = func.getNumArguments();
  const Run *run = runs.begin();
  for (unsigned i = 0; i < numArgs;) {
    if (run != runs.end() && run->first == i) {
      NamedAttrList attrs;
      attrs.set(argattrs::device, b.getI64IntegerAttr(run->device));
      if (!run->cache.empty())
        attrs.set(argattrs::cache, b.getStringAttr(run->cache));
      if (!run->fieldAttrs.empty())
        attrs.set(argattrs::fieldAttrs, b.getDictionaryAttr(run->fieldAttrs));
      inputs.push_back(run->type);
      argAttrs.push_back(attrs.getDictionary(ctx));
      keptArgs.push_back(i);
      bundleRuns.push_back(run);
      i += run->fields.size();
      ++run;
      continue;
    }
    inputs.push_back(func.getArgumentTypes()[i]);
    DictionaryAttr attrs = func.getArgAttrDict(i);
    argAttrs.push_back(attrs ? attrs : b.getDictionaryAttr({}));
    keptArgs.push_back(i);
    bundleRuns.push_back(nullptr);
    ++i;
  }

  if (!func.isExternal()) {
    // A new entry block with the new arguments; the flat fields' uses read
    // the bundle with kvcache.get, in argument order, ahead of the body.
    Block &oldEntry = func.front();
    auto *entry = new Block();
    func.getBody().push_front(entry);
    OpBuilder builder = OpBuilder::atBlockBegin(entry);
    for (auto [index, type] : llvm::enumerate(inputs)) {
      BlockArgument old = oldEntry.getArgument(keptArgs[index]);
      BlockArgument arg = entry->addArgument(type, old.getLoc());
      const Run *bundleRun = bundleRuns[index];
      if (!bundleRun) {
        old.replaceAllUsesWith(arg);
        continue;
      }
      for (auto [offset, field] : llvm::enumerate(bundleRun->fields)) {
        BlockArgument flat = oldEntry.getArgument(bundleRun->first + offset);
        if (flat.use_empty())
          continue;
        auto get = GetOp::create(builder, flat.getLoc(), arg, field);
        flat.replaceAllUsesWith(get.getResult());
      }
    }
    entry->getOperations().splice(entry->end(), oldEntry.getOperations());
    oldEntry.erase();
  }
  func.setFunctionType(FunctionType::get(ctx, inputs, func.getResultTypes()));
  func.setAllArgAttrs(argAttrs);
}

/// Packs the flat operands of a call to a rewritten function.
void packCall(func::CallOp call, ArrayRef<Run> runs) {
  OpBuilder builder(call);
  SmallVector<Value> operands;
  unsigned next = 0;
  for (const Run &run : runs) {
    llvm::append_range(operands,
                       call.getOperands().slice(next, run.first - next));
    auto pack =
        PackOp::create(builder, call.getLoc(), run.type,
                       call.getOperands().slice(run.first, run.fields.size()));
    operands.push_back(pack);
    next = run.first + run.fields.size();
  }
  llvm::append_range(operands, call.getOperands().drop_front(next));
  call->setOperands(operands);
}

struct PackInputsPass : public kvcache::impl::PackInputsBase<PackInputsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::DenseMap<StringAttr, SmallVector<Run>> packed;
    // Every symbol's users, found once for the whole module. Without them
    // (an unknown op that may be a symbol table) no reference is checked.
    std::optional<SymbolUsers> users = collectSymbolUsers(module);
    for (auto func : module.getOps<func::FuncOp>()) {
      SmallVector<Run> runs;
      if (failed(collectRuns(func, runs)))
        return signalPassFailure();
      if (runs.empty())
        continue;
      // Calls are rewritten to pack their operands; any other reference would
      // be left with the flat signature.
      if (users)
        for (Operation *user : users->lookup(func.getSymNameAttr())) {
          if (isa<func::CallOp>(user))
            continue;
          user->emitOpError()
              << "references @" << func.getSymName()
              << ", whose flat cache arguments kvcache-pack-inputs regroups; "
                 "only func.call can follow that change";
          return signalPassFailure();
        }
      packFunction(func, runs);
      packed[func.getSymNameAttr()] = std::move(runs);
    }
    if (packed.empty())
      return;
    module.walk([&](func::CallOp call) {
      auto it = packed.find(call.getCalleeAttr().getAttr());
      if (it != packed.end())
        packCall(call, it->second);
    });
  }
};

} // namespace
