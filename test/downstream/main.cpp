//===- main.cpp - A downstream user of an installed kvcache-mlir ----------===//
//
// Registers the dialects in its own MLIRContext, parses a graph and runs a
// kvcache pipeline through the C++ API:
//
//   downstream flatten graph.mlir       prune + expand; prints the module
//   downstream nvvm isa|bin graph.mlir  kvcache-to-nvvm for sm_90a; prints
//                                       the gpu.binary and, per launched
//                                       kernel, whether its object holds it
//
//===----------------------------------------------------------------------===//

#include "kvcache/ABI/ABI.h"
#include "kvcache/InitAll.h"
#include "kvcache/Pipelines/Pipelines.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <set>
#include <string>

/// Whether a kernel is in a compiled object: PTX declares it as an `.entry`;
/// a cubin (ELF) names it in its string table.
static bool objectHoldsKernel(mlir::gpu::ObjectAttr object,
                              llvm::StringRef kernel) {
  llvm::StringRef bytes = object.getObject().getValue();
  if (object.getFormat() == mlir::gpu::CompilationTarget::Assembly)
    return bytes.contains((".entry " + kernel + "(").str());
  return bytes.starts_with("\x7f"
                           "ELF") &&
         bytes.contains((kernel + llvm::StringRef("\0", 1)).str());
}

static int runNVVM(mlir::ModuleOp module, llvm::StringRef format) {
  mlir::PassManager pm(module.getContext());
  kvcache::NVVMPipelineOptions options; // chip: sm_90a
  options.format = format.str();
  kvcache::buildNVVMPipeline(pm, options);
  if (mlir::failed(pm.run(module)))
    return 1;

  std::set<std::string> launched;
  module.walk([&](mlir::gpu::LaunchFuncOp launch) {
    launched.insert(launch.getKernelName().str());
  });
  int numBinaries = 0, numMissing = 0;
  for (auto binary : module.getOps<mlir::gpu::BinaryOp>()) {
    ++numBinaries;
    llvm::outs() << "gpu.binary @" << binary.getSymName() << "\n";
    for (auto object :
         binary.getObjects().getAsRange<mlir::gpu::ObjectAttr>()) {
      llvm::outs() << "  object " << object.getTarget() << " format "
                   << mlir::gpu::stringifyCompilationTarget(object.getFormat())
                   << "\n";
      for (const std::string &kernel : launched) {
        bool held = objectHoldsKernel(object, kernel);
        numMissing += !held;
        llvm::outs() << "    launched " << kernel
                     << (held ? ": in the object" : ": MISSING") << "\n";
      }
    }
  }
  return numBinaries == 0 || numMissing != 0 ? 1 : 0;
}

int main(int argc, char **argv) {
  llvm::StringRef mode = argc > 1 ? argv[1] : "";
  bool flatten = mode == "flatten" && argc == 3;
  bool nvvm = mode == "nvvm" && argc == 4;
  if (!flatten && !nvvm) {
    llvm::errs() << "usage: downstream flatten graph.mlir\n"
                    "       downstream nvvm isa|bin graph.mlir\n";
    return 2;
  }
  // The kvcache dialect, the upstream dialects its pipelines produce, and
  // the NVVM target and LLVM IR translations gpu-module-to-binary needs.
  mlir::DialectRegistry registry;
  kvcache::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(argv[argc - 1], &context);
  if (!module)
    return 1;
  if (nvvm)
    return runNVVM(*module, argv[2]);

  mlir::PassManager pm(&context);
  kvcache::buildFlattenPipeline(pm);
  if (mlir::failed(pm.run(*module)))
    return 1;
  module->print(llvm::outs());
  llvm::outs() << "\nabi fields: " << kvcache::abi::kNumFields << "\n";
  return 0;
}
