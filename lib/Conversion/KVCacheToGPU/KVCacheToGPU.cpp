//===- KVCacheToGPU.cpp - kvcache compute ops as GPU kernels --------------===//
//
// convert-kvcache-to-gpu: checks what it can lower, then replaces every
// kvcache.store and kvcache.attention by host launch code (HostLaunch.cpp)
// and the kernels it launches (the *Kernel.cpp files).
//
//===----------------------------------------------------------------------===//

#include "kvcache/Conversion/KVCacheToGPU.h"
#include "kvcache/Conversion/Passes.h"

#include "../Guards.h"
#include "../Lowerable.h"
#include "Lowering.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace kvcache {
#define GEN_PASS_DEF_CONVERTKVCACHETOGPU
#include "kvcache/Conversion/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;
using namespace kvcache::gpukernels;

namespace {

constexpr StringLiteral kPassName = "convert-kvcache-to-gpu";

/// What the kernels assume beyond checkLowerable: 16-byte vectors tile
/// head_dim, and rows are contiguous so those vectors are aligned.
LogicalResult checkKernelShape(Operation *op, const KernelShape &shape) {
  if (shape.headDim % shape.vectorWidth() != 0)
    return op->emitOpError("head_dim ")
           << shape.headDim << " is not a multiple of " << shape.vectorWidth()
           << " (one 16-byte vector of " << shape.elementType << "); "
           << kPassName << " does not lower it yet";
  auto type = cast<InputsType>(op->getOperand(0).getType());
  SmallVector<std::pair<StringRef, Value>> operands;
  if (auto store = dyn_cast<StoreOp>(op))
    operands = {{"key", store.getKey()}, {"value", store.getValue()}};
  if (auto attention = dyn_cast<AttentionOp>(op))
    operands = {{"q", attention.getQ()}, {"out", attention.getOut()}};
  auto check = [&](StringRef name, MemRefType memref) -> LogicalResult {
    if (memref.getLayout().isIdentity())
      return success();
    return op->emitOpError("'")
           << name << "' has layout " << memref.getLayout() << "; " << kPassName
           << " needs contiguous rows (identity layout) for 16-byte accesses";
  };
  if (failed(check("kv_blocks", type.getKvBlocksType())))
    return failure();
  for (auto [name, value] : operands)
    if (failed(check(name, cast<MemRefType>(value.getType()))))
      return failure();
  return success();
}

/// The SM number of `chip` (`sm_90a` → 90), or 0 when it is not `sm_<N>`.
int64_t smVersion(StringRef chip) {
  if (!chip.consume_front("sm_"))
    return 0;
  chip = chip.take_while([](char c) { return llvm::isDigit(c); });
  int64_t version = 0;
  if (chip.empty() || chip.getAsInteger(10, version))
    return 0;
  return version;
}

struct ConvertKVCacheToGPUPass
    : public kvcache::impl::ConvertKVCacheToGPUBase<ConvertKVCacheToGPUPass> {
  using Base::Base;

  LogicalResult checkOptions() {
    ModuleOp module = getOperation();
    if (smVersion(chip.getValue()) < 80)
      return module.emitError()
             << kPassName << ": chip must be sm_80 or newer, got '"
             << chip.getValue() << "'";
    if (blockSize < 32 || blockSize > 1024 || blockSize % 32 != 0)
      return module.emitError()
             << kPassName << ": block-size must be a multiple of 32 in "
             << "[32, 1024], got " << blockSize.getValue();
    if (splitsCap < 1)
      return module.emitError()
             << kPassName << ": splits-cap must be >= 1, got "
             << splitsCap.getValue();
    if (splits < 0)
      return module.emitError()
             << kPassName << ": splits must be >= 0, got " << splits.getValue();
    return success();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions()))
      return signalPassFailure();
    LaunchOptions options{blockSize.getValue(), splitsCap.getValue(),
                          splits.getValue(),    tensorCores.getValue(),
                          pageGuard.getValue(), smVersion(chip.getValue())};

    SmallVector<Operation *> ops;
    bool anyAttention = false;
    WalkResult result = module.walk([&](Operation *op) {
      if (!isa<StoreOp, AttentionOp>(op))
        return WalkResult::advance();
      auto type = cast<InputsType>(op->getOperand(0).getType());
      if (failed(checkLowerable(op, type, kPassName)) ||
          failed(checkKernelShape(op, getKernelShape(op, options))))
        return WalkResult::interrupt();
      anyAttention |= isa<AttentionOp>(op);
      ops.push_back(op);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    if (ops.empty())
      return;

    MLIRContext *ctx = module.getContext();
    RuntimeHooks hooks;
    Type i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
    auto declare = [&](func::FuncOp &hook, StringRef name, FunctionType type) {
      FailureOr<func::FuncOp> declared =
          conversion::declareHook(module, name, type, kPassName);
      if (succeeded(declared))
        hook = *declared;
      return succeeded(declared);
    };
    FailureOr<func::FuncOp> raise =
        conversion::declareRaiseHook(module, kPassName);
    if (failed(raise) ||
        !declare(hooks.errorWord, abi::kErrorWordHook,
                 FunctionType::get(ctx, {}, i64)) ||
        (anyAttention && !declare(hooks.workspace, abi::kWorkspaceHook,
                                  FunctionType::get(ctx, i64, i64))) ||
        (anyAttention && splits == 0 &&
         !declare(hooks.numSms, abi::kNumSmsHook,
                  FunctionType::get(ctx, {}, i32))))
      return signalPassFailure();
    hooks.raise = *raise;

    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
    KernelCache kernels(module);
    for (Operation *op : ops) {
      if (auto store = dyn_cast<StoreOp>(op))
        lowerStore(store, kernels, options, hooks);
      else
        lowerAttention(cast<AttentionOp>(op), kernels, options, hooks);
    }
  }
};

} // namespace
