//===- DropOptionalFields.cpp - Prune unread optional fields --------------===//
//
// kvcache-drop-optional-fields. Bundle values that must share one type
// (linked by branches, region arguments, yields and the returns of one
// function) form a class; a class keeps the fields that it reads, that its
// pinned members need, and that the classes it feeds across a call need.
// Calls convert between classes with kvcache.get + kvcache.pack, which is how
// a kept public signature passes its bundle to a pruned private callee.
//
//===----------------------------------------------------------------------===//

#include "BundleFlow.h"
#include "kvcache/Dialect/KVCache/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"

namespace kvcache {
#define GEN_PASS_DEF_DROPOPTIONALFIELDS
#include "kvcache/Dialect/KVCache/Transforms/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;
using abi::Field;
using abi::FieldSet;

namespace {

/// Union-find over bundle values, with what each class needs.
class BundleClasses {
public:
  /// Iterative, with path compression: a chain of many branches must not
  /// recurse once per block.
  Value find(Value value) {
    auto [it, inserted] = parent.try_emplace(value, value);
    if (inserted)
      return value;
    Value root = it->second;
    for (Value next = parent.lookup(root); next != root;
         next = parent.lookup(root))
      root = next;
    for (Value link = value; link != root;)
      link = std::exchange(parent[link], root);
    return root;
  }
  void unite(Value a, Value b) {
    Value ra = find(a), rb = find(b);
    if (ra != rb)
      parent[ra] = rb;
  }
  void uniteAll(ValueRange a, ValueRange b) {
    for (auto [x, y] : llvm::zip(a, b))
      if (isBundle(x.getType()))
        unite(x, y);
  }
  SmallVector<Value> values() const {
    return llvm::to_vector(llvm::make_first_range(parent));
  }

private:
  llvm::DenseMap<Value, Value> parent;
};

/// need(from) must include need(to): `from` flows into `to` across a call.
struct NeedEdge {
  Value from, to;
};

struct DropOptionalFieldsPass
    : public kvcache::impl::DropOptionalFieldsBase<DropOptionalFieldsPass> {
  using Base::Base;

  void runOnOperation() override;

private:
  LogicalResult parseForcedDrops();
  bool isPinnedFunction(func::FuncOp func, const SymbolUsers *users);

  FieldSet forced; ///< Dropped everywhere (`fields=`, `kernel-abi`).
};

LogicalResult DropOptionalFieldsPass::parseForcedDrops() {
  for (const std::string &name : fields) {
    std::optional<Field> field = abi::fieldFromName(name);
    if (!field)
      return emitError(UnknownLoc::get(&getContext()))
             << "kvcache-drop-optional-fields: unknown field '" << name << "'";
    if (abi::isRequired(*field) || *field == Field::kv_scales)
      return emitError(UnknownLoc::get(&getContext()))
             << "kvcache-drop-optional-fields: field '" << name
             << "' cannot be dropped: it is "
             << (*field == Field::kv_scales
                     ? "required on an 8-bit float cache and absent otherwise"
                     : "required");
    forced = forced.with(*field);
  }
  if (kernelABI)
    for (const abi::FieldInfo &info : abi::kFields)
      if (abi::isDispatchField(info.field))
        forced = forced.with(info.field);
  return success();
}

/// A function whose bundle signature must stay as it is: public ones (unless
/// `public-functions`), bodiless ones, and any referenced other than by calls.
/// `users` is null when the module's symbol uses cannot all be seen (an
/// unknown op that may be a symbol table), which pins every function.
bool DropOptionalFieldsPass::isPinnedFunction(func::FuncOp func,
                                              const SymbolUsers *users) {
  if (func.isExternal())
    return true;
  if (func.isPublic() && !publicFunctions)
    return true;
  if (!users)
    return true;
  return llvm::any_of(users->lookup(func.getSymNameAttr()),
                      [](Operation *user) { return !isa<func::CallOp>(user); });
}

/// Builds a bundle of type `to` from `value` (a superset) with get + pack.
PackOp convertBundle(OpBuilder &builder, Location loc, Value value,
                     InputsType to) {
  SmallVector<Value> fields;
  for (Field field : to.getFields())
    fields.push_back(GetOp::create(builder, loc, value, field));
  return PackOp::create(builder, loc, to, fields);
}

InputsType restrict(InputsType type, FieldSet keep) {
  SmallVector<Field> fields;
  SmallVector<Type> types;
  for (auto [field, fieldType] :
       llvm::zip_equal(type.getFields(), type.getFieldTypes())) {
    if (!keep.contains(field))
      continue;
    fields.push_back(field);
    types.push_back(fieldType);
  }
  return InputsType::get(type.getContext(), fields, types);
}

void DropOptionalFieldsPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (failed(parseForcedDrops()))
    return signalPassFailure();

