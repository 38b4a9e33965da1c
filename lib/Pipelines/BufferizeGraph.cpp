//===- BufferizeGraph.cpp - Tensor graphs to a bundle's memref signature --===//
//
// Graph compilers hand over tensor graphs; a bundle's entry points take
// memrefs only, with the outputs among the arguments. This pass bufferizes
// with upstream's One-Shot Bufferize at function boundaries (identity layouts:
// the runtime describes every buffer as contiguous and the GPU kernels assume
// contiguous, 16-byte-aligned rows), turns the buffers that public functions
// return into output arguments, and deallocates what is left. A module with
// no tensors and no returned buffers is left exactly as it is: deallocation
// and its canonicalisation would otherwise rewrite memref graphs that manage
// their own buffers.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Pipelines/Passes.h"

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace kvcache;

std::string kvcache::entryResultName(func::FuncOp func, unsigned index) {
  if (auto name = func.getResultAttrOfType<StringAttr>(index, argattrs::name))
    return name.getValue().str();
  return "result" + std::to_string(index);
}

namespace {

bool isShaped(Type type) { return isa<TensorType, BaseMemRefType>(type); }

/// Whether the pass has anything to do: a tensor anywhere, or a public
/// function that returns a buffer.
bool needsBufferization(ModuleOp module) {
  auto isTensor = [](Type type) { return isa<TensorType>(type); };
  WalkResult found = module.walk([&](Operation *op) {
    if (llvm::any_of(op->getOperandTypes(), isTensor) ||
        llvm::any_of(op->getResultTypes(), isTensor))
      return WalkResult::interrupt();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        if (llvm::any_of(block.getArgumentTypes(), isTensor))
          return WalkResult::interrupt();
    if (auto func = dyn_cast<func::FuncOp>(op)) {
      FunctionType type = func.getFunctionType();
      if (llvm::any_of(type.getInputs(), isTensor) ||
          llvm::any_of(type.getResults(), isTensor) ||
          (func.isPublic() && llvm::any_of(type.getResults(), isShaped)))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found.wasInterrupted();
}

/// Copies as linalg.copy, which the CPU lowering turns into loops and the
/// GPU host lowering keeps on the host: memref.copy between views that are
/// not contiguous lowers to a call into MLIR's C runner utilities, which no
/// bundle links.
LogicalResult createCopy(OpBuilder &builder, Location loc, Value from,
                         Value to) {
  linalg::CopyOp::create(builder, loc, from, to);
  return success();
}

/// bufferization.clone as an allocation and a linalg.copy (upstream's
/// convert-bufferization-to-memref copies with memref.copy, which
/// createCopy avoids). Deallocation clones what a private function returns
/// when it does not own it.
void lowerClones(ModuleOp module) {
  module.walk([](bufferization::CloneOp clone) {
    auto type = dyn_cast<MemRefType>(clone.getType());
    if (!type || !type.getLayout().isIdentity())
      return;
    OpBuilder builder(clone);
    Location loc = clone.getLoc();
    SmallVector<Value> dynamicSizes;
    for (auto [dim, size] : llvm::enumerate(type.getShape()))
      if (ShapedType::isDynamic(size))
        dynamicSizes.push_back(
            memref::DimOp::create(builder, loc, clone.getInput(), dim));
    Value copy = memref::AllocOp::create(builder, loc, type, dynamicSizes);
    (void)createCopy(builder, loc, clone.getInput(), copy);
    clone.replaceAllUsesWith(copy);
    clone.erase();
  });
}

struct BufferizeGraphPass
    : public PassWrapper<BufferizeGraphPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(BufferizeGraphPass)

  StringRef getArgument() const final { return "kvcache-bufferize-graph"; }
  StringRef getDescription() const final {
    return "Bufferizes a tensor graph with identity layouts at function "
           "boundaries, turns the buffers public functions return into "
           "output arguments (kvcache.name from the result, else result<N>; "
           "kvcache.role = \"output\"), and deallocates the rest";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<bufferization::BufferizationDialect, linalg::LinalgDialect,
                    memref::MemRefDialect>();
    OpPassManager deallocation(ModuleOp::getOperationName());
    bufferization::buildBufferDeallocationPipeline(deallocation);
    deallocation.getDependentDialects(registry);
  }

  /// Names the results of a public function, which become its output
  /// arguments, and keeps its tensor inputs from being written in place:
  /// the caller's input buffers are not the function's to overwrite (those
  /// marked output or inout, and cache fields, are).
  LogicalResult prepareEntry(func::FuncOp func) {
    MLIRContext *ctx = &getContext();
    bool ok = true;
    for (auto [index, type] : llvm::enumerate(func.getResultTypes())) {
      if (!isShaped(type))
        continue; // kvcache-compile's manifest refuses it, with its type.
      auto diag = [&, index = index] {
        return emitError(func.getLoc())
               << "result " << index << " of public function '@"
               << func.getSymName() << "' ";
      };
      auto shaped = cast<ShapedType>(type);
      if (!shaped.hasStaticShape()) {
        diag() << "has type " << type
               << "; results become output arguments that the caller "
                  "allocates, so their shapes must be static (write a "
                  "dynamically shaped output into an argument marked "
                  "kvcache.role = \"output\", e.g. with "
                  "bufferization.materialize_in_destination)";
        ok = false;
        continue;
      }
      Attribute name = func.getResultAttr(index, argattrs::name);
      auto nameString = dyn_cast_or_null<StringAttr>(name);
      if (name && (!nameString || nameString.getValue().empty())) {
        diag() << "has " << argattrs::name << " = " << name
               << "; expected a non-empty string";
        ok = false;
        continue;
      }
      Attribute role = func.getResultAttr(index, argattrs::role);
      if (role && role != StringAttr::get(ctx, "output")) {
        diag() << "has " << argattrs::role << " = " << role
               << "; a result is always an output";
        ok = false;
        continue;
      }
      func.setResultAttr(index, argattrs::name,
                         StringAttr::get(ctx, entryResultName(func, index)));
      func.setResultAttr(index, argattrs::role, StringAttr::get(ctx, "output"));
    }
    StringRef writable = bufferization::BufferizationDialect::kWritableAttrName;
    for (BlockArgument argument : func.getArguments()) {
      unsigned index = argument.getArgNumber();
      if (!isa<TensorType>(argument.getType()) ||
          func.getArgAttr(index, writable))
        continue;
      // Cache fields are the cache's memory: kvcache.store writes them in
      // place.
      if (func.getArgAttr(index, argattrs::field))
        continue;
      auto role = func.getArgAttrOfType<StringAttr>(index, argattrs::role);
      if (role && (role.getValue() == "output" || role.getValue() == "inout"))
        continue;
      func.setArgAttr(index, writable, BoolAttr::get(ctx, false));
    }
    return success(ok);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!needsBufferization(module))
      return;

    bool ok = true;
    for (auto func : module.getOps<func::FuncOp>())
      if (func.isPublic() && !func.isDeclaration())
        ok &= succeeded(prepareEntry(func));
    if (!ok)
      return signalPassFailure();

    bufferization::OneShotBufferizationOptions bufferize;
    bufferize.bufferizeFunctionBoundaries = true;
    bufferize.setFunctionBoundaryTypeConversion(
        bufferization::LayoutMapOption::IdentityLayoutMap);
    bufferize.memCpyFn = createCopy;
    bufferization::BufferizationState state;
    if (failed(
            bufferization::runOneShotModuleBufferize(module, bufferize, state)))
      return signalPassFailure();

    // Only public functions are entry points; private ones keep returning
    // buffers (ownership-based deallocation follows them through calls),
    // which lets them return dynamically shaped ones. A static buffer that
    // an entry function allocates and returns is the output argument itself,
    // with no copy.
    bufferization::BufferResultsToOutParamsOpts outParams;
    outParams.filterFn = [](func::FuncOp *func) { return func->isPublic(); };
    outParams.modifyPublicFunctions = true;
    outParams.hoistStaticAllocs = true;
    outParams.memCpyFn = createCopy;
    if (failed(
            bufferization::promoteBufferResultsToOutParams(module, outParams)))
      return signalPassFailure();

    OpPassManager deallocation(ModuleOp::getOperationName());
    bufferization::buildBufferDeallocationPipeline(deallocation);
    if (failed(runPipeline(deallocation, module)))
      return signalPassFailure();
    lowerClones(module);
  }
};

} // namespace

std::unique_ptr<Pass> kvcache::createBufferizeGraphPass() {
  return std::make_unique<BufferizeGraphPass>();
}
