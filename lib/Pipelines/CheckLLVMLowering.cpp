//===- CheckLLVMLowering.cpp - Nothing but LLVM after the lowering --------===//
//
// The conversions to LLVM are partial: an operation no pattern handles stays
// in the module, wrapped in unrealized_conversion_casts that reconciliation
// cannot remove. Translation would reject it later with a message about the
// translation interface; this check names the operation and what it means
// while the IR still has its locations.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Pipelines/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace {

struct CheckLLVMLoweringPass
    : public PassWrapper<CheckLLVMLoweringPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckLLVMLoweringPass)

  StringRef getArgument() const final { return "kvcache-check-llvm-lowering"; }
  StringRef getDescription() const final {
    return "Fails if an operation outside the LLVM dialect survived the "
           "LLVM lowering";
  }

  void runOnOperation() override {
    // One error per operation name: a missed lowering usually leaves many
    // copies of the same op, and the first says all there is to say.
    llvm::StringSet<> reported;
    getOperation()->walk(
        [&](Operation *op) {
          if (isa<ModuleOp>(op) ||
              isa_and_nonnull<LLVM::LLVMDialect>(op->getDialect()))
            return;
          if (!reported.insert(op->getName().getStringRef()).second)
            return;
          if (auto cast = dyn_cast<UnrealizedConversionCastOp>(op)) {
            op->emitError("an unrealized_conversion_cast from ")
                << cast.getOperandTypes() << " to " << cast.getResultTypes()
                << " survived the LLVM lowering: one of its users was not "
                   "converted";
          } else if (op->getName().getDialectNamespace() == "kvcache") {
            op->emitError("'")
                << op->getName()
                << "' survived the LLVM lowering: kvcache operations must be "
                   "lowered (convert-kvcache-to-loops) and bundles flattened "
                   "(kvcache-expand-inputs) first";
          } else {
            op->emitError("'")
                << op->getName() << "' was not lowered to the LLVM dialect";
          }
          signalPassFailure();
        });
  }
};

} // namespace

std::unique_ptr<Pass> kvcache::createCheckLLVMLoweringPass() {
  return std::make_unique<CheckLLVMLoweringPass>();
}
