//===- BundleFlow.cpp - How bundles move through IR -----------------------===//

#include "BundleFlow.h"

#include "mlir/IR/SymbolTable.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

/// Whether `pred` holds for a type `op` uses: operand, result, function
/// signature or block argument of one of its regions. Allocation-free: the
/// conversion driver asks this of every operation.
template <typename Pred> static bool anyTypeOf(Operation *op, Pred pred) {
  if (llvm::any_of(op->getOperandTypes(), pred) ||
      llvm::any_of(op->getResultTypes(), pred))
    return true;
  if (auto func = dyn_cast<func::FuncOp>(op))
    if (llvm::any_of(func.getArgumentTypes(), pred) ||
        llvm::any_of(func.getResultTypes(), pred))
      return true;
  for (Region &region : op->getRegions())
    for (Block &block : region)
      if (llvm::any_of(block.getArgumentTypes(), pred))
        return true;
  return false;
}

bool kvcache::touchesBundles(Operation *op) {
  return anyTypeOf(op, kvcache::isBundle);
}

bool kvcache::isBundleCarrier(Operation *op) {
  return isa<func::FuncOp, func::CallOp, func::ReturnOp, cf::BranchOp,
             cf::CondBranchOp, cf::SwitchOp, scf::ForOp, scf::IfOp,
             scf::WhileOp, scf::ConditionOp, scf::YieldOp,
             scf::ExecuteRegionOp>(op);
}

LogicalResult
kvcache::checkBundleUsers(ModuleOp module, StringRef pass,
                          function_ref<void(Operation *)> onBundleUser) {
  // Whether a type holds a bundle inside it (a function type, a tuple), which
  // no pass can rewrite. Types repeat, so each is walked once.
  llvm::DenseMap<Type, bool> hides;
  auto hidesBundle = [&](Type type) {
    if (kvcache::isBundle(type))
      return false;
    auto [it, inserted] = hides.try_emplace(type, false);
    if (inserted)
      it->second =
          type.walk([](kvcache::InputsType) { return WalkResult::interrupt(); })
              .wasInterrupted();
    return it->second;
  };
  WalkResult result = module.walk([&](Operation *op) {
    Type hidden;
    if (anyTypeOf(op, [&](Type type) {
          if (!hidesBundle(type))
            return false;
          hidden = type;
          return true;
        })) {
      op->emitOpError() << "uses type " << hidden
                        << ", which holds a !kvcache.inputs value that " << pass
                        << " cannot rewrite";
      return WalkResult::interrupt();
    }
    if (onBundleUser && touchesBundles(op))
      onBundleUser(op);
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

std::optional<kvcache::SymbolUsers>
kvcache::collectSymbolUsers(mlir::ModuleOp module) {
  std::optional<mlir::SymbolTable::UseRange> uses =
      mlir::SymbolTable::getSymbolUses(&module.getBodyRegion());
  if (!uses)
    return std::nullopt;
  SymbolUsers users;
  for (const mlir::SymbolTable::SymbolUse &use : *uses)
    users[use.getSymbolRef().getRootReference()].push_back(use.getUser());
  return users;
}
