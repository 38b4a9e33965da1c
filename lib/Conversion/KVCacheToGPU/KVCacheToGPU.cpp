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
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/MathExtras.h"

namespace kvcache {
#define GEN_PASS_DEF_CONVERTKVCACHETOGPU
#include "kvcache/Conversion/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;
using namespace kvcache::gpukernels;
using kvcache::abi::Field;

namespace {

constexpr StringLiteral kPassName = "convert-kvcache-to-gpu";

/// The kernels read and write 16-bit and f32 caches only; the loops
/// lowering is the executable reference for 8-bit float ones until FP8
/// kernels exist (the sim target runs these kernels too).
LogicalResult checkCacheElementType(Operation *op, InputsType type) {
  if (type.isFP8())
    return op->emitOpError("on an 8-bit float cache is not lowered to GPU "
                           "kernels yet");
  return success();
}

/// What the kernels assume beyond checkLowerable: 16-byte vectors tile
/// head_dim, and rows are contiguous so those vectors are aligned.
LogicalResult checkKernelShape(Operation *op, const KernelShape &shape) {
  if (shape.headDim % shape.vectorWidth() != 0)
    return op->emitOpError("head_dim ")
           << shape.headDim << " is not a multiple of " << shape.vectorWidth()
           << " (one 16-byte vector of " << shape.elementType << "); "
           << kPassName << " does not lower it yet";
  if (shape.valueDim % shape.vectorWidth() != 0)
    return op->emitOpError("value_dim ")
           << shape.valueDim << " ('out' dim 2) is not a multiple of "
           << shape.vectorWidth() << " (one 16-byte vector of "
           << shape.elementType << "); " << kPassName
           << " does not lower it yet";
  auto type = cast<InputsType>(op->getOperand(0).getType());
  SmallVector<std::pair<StringRef, Value>> operands;
  if (auto store = dyn_cast<StoreOp>(op)) {
    operands = {{"key", store.getKey()}};
    if (Value value = store.getValue()) // absent on an MLA cache
      operands.push_back({"value", value});
  }
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

/// CUDA's limits on a launch (every chip the pass targets, sm_80 and newer):
/// CTAs per grid dimension, and static shared memory per CTA (the kernels
/// declare their workgroup buffers statically, so they cannot opt into more).
constexpr int64_t kMaxGridX = (int64_t(1) << 31) - 1;
constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxStaticWorkgroupBytes = 48 * 1024;

/// The static dims the grids are made of, within CUDA's grid limits (the
/// grids: store (total_tokens); decode (splits, num_kv_heads, batch);
/// combine (total_tokens, up to num_q_heads); prefill (row blocks,
/// num_kv_heads, batch)). Dynamic ones are checked at run time.
LogicalResult checkGrid(Operation *op) {
  auto tooMany = [&](StringRef what, int64_t size, StringRef where,
                     int64_t limit, StringRef grids) {
    return op->emitOpError()
           << what << " (" << size << ", " << where << ") is past " << limit
           << ", the most CTAs " << grids << "; " << kPassName
           << " cannot launch it";
  };
  if (auto store = dyn_cast<StoreOp>(op)) {
    int64_t tokens = cast<ShapedType>(store.getKey().getType()).getDimSize(0);
    if (!ShapedType::isDynamic(tokens) && tokens > kMaxGridX)
      return tooMany("total_tokens", tokens, "'key' dim 0", kMaxGridX,
                     "the store grid's x dimension (total_tokens) holds");
    return success();
  }
  auto attention = cast<AttentionOp>(op);
  InputsType type = attention.getBundle().getType();
  if (type.getNumKvHeads() > kMaxGridYZ)
    return tooMany("num_kv_heads", type.getNumKvHeads(), "kv_blocks dim 4",
                   kMaxGridYZ,
                   "the decode and prefill grids' y dimension (num_kv_heads) "
                   "holds");
  int64_t numQHeads =
      cast<ShapedType>(attention.getQ().getType()).getDimSize(1);
  if (numQHeads > kMaxGridYZ)
    return tooMany("num_q_heads", numQHeads, "'q' dim 1", kMaxGridYZ,
                   "the combine grid's y dimension (up to num_q_heads) holds");
  int64_t tokens = cast<ShapedType>(attention.getQ().getType()).getDimSize(0);
  if (!ShapedType::isDynamic(tokens) && tokens > kMaxGridX)
    return tooMany("total_tokens", tokens, "'q' dim 0", kMaxGridX,
                   "the combine grid's x dimension (total_tokens) holds");
  auto batchOf = [&](Field field) {
    return cast<ShapedType>(type.getFieldType(field)).getDimSize(0);
  };
  for (auto [batch, where] :
       {std::pair<int64_t, StringRef>{batchOf(Field::cache_lengths),
                                      "'cache_lengths' dim 0"},
        {batchOf(Field::lookup_table), "'lookup_table' dim 0"}})
    if (!ShapedType::isDynamic(batch) && batch > kMaxGridYZ)
      return tooMany("batch", batch, where, kMaxGridYZ,
                     "the decode and prefill grids' z dimension (batch) holds");
  int64_t offsets =
      cast<ShapedType>(attention.getInputRowOffsets().getType()).getDimSize(0);
  if (!ShapedType::isDynamic(offsets) && offsets - 1 > kMaxGridYZ)
    return tooMany("batch", offsets - 1, "'input_row_offsets' dim 0 - 1",
                   kMaxGridYZ,
                   "the decode and prefill grids' z dimension (batch) holds");
  return success();
}

/// A bound on head_dim checked before any kernel is built (so an absurd one
/// cannot exhaust memory while building): every attention kernel holds at
/// least one f32 head_dim row per CTA in workgroup memory (a decode warp's
/// accumulator, a combine warp's sum), so one row must fit. The exact
/// check, on the built kernels, is checkWorkgroupMemory.
LogicalResult checkHeadDim(Operation *op, const KernelShape &shape) {
  if (!isa<AttentionOp>(op))
    return success();
  int64_t rowBytes = shape.headDim * 4;
  if (rowBytes <= kMaxStaticWorkgroupBytes)
    return success();
  return op->emitOpError("head_dim ")
         << shape.headDim << " needs " << rowBytes
         << " bytes of workgroup memory for one f32 row (a decode warp's "
            "accumulator), past the "
         << kMaxStaticWorkgroupBytes << "-byte (48 KiB) static limit of a CTA; "
         << kPassName << " cannot lower it";
}

/// Bytes of static workgroup memory `kernel` declares (each buffer 16-byte
/// aligned, as createKernel asks).
int64_t workgroupBytes(gpu::GPUFuncOp kernel) {
  int64_t bytes = 0;
  for (BlockArgument buffer : kernel.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(buffer.getType());
    bytes = llvm::alignTo(bytes, 16) +
            type.getNumElements() *
                llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  }
  return bytes;
}

/// Fails with an error at `loc` (the lowered `opName`'s) when one of
/// `kernels` needs more static workgroup memory than a CTA has: what the
/// kernel variant chosen for the shape holds grows with head_dim, the group
/// and block-size.
LogicalResult checkWorkgroupMemory(Location loc, StringRef opName,
                                   ArrayRef<gpu::GPUFuncOp> kernels,
                                   const KernelShape &shape) {
  for (gpu::GPUFuncOp kernel : kernels) {
    int64_t bytes = workgroupBytes(kernel);
    if (bytes > kMaxStaticWorkgroupBytes)
      return emitError(loc)
             << "'" << opName << "' op kernel '" << kernel.getName()
             << "' needs " << bytes
             << " bytes of static workgroup memory (head_dim " << shape.headDim
             << ", block-size " << shape.blockSize << "), past the "
             << kMaxStaticWorkgroupBytes << "-byte (48 KiB) limit of a CTA; "
             << kPassName << " cannot lower it (a smaller block-size may fit)";
  }
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
      KernelShape shape = getKernelShape(op, options);
      if (failed(checkLowerable(op, type, kPassName)) ||
          failed(checkCacheElementType(op, type)) ||
          failed(checkKernelShape(op, shape)) || failed(checkGrid(op)) ||
          failed(checkHeadDim(op, shape)))
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
    auto gpuModule = module.lookupSymbol<gpu::GPUModuleOp>("kvcache_kernels");
    for (Operation *op : ops) {
      // The kernels an op adds are measured once built: the workgroup
      // memory of a variant is the builders' to decide, not restated here.
      llvm::DenseSet<Operation *> before;
      for (auto kernel : gpuModule.getOps<gpu::GPUFuncOp>())
        before.insert(kernel);
      Location loc = op->getLoc();
      std::string opName = op->getName().getStringRef().str();
      KernelShape shape = getKernelShape(op, options);
      if (auto store = dyn_cast<StoreOp>(op))
        lowerStore(store, kernels, options, hooks);
      else
        lowerAttention(cast<AttentionOp>(op), kernels, options, hooks);
      SmallVector<gpu::GPUFuncOp> added;
      for (auto kernel : gpuModule.getOps<gpu::GPUFuncOp>())
        if (!before.contains(kernel))
          added.push_back(kernel);
      if (failed(checkWorkgroupMemory(loc, opName, added, shape)))
        return signalPassFailure();
    }
  }
};

} // namespace
