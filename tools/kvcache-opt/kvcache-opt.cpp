//===- kvcache-opt.cpp - mlir-opt with the kvcache dialect ----------------===//
//
// mlir-opt with the kvcache dialect, its passes and the upstream dialects that
// a kvcache pipeline needs.
//
//===----------------------------------------------------------------------===//

#include "kvcache/InitAll.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  kvcache::registerAllDialects(registry);
  kvcache::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "kvcache-opt: the kvcache MLIR driver\n", registry));
}
