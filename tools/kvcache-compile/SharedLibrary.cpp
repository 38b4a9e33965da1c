//===- SharedLibrary.cpp - An LLVM-dialect module as a host .so -----------===//

#include "SharedLibrary.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace kvcache::compile;

namespace {

/// A target machine for this host, generating position-independent code (the
/// object goes into a shared library).
FailureOr<std::unique_ptr<llvm::TargetMachine>>
createHostTargetMachine(ModuleOp module, llvm::StringRef cpuOption) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getProcessTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return emitError(module.getLoc(), "no LLVM target for the host triple '")
           << triple.str() << "': " << error;

  std::string cpu = cpuOption.str();
  std::string features;
  if (cpuOption == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures hostFeatures;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      hostFeatures.AddFeature(feature.getKey(), feature.getValue());
    features = hostFeatures.getString();
  }
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Default));
  if (!machine)
    return emitError(module.getLoc(),
                     "cannot create an LLVM target machine for '")
           << triple.str() << "'";
  // LLVM only warns about an unknown CPU and falls back to the generic one;
  // a typo in --mcpu should not silently produce a slower library.
  if (!machine->getMCSubtargetInfo()->isCPUStringValid(cpu))
    return emitError(module.getLoc(), "'")
           << cpu << "' is not a CPU of " << triple.str()
           << " (use generic, native or an LLVM CPU name)";
  return machine;
}

LogicalResult writeLLVMIR(ModuleOp module, const llvm::Module &llvmModule,
                          llvm::StringRef path) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
  if (!file)
    return emitError(module.getLoc(), error);
  llvmModule.print(file->os(), nullptr);
  file->keep();
  return success();
}

LogicalResult emitObject(ModuleOp module, llvm::Module &llvmModule,
                         llvm::TargetMachine &machine, llvm::StringRef path) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return emitError(module.getLoc(), "cannot write '")
           << path << "': " << ec.message();
  llvm::legacy::PassManager codegen;
  if (machine.addPassesToEmitFile(codegen, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return emitError(module.getLoc(),
                     "the LLVM target cannot emit object files");
  codegen.run(llvmModule);
  os.close();
  if (os.has_error())
    return emitError(module.getLoc(), "cannot write '")
           << path << "': " << os.error().message();
  return success();
}

/// Links the object into a shared library with the system compiler driver,
/// which knows the host's linker, crt files and libc; -lm for the math
/// intrinsics that become libm calls. -Bsymbolic binds the library's calls
/// to its own functions: a graph function named like a libc one (`step`,
/// `index`) would otherwise be interposed by libc's through the PLT.
LogicalResult linkSharedLibrary(ModuleOp module, llvm::StringRef objectPath,
                                llvm::StringRef libraryPath) {
  llvm::ErrorOr<std::string> driver = llvm::sys::findProgramByName("c++");
  if (!driver)
    return emitError(module.getLoc(), "cannot link '")
           << libraryPath
           << "': no C++ compiler driver 'c++' on PATH (install g++ or "
              "clang++; kvcache-compile links the bundle library with it)";
  llvm::SmallVector<llvm::StringRef> args = {
      *driver,    "-shared", "-Wl,-Bsymbolic", "-o", libraryPath,
      objectPath, "-lm"};
  std::string error;
  int status =
      llvm::sys::ExecuteAndWait(*driver, args, std::nullopt, {}, 0, 0, &error);
  if (status != 0) {
    auto diag = emitError(module.getLoc(), "linking '")
                << libraryPath << "' failed: `" << llvm::join(args, " ")
                << "` ";
    if (status < 0)
      diag << "could not run: " << error;
    else
      diag << "exited with status " << status;
    return diag;
  }
  return success();
}

} // namespace

LogicalResult
kvcache::compile::buildSharedLibrary(ModuleOp module,
                                     const SharedLibraryOptions &options) {
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine =
      createHostTargetMachine(module, options.cpu);
  if (failed(machine))
    return failure();

  // Translation takes alignments from the module's data layout, so the
  // host's must be on the module before it, not set on the LLVM IR after.
  MLIRContext *ctx = module.getContext();
  module->setAttr(
      LLVM::LLVMDialect::getDataLayoutAttrName(),
      StringAttr::get(
          ctx, (*machine)->createDataLayout().getStringRepresentation()));
  module->setAttr(LLVM::LLVMDialect::getTargetTripleAttrName(),
                  StringAttr::get(ctx, (*machine)->getTargetTriple().str()));
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "kvcache-bundle");
  if (!llvmModule)
    return emitError(module.getLoc(), "translation to LLVM IR failed");
  llvmModule->setPICLevel(llvm::PICLevel::BigPIC);

  auto optimize = makeOptimizingTransformer(options.optLevel,
                                            /*sizeLevel=*/0, machine->get());
  if (llvm::Error error = optimize(llvmModule.get()))
    return emitError(module.getLoc(), "LLVM optimisation failed: ")
           << llvm::toString(std::move(error));

  if (!options.llvmIRPath.empty() &&
      failed(writeLLVMIR(module, *llvmModule, options.llvmIRPath)))
    return failure();

  llvm::SmallString<128> objectPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("kvcache-kernels",
                                                              "o", objectPath))
    return emitError(module.getLoc(), "cannot create a temporary object file: ")
           << ec.message();
  llvm::FileRemover removeObject(objectPath);
  if (failed(emitObject(module, *llvmModule, **machine, objectPath)))
    return failure();
  return linkSharedLibrary(module, objectPath, options.libraryPath);
}
