//===- kvcache-lsp-server.cpp - MLIR LSP server with the kvcache dialect --===//
//
// MLIR's language server (diagnostics, hover, go-to-definition, ...) for
// files that use the kvcache dialect and the upstream dialects that a kvcache
// pipeline needs. Point an editor's MLIR extension at this binary (VS Code:
// the `mlir.server_path` setting).
//
//===----------------------------------------------------------------------===//

#include "kvcache/InitAll.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/LogicalResult.h"
#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  kvcache::registerAllDialects(registry);
  return mlir::failed(mlir::MlirLspServerMain(argc, argv, registry));
}