  BundleClasses classes;
  SmallVector<NeedEdge> edges;
  // Values whose class keeps every field except forced drops, and the op
  // that pins them (null for signatures, where forced drops still apply).
  SmallVector<std::pair<Value, Operation *>> pinned;
  SmallVector<GetOp> reads;
  // Fields read only when present (a compute op's optional inputs).
  SmallVector<std::pair<Value, Field>> optionalReads;
  auto addBundles = [&](ValueRange values, Operation *pin, bool isPinned) {
    for (Value value : values)
      if (isBundle(value.getType())) {
        classes.find(value);
        if (isPinned)
          pinned.push_back({value, pin});
      }
  };

  // One map of every symbol's users, built once: asking each function for
  // its uses walks the whole module per function.
  std::optional<SymbolUsers> users = collectSymbolUsers(module);
  llvm::DenseMap<StringAttr, func::FuncOp> functions;
  llvm::DenseMap<Operation *, bool> pinnedFunction;
  for (auto func : module.getOps<func::FuncOp>()) {
    functions[func.getSymNameAttr()] = func;
    pinnedFunction[func] = isPinnedFunction(func, users ? &*users : nullptr);
  }
  // The returned values of a function, per result position, form one class.
  llvm::DenseMap<Operation *, SmallVector<Value>> functionResults;

  WalkResult walk = module.walk([&](Operation *op) -> WalkResult {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        addBundles(block.getArguments(), nullptr, false);
    addBundles(op->getResults(), nullptr, false);
    if (!touchesBundles(op))
      return WalkResult::advance();

    if (auto func = dyn_cast<func::FuncOp>(op)) {
      if (!func.isExternal())
        addBundles(func.getArguments(), nullptr, pinnedFunction[func]);
      return WalkResult::advance();
    }
    if (auto get = dyn_cast<GetOp>(op)) {
      reads.push_back(get);
      return WalkResult::advance();
    }
    if (isa<PackOp>(op))
      return WalkResult::advance();
    if (auto decl = dyn_cast<InputsPerDeviceOp>(op)) {
      // A declaration is part of its function's flat signature.
      auto func = decl->getParentOfType<func::FuncOp>();
      addBundles(decl.getResult(), nullptr, !func || pinnedFunction[func]);
      return WalkResult::advance();
    }
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      auto func = ret->getParentOfType<func::FuncOp>();
      SmallVector<Value> &results = functionResults[func];
      if (results.empty())
        results.assign(ret.getOperands().begin(), ret.getOperands().end());
      else
        classes.uniteAll(results, ret.getOperands());
      addBundles(ret.getOperands(), nullptr, pinnedFunction[func]);
      return WalkResult::advance();
    }
    if (auto call = dyn_cast<func::CallOp>(op)) {
      func::FuncOp callee = functions.lookup(call.getCalleeAttr().getAttr());
      if (!callee || callee.isExternal()) {
        // A bodiless callee keeps its signature, less the forced drops.
        addBundles(call.getOperands(), nullptr, true);
        addBundles(call.getResults(), nullptr, true);
        return WalkResult::advance();
      }
      for (auto [operand, arg] :
           llvm::zip_equal(call.getOperands(), callee.getArguments()))
        if (isBundle(operand.getType()))
          edges.push_back({operand, arg});
      return WalkResult::advance();
    }
    if (auto branch = dyn_cast<BranchOpInterface>(op)) {
      for (unsigned i = 0, e = op->getNumSuccessors(); i < e; ++i) {
        SuccessorOperands operands = branch.getSuccessorOperands(i);
        Block *dest = op->getSuccessor(i);
        classes.uniteAll(operands.getForwardedOperands(),
                         dest->getArguments().drop_front(
                             operands.getProducedOperandCount()));
      }
      if (isBundleCarrier(op))
        return WalkResult::advance();
    }
    if (auto forOp = dyn_cast<scf::ForOp>(op)) {
      classes.uniteAll(forOp.getInitArgs(), forOp.getRegionIterArgs());
      classes.uniteAll(forOp.getInitArgs(), forOp.getResults());
      classes.uniteAll(forOp.getInitArgs(), forOp.getYieldedValues());
      return WalkResult::advance();
    }
    if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
      classes.uniteAll(ifOp.getResults(), ifOp.thenYield().getOperands());
      if (!ifOp.getElseRegion().empty())
        classes.uniteAll(ifOp.getResults(), ifOp.elseYield().getOperands());
      return WalkResult::advance();
    }
    if (auto whileOp = dyn_cast<scf::WhileOp>(op)) {
      classes.uniteAll(whileOp.getInits(), whileOp.getBeforeArguments());
      classes.uniteAll(whileOp.getInits(), whileOp.getYieldedValues());
      classes.uniteAll(whileOp.getConditionOp().getArgs(),
                       whileOp.getAfterArguments());
      classes.uniteAll(whileOp.getConditionOp().getArgs(),
                       whileOp.getResults());
      return WalkResult::advance();
    }
    if (auto exec = dyn_cast<scf::ExecuteRegionOp>(op)) {
      for (Block &block : exec.getRegion())
        if (auto yield = dyn_cast<scf::YieldOp>(block.getTerminator()))
          classes.uniteAll(exec.getResults(), yield.getOperands());
      return WalkResult::advance();
    }
    if (isBundleCarrier(op))
      return WalkResult::advance(); // Yields and conditions: handled above.
    // Compute ops read the required fields (and kv_scales), which are always
    // kept; attention also reads the first split-count field that the bundle
    // holds and that is not being dropped (a forced drop leaves the choice to
    // the next one, or to the lowering's own split rule). A draft attention
    // needs its draft fields, so they cannot be dropped under it.
    if (isa<StoreOp>(op))
      return WalkResult::advance();
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      for (Field field : attention.getSplitCountFields())
        if (attention.getDraft() && forced.contains(field)) {
          attention.emitOpError("with 'draft' reads field '")
              << abi::name(field) << "', which was asked to be dropped";
          return WalkResult::interrupt();
        }
      if (std::optional<Field> field = attention.getSplitCountField(
              [&](Field field) { return !forced.contains(field); }))
        optionalReads.push_back({attention.getBundle(), *field});
      return WalkResult::advance();
    }
    // An op that does not say which fields it reads keeps them all, and so
    // do the values its regions receive from it and yield back to it, since
    // the pass cannot tell which of its results they must match.
    addBundles(op->getOperands(), op, true);
    addBundles(op->getResults(), op, true);
    for (Region &region : op->getRegions())
      for (Block &block : region) {
        addBundles(block.getArguments(), op, true);
        if (!block.empty() && block.back().hasTrait<OpTrait::IsTerminator>())
          addBundles(block.back().getOperands(), op, true);
      }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return signalPassFailure();

