//===- Operands.cpp - Which compute-op operand each argument feeds --------===//
//
// The manifest says, for each non-cache argument of an entry function, which
// operand of kvcache.store / kvcache.attention it feeds (row offsets, query,
// key, value, out, layer), so that a runtime keys its checks on that and not
// on names or ranks. Found before the ops are lowered, through calls to the
// module's functions, and left on the arguments as `kvcache.operand`, which
// kvcache-expand-inputs keeps and readManifest reads.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

#include "llvm/ADT/DenseSet.h"

#include <set>

using namespace mlir;
using namespace kvcache;
using namespace kvcache::compile;
using bundle::ArgumentOperand;

namespace {

/// The operand `use` is of a compute op, if it is one of the named ones.
std::optional<ArgumentOperand> computeOperand(OpOperand &use) {
  unsigned n = use.getOperandNumber();
  if (auto store = dyn_cast<StoreOp>(use.getOwner())) {
    if (n == store.getKeyMutable().getOperandNumber())
      return ArgumentOperand::Key;
    for (OpOperand &value : store.getValueMutable()) // absent on MLA
      if (n == value.getOperandNumber())
        return ArgumentOperand::Value;
    if (n == store.getInputRowOffsetsMutable().getOperandNumber())
      return ArgumentOperand::RowOffsets;
    if (n == store.getLayerMutable().getOperandNumber())
      return ArgumentOperand::Layer;
  }
  if (auto attention = dyn_cast<AttentionOp>(use.getOwner())) {
    if (n == attention.getQMutable().getOperandNumber())
      return ArgumentOperand::Query;
    if (n == attention.getOutMutable().getOperandNumber())
      return ArgumentOperand::Out;
    if (n == attention.getInputRowOffsetsMutable().getOperandNumber())
      return ArgumentOperand::RowOffsets;
    if (n == attention.getLayerMutable().getOperandNumber())
      return ArgumentOperand::Layer;
  }
  return std::nullopt;
}

/// The operands `value` feeds, directly or as an argument of the functions
/// it is passed to.
class OperandFinder {
public:
  explicit OperandFinder(ModuleOp module) : symbols(module) {}

  void collect(Value value, std::set<ArgumentOperand> &found) {
    if (!visited.insert(value).second)
      return;
    for (OpOperand &use : value.getUses()) {
      if (std::optional<ArgumentOperand> operand = computeOperand(use)) {
        found.insert(*operand);
        continue;
      }
      auto call = dyn_cast<func::CallOp>(use.getOwner());
      if (!call)
        continue;
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (callee && !callee.isExternal())
        collect(callee.getArgument(use.getOperandNumber()), found);
    }
  }

private:
  SymbolTable symbols;
  llvm::DenseSet<Value> visited;
};

} // namespace

LogicalResult kvcache::compile::annotateOperands(ModuleOp module) {
  OperandFinder finder(module);
  bool ok = true;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    for (BlockArgument argument : func.getArguments()) {
      if (isa<InputsType>(argument.getType()))
        continue;
      std::set<ArgumentOperand> found;
      finder.collect(argument, found);
      auto given = func.getArgAttrOfType<StringAttr>(argument.getArgNumber(),
                                                     argattrs::operand);
      if (given) {
        std::optional<ArgumentOperand> parsed =
            bundle::operandFromName(given.getValue());
        if (!parsed) {
          emitError(argument.getLoc())
              << "argument " << argument.getArgNumber() << " of function '@"
              << func.getSymName() << "' has " << argattrs::operand << " = "
              << given << "; expected \"row_offsets\", \"query\", \"key\", "
              << "\"value\", \"out\" or \"layer\"";
          ok = false;
          continue;
        }
        found.insert(*parsed);
      }
      if (found.size() > 1) {
        InFlightDiagnostic diag = emitError(argument.getLoc())
                                  << "argument " << argument.getArgNumber()
                                  << " of function '@" << func.getSymName()
                                  << "' feeds both ";
        llvm::interleave(
            found, diag,
            [&](ArgumentOperand operand) {
              diag << "'" << bundle::toString(operand) << "'";
            },
            " and ");
        diag << "; an argument may feed one kind of compute-op operand";
        ok = false;
        continue;
      }
      if (found.size() == 1 && !given) {
        std::string_view name = bundle::toString(*found.begin());
        func.setArgAttr(argument.getArgNumber(), argattrs::operand,
                        StringAttr::get(module.getContext(),
                                        StringRef(name.data(), name.size())));
      }
    }
  }
  return success(ok);
}
