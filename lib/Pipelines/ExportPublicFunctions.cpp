//===- ExportPublicFunctions.cpp - What a bundle library exports ----------===//
//
// A bundle's entry points are its public functions. They get a C interface
// (`_mlir_ciface_<name>`, memrefs passed as descriptor pointers) that a
// runtime can call without knowing how many scalars a descriptor expands
// into; private functions get internal linkage, so that the library does not
// export helpers (which could clash with another library's symbols) and the
// optimiser may inline and drop them.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Pipelines/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace {

struct ExportPublicFunctionsPass
    : public PassWrapper<ExportPublicFunctionsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ExportPublicFunctionsPass)

  StringRef getArgument() const final {
    return "kvcache-export-public-functions";
  }
  StringRef getDescription() const final {
    return "Gives public functions a C interface and private ones internal "
           "linkage";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<LLVM::LLVMDialect>();
  }

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      // Declarations name symbols defined elsewhere: their linkage is not
      // this module's to decide.
      if (func.isDeclaration())
        continue;
      if (func.isPublic())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      UnitAttr::get(ctx));
      else
        func->setAttr("llvm.linkage",
                      LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    }
  }
};

} // namespace

std::unique_ptr<Pass> kvcache::createExportPublicFunctionsPass() {
  return std::make_unique<ExportPublicFunctionsPass>();
}