  // Call results: the callee's returned class must cover the caller's use.
  module.walk([&](func::CallOp call) {
    func::FuncOp callee = functions.lookup(call.getCalleeAttr().getAttr());
    if (!callee || callee.isExternal())
      return;
    auto it = functionResults.find(callee);
    if (it == functionResults.end())
      return;
    for (auto [returned, result] :
         llvm::zip_equal(it->second, call.getResults()))
      if (isBundle(result.getType()))
        edges.push_back({returned, result});
  });

  // What each class needs.
  llvm::DenseMap<Value, FieldSet> need;
  llvm::DenseMap<Value, FieldSet> present;
  for (Value value : classes.values()) {
    Value root = classes.find(value);
    auto type = cast<InputsType>(value.getType());
    FieldSet base;
    for (Field field : type.getFields())
      if (abi::isRequired(field) || field == Field::kv_scales)
        base = base.with(field);
    present[root] = type.getFieldSet();
    need[root] = FieldSet(need[root].raw() | base.raw());
  }
  for (auto [value, pin] : pinned) {
    Value root = classes.find(value);
    auto type = cast<InputsType>(value.getType());
    for (Field field : type.getFields()) {
      if (forced.contains(field)) {
        if (pin) {
          pin->emitOpError()
              << "uses a bundle whose field '" << abi::name(field)
              << "' is to be dropped, and does not say which "
                 "fields it reads";
          return signalPassFailure();
        }
        continue;
      }
      need[root] = need[root].with(field);
    }
  }
  for (GetOp get : reads) {
    Field field = get.getFieldKind();
    if (forced.contains(field)) {
      get.emitOpError() << "reads field '" << abi::name(field)
                        << "', which was asked to be dropped";
      return signalPassFailure();
    }
    Value root = classes.find(get.getBundle());
    need[root] = need[root].with(field);
  }
  for (auto [bundle, field] : optionalReads) {
    Value root = classes.find(bundle);
    need[root] = need[root].with(field);
  }
  // Propagate across calls with a worklist over the classes: a class is
  // revisited only when its need grows, and needs are subsets of the nine ABI
  // fields, so each edge is visited at most ten times. A kept
  // draft_mla_num_partitions keeps the draft metadata it depends on.
  llvm::DenseMap<Value, SmallVector<Value, 1>> feeders; // to -> froms
  for (const NeedEdge &edge : edges) {
    Value from = classes.find(edge.from), to = classes.find(edge.to);
    if (from != to)
      feeders[to].push_back(from);
  }
  auto keepDraftMetadata = [&](Value root) -> LogicalResult {
    FieldSet &fields = need[root];
    if (!fields.contains(Field::draft_mla_num_partitions) ||
        fields.contains(Field::draft_attention_dispatch_metadata))
      return success();
    if (forced.contains(Field::draft_attention_dispatch_metadata))
      return emitError(root.getLoc())
             << "'draft_mla_num_partitions' is kept, so "
                "'draft_attention_dispatch_metadata' cannot be dropped";
    fields = fields.with(Field::draft_attention_dispatch_metadata);
    return success();
  };
  SmallVector<Value> worklist;
  for (auto &[root, fields] : need)
    worklist.push_back(root);
  for (Value root : worklist)
    if (failed(keepDraftMetadata(root)))
      return signalPassFailure();
  while (!worklist.empty()) {
    Value to = worklist.pop_back_val();
    auto it = feeders.find(to);
    if (it == feeders.end())
      continue;
    FieldSet toNeed = need[to];
    for (Value from : it->second) {
      FieldSet merged(need[from].raw() | (toNeed.raw() & present[from].raw()));
      if (merged == need[from])
        continue;
      need[from] = merged;
      if (failed(keepDraftMetadata(from)))
        return signalPassFailure();
      worklist.push_back(from);
    }
  }

