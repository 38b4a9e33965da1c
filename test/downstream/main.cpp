//===- main.cpp - A downstream user of an installed kvcache-mlir ----------===//
//
// Registers the dialect and passes in its own MLIRContext, parses a graph,
// runs the flatten pipeline through the C++ API and prints the result.
//
//===----------------------------------------------------------------------===//

#include "kvcache/ABI/ABI.h"
#include "kvcache/Dialect/KVCache/IR/KVCache.h"
#include "kvcache/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  if (argc != 2) {
    llvm::errs() << "usage: downstream graph.mlir\n";
    return 2;
  }
  mlir::DialectRegistry registry;
  registry.insert<kvcache::KVCacheDialect, mlir::func::FuncDialect>();
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(argv[1], &context);
  if (!module)
    return 1;
  mlir::PassManager pm(&context);
  kvcache::buildFlattenPipeline(pm);
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  llvm::outs() << "\nabi fields: " << kvcache::abi::kNumFields << "\n";
  return 0;
}
