//===- BundleFlow.cpp - How bundles move through IR -----------------------===//

#include "BundleFlow.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

/// The types `op` uses or defines: operands, results, the arguments of the
/// blocks of its regions and, for a function, its signature.
static SmallVector<Type> typesOf(Operation *op) {
  SmallVector<Type> types(op->getOperandTypes());
  llvm::append_range(types, op->getResultTypes());
  if (auto func = dyn_cast<func::FuncOp>(op)) {
    llvm::append_range(types, func.getArgumentTypes());
    llvm::append_range(types, func.getResultTypes());
  }
  for (Region &region : op->getRegions())
    for (Block &block : region)
      llvm::append_range(types, block.getArgumentTypes());
  return types;
}

/// A type that holds a bundle inside it (a function type, a tuple): no pass
/// rewrites those.
static bool hidesBundle(Type type) {
  if (kvcache::isBundle(type))
    return false;
  return type.walk([](kvcache::InputsType) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

bool kvcache::touchesBundles(Operation *op) {
  return llvm::any_of(typesOf(op), kvcache::isBundle);
}

bool kvcache::isBundleCarrier(Operation *op) {
  return isa<func::FuncOp, func::CallOp, func::ReturnOp, cf::BranchOp,
             cf::CondBranchOp, cf::SwitchOp, scf::ForOp, scf::IfOp,
             scf::WhileOp, scf::ConditionOp, scf::YieldOp,
             scf::ExecuteRegionOp>(op);
}

LogicalResult
kvcache::checkBundleUsers(ModuleOp module, StringRef pass,
                          function_ref<bool(Operation *)> isKnown) {
  WalkResult result = module.walk([&](Operation *op) {
    SmallVector<Type> types = typesOf(op);
    auto hidden = llvm::find_if(types, hidesBundle);
    if (hidden != types.end()) {
      op->emitOpError() << "uses type " << *hidden
                        << ", which holds a !kvcache.inputs value that " << pass
                        << " cannot rewrite";
      return WalkResult::interrupt();
    }
    if (!llvm::any_of(types, kvcache::isBundle) || isBundleCarrier(op) ||
        isKnown(op))
      return WalkResult::advance();
    op->emitOpError() << "uses a !kvcache.inputs value, which " << pass
                      << " cannot rewrite; lower it first (compute ops "
                         "before expansion) or pass the fields instead";
    return WalkResult::interrupt();
  });
  return failure(result.wasInterrupted());
}