  // Retype every value, then fix the places where classes meet.
  llvm::DenseMap<Operation *, InputsType> packTypes;
  module.walk([&](PackOp pack) { packTypes[pack] = pack.getType(); });
  for (Value value : classes.values()) {
    auto type = cast<InputsType>(value.getType());
    InputsType pruned = restrict(type, need[classes.find(value)]);
    if (pruned != type)
      value.setType(pruned);
  }
  for (auto &[op, original] : packTypes) {
    auto pack = cast<PackOp>(op);
    FieldSet kept = pack.getType().getFieldSet();
    SmallVector<Value> operands;
    for (auto [field, value] :
         llvm::zip_equal(original.getFields(), pack.getValues()))
      if (kept.contains(field))
        operands.push_back(value);
    pack->setOperands(operands);
  }
  auto withoutForced = [&](Type type) -> Type {
    auto bundle = dyn_cast<InputsType>(type);
    if (!bundle)
      return type;
    return restrict(bundle,
                    FieldSet(bundle.getFieldSet().raw() & ~forced.raw()));
  };
  for (auto func : module.getOps<func::FuncOp>()) {
    SmallVector<Type> inputs, results;
    if (func.isExternal()) {
      llvm::transform(func.getArgumentTypes(), std::back_inserter(inputs),
                      withoutForced);
      llvm::transform(func.getResultTypes(), std::back_inserter(results),
                      withoutForced);
    } else {
      llvm::append_range(inputs, func.front().getArgumentTypes());
      auto it = functionResults.find(func);
      if (it != functionResults.end())
        llvm::append_range(results, ValueRange(it->second).getTypes());
      else
        llvm::append_range(results, func.getResultTypes());
    }
    auto type = FunctionType::get(&getContext(), inputs, results);
    if (type != func.getFunctionType())
      func.setFunctionType(type);
  }
  module.walk([&](func::CallOp call) {
    func::FuncOp callee = functions.lookup(call.getCalleeAttr().getAttr());
    if (!callee)
      return;
    OpBuilder builder(call);
    for (auto [index, argType] : llvm::enumerate(callee.getArgumentTypes())) {
      Value operand = call.getOperand(index);
      if (operand.getType() != argType)
        call->setOperand(index, convertBundle(builder, call.getLoc(), operand,
                                              cast<InputsType>(argType))
                                    .getResult());
    }
    builder.setInsertionPointAfter(call);
    for (auto [result, resultType] :
         llvm::zip_equal(call.getResults(), callee.getResultTypes())) {
      if (result.getType() == resultType)
        continue;
      auto use = cast<InputsType>(result.getType());
      result.setType(resultType);
      PackOp converted = convertBundle(builder, call.getLoc(), result, use);
      // The gets that build `converted` keep reading `result`.
      SmallPtrSet<Operation *, 8> conversion;
      for (Value field : converted.getValues())
        conversion.insert(field.getDefiningOp());
      result.replaceAllUsesExcept(converted, conversion);
    }
  });
}

} // namespace
