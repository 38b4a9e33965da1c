//===- IRFuzzer.cpp - Fuzz parse, verify and the bundle passes ------------===//
//
// Mutated IR goes through the parser, the verifier and
// kvcache-drop-optional-fields, kvcache-expand-inputs, kvcache-pack-inputs.
// Any diagnostic is fine; a crash, a sanitizer report or a hang is a bug.
//
// The context knows the kvcache dialect and the dialects graphs around it
// use (func, arith, memref, tensor, scf, cf, vector, math), not the ones
// only the lowerings produce (gpu, nvvm, nvgpu, llvm): the target is this
// project's code, and those upstream verifiers have crashes of their own
// (LLVM 22's NVVM::MmaOp::verify throws bad_optional_access on a malformed
// result struct: fuzz/regressions/ir-nvvm-mma-result.mlir).
//
//===----------------------------------------------------------------------===//

#include "kvcache/Dialect/KVCache/Transforms/Passes.h"
#include "kvcache/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {
mlir::MLIRContext &context() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    kvcache::registerKVCacheDialect(registry);
    registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect,
                    mlir::memref::MemRefDialect, mlir::tensor::TensorDialect,
                    mlir::scf::SCFDialect, mlir::cf::ControlFlowDialect,
                    mlir::vector::VectorDialect, mlir::math::MathDialect>();
    auto *created =
        new mlir::MLIRContext(registry, mlir::MLIRContext::Threading::DISABLED);
    created->loadAllAvailableDialects();
    // Inputs may use any dialect; unregistered ops exercise the passes'
    // unknown-user checks.
    created->allowUnregisteredDialects();
    return created;
  }();
  return *ctx;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext &ctx = context();
  mlir::ScopedDiagnosticHandler silence(
      &ctx, [](mlir::Diagnostic &) { return mlir::success(); });
  // MLIR's lexer reads up to a terminating NUL, which libFuzzer's buffer
  // lacks: parse a copy (an earlier harness read past the input's end).
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::ParserConfig config(&ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, config);
  if (!module)
    return 0;
  mlir::PassManager pm(&ctx);
  pm.addPass(kvcache::createDropOptionalFields());
  pm.addPass(kvcache::createExpandInputs());
  pm.addPass(kvcache::createPackInputs());
  (void)pm.run(*module);
  return 0;
}
