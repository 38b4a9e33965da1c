//===- kvcache-compile.cpp - A kvcache graph to a bundle ------------------===//
//
//   kvcache-compile graph.mlir --target=cpu|sim|sm_XX -o DIR [--splits=N]
//
// Writes DIR/libkernels.so, DIR/manifest.json and DIR/graph.ll. Exit status:
// 0 on success, 1 when the graph does not compile (diagnostics on stderr),
// 2 for a bad command line.
//
//===----------------------------------------------------------------------===//

#include "Bundle.h"
#include "Manifest.h"

#include "kvcache/Conversion/KVCacheToGPU.h"

#include "kvcache/InitAll.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;
using namespace kvcache::compile;

namespace {

llvm::cl::OptionCategory category("kvcache-compile options");

// Neither is cl::Required: LLVM would report a missing one on stderr itself,
// bypassing the usage line.
llvm::cl::opt<std::string> inputFilename(llvm::cl::Positional,
                                         llvm::cl::desc("<graph.mlir>"),
                                         llvm::cl::cat(category));
llvm::cl::opt<std::string>
    outputDir("o", llvm::cl::desc("The bundle directory to write"),
              llvm::cl::value_desc("dir"), llvm::cl::cat(category));
llvm::cl::opt<std::string>
    target("target",
           llvm::cl::desc("What the bundle runs on: cpu (the loops "
                          "lowering); sm_XX needs the GPU lowering; sim: "
                          "the GPU kernels compiled for this CPU, run by "
                          "the stand-in libcuda's simulator"),
           llvm::cl::init("cpu"), llvm::cl::cat(category));
llvm::cl::opt<int64_t>
    splits("splits",
           llvm::cl::desc("Split-K partitions per request (0: from "
                          "attention_dispatch_metadata when present, else 1)"),
           llvm::cl::init(0), llvm::cl::cat(category));
llvm::cl::opt<bool> tensorCores(
    "tensor-cores",
    llvm::cl::desc("GPU and sim targets: decode 16-bit caches with head_dim "
                   "64 or 128 on tensor cores (default); "
                   "--tensor-cores=false uses CUDA cores"),
    llvm::cl::init(true), llvm::cl::cat(category));
llvm::cl::opt<bool> pageGuard(
    "page-guard",
    llvm::cl::desc("GPU and sim targets: check every page id the kernels "
                   "read against total_num_pages (default); "
                   "--page-guard=false only measures what that costs"),
    llvm::cl::init(true), llvm::cl::cat(category));
llvm::cl::opt<std::string>
    cpu("mcpu",
        llvm::cl::desc("Host CPU for --target=cpu: generic (runs on any "
                       "host of this architecture), native, or an LLVM CPU "
                       "name"),
        llvm::cl::init("generic"), llvm::cl::cat(category));

constexpr llvm::StringLiteral kUsage =
    "usage: kvcache-compile <graph.mlir> --target=cpu|sim|sm_XX -o <dir> "
    "[--splits=N] [--tensor-cores=false] [--page-guard=false] "
    "[--mcpu=generic|native|<cpu>]\n";

int usage(llvm::StringRef problem) {
  llvm::WithColor::error(llvm::errs(), "kvcache-compile") << problem << "\n";
  llvm::errs() << kUsage;
  return 2;
}

/// The targets kvcache-compile knows: the host CPU (the loops lowering),
/// NVIDIA chips (sm_80, sm_90a, ...) and the CPU simulator of the GPU
/// kernels.
enum class Target { CPU, CUDA, Sim, Unknown };

Target parseTarget(llvm::StringRef name) {
  if (name == "cpu")
    return Target::CPU;
  if (name.starts_with("sm_"))
    return Target::CUDA;
  if (name == "sim")
    return Target::Sim;
  return Target::Unknown;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerAsmPrinterCLOptions();
  // LLVM's own messages name the tool already ("kvcache-compile: Unknown
  // command line argument ..."); they are collected to print the usage after.
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  if (!llvm::cl::ParseCommandLineOptions(
          argc, argv, "kvcache-compile: compiles a kvcache graph to a bundle\n",
          &errorStream)) {
    llvm::errs() << errors << kUsage;
    return 2;
  }
  if (inputFilename.empty())
    return usage("no input file");
  if (outputDir.empty())
    return usage("no bundle directory (-o <dir>)");
  if (splits < 0)
    return usage("--splits must be >= 0, got " + std::to_string(splits));

  Target kind = parseTarget(target);
  if (kind == Target::Unknown)
    return usage("unknown target '" + target +
                 "' (expected cpu, sim or sm_XX)");

  DialectRegistry registry;
  kvcache::registerAllDialects(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  kvcache::registerGPUKernelLoweringDependencies(registry);
  // gpu.binary's #gpu.select_object embeds the cubin and the module
  // constructor that loads it when the host code is translated.
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  MLIRContext context(registry);

  std::string error;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFilename, &error);
  if (!input) {
    llvm::WithColor::error(llvm::errs(), "kvcache-compile") << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    return 1;

  BundleOptions options;
  options.outputDir = outputDir;
  options.splits = splits;
  options.tensorCores = tensorCores;
  options.pageGuard = pageGuard;
  options.cpu = cpu;
  options.target = target;
  if (failed(kvcache::compile::annotateOperands(*module)))
    return 1;
  LogicalResult compiled = failure();
  switch (kind) {
  case Target::CPU:
    compiled = compileCPUBundle(*module, options);
    break;
  case Target::CUDA:
    compiled = compileGPUBundle(*module, options);
    break;
  case Target::Sim:
    compiled = compileSimBundle(*module, options);
    break;
  case Target::Unknown:
    break;
  }
  return failed(compiled) ? 1 : 0;
}
