//===- BundleFlow.cpp - How bundles move through IR -----------------------===//

#include "BundleFlow.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

bool kvcache::touchesBundles(Operation *op) {
  auto hasBundle = [](TypeRange types) {
    return llvm::any_of(types, isBundle);
  };
  if (hasBundle(op->getOperandTypes()) || hasBundle(op->getResultTypes()))
    return true;
  if (auto func = dyn_cast<func::FuncOp>(op))
    if (hasBundle(func.getArgumentTypes()) || hasBundle(func.getResultTypes()))
      return true;
  for (Region &region : op->getRegions())
    for (Block &block : region)
      if (hasBundle(block.getArgumentTypes()))
        return true;
  return false;
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
    if (!touchesBundles(op) || isBundleCarrier(op) || isKnown(op))
      return WalkResult::advance();
    op->emitOpError() << "uses a !kvcache.inputs value, which " << pass
                      << " cannot rewrite; lower it first (compute ops "
                         "before expansion) or pass the fields instead";
    return WalkResult::interrupt();
  });
  return failure(result.wasInterrupted());
}
