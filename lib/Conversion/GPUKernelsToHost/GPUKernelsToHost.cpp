//===- GPUKernelsToHost.cpp - gpu.func kernels as host functions ----------===//
//
// kvcache-gpu-kernels-to-host: the very kernels a GPU bundle runs, as plain
// host functions that a simulator executes once per CUDA thread. Whatever a
// thread asks of the hardware (its ids, the barrier, warp shuffles, the
// tensor-core MMA, the CTA's workgroup memory) becomes a call to a hook of
// SimKernelABI.h; the NVVM intrinsics the kernels call become their
// math/arith equivalents. Everything else (scf, arith, memref, vector) is
// already host code.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Conversion/Passes.h"

#include "kvcache/ABI/SimKernelABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/PatternMatch.h"

namespace kvcache {
#define GEN_PASS_DEF_CONVERTGPUKERNELSTOHOST
#include "kvcache/Conversion/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;

namespace {

constexpr StringLiteral kSimKernelAttr = "kvcache.sim_kernel";

StringRef str(std::string_view view) { return {view.data(), view.size()}; }

/// The private declaration of hook `name`, created on first use.
func::FuncOp getHook(ModuleOp module, std::string_view name,
                     FunctionType type) {
  if (auto hook = module.lookupSymbol<func::FuncOp>(str(name)))
    return hook;
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  auto hook = func::FuncOp::create(b, module.getLoc(), str(name), type);
  hook.setPrivate();
  return hook;
}

/// Emits hook calls at one insertion point.
struct HookCaller {
  ModuleOp module;
  OpBuilder &b;
  Location loc;

  Value call(std::string_view name, Type result, ValueRange args) {
    auto type = b.getFunctionType(args.getTypes(),
                                  result ? TypeRange(result) : TypeRange());
    func::FuncOp hook = getHook(module, name, type);
    auto call = func::CallOp::create(b, loc, hook, args);
    return result ? call.getResult(0) : Value();
  }
  Value i32(int64_t value) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(value));
  }
  /// An id hook's i64 result as the `index` the gpu op produced.
  Value index(std::string_view name, gpu::Dimension dim) {
    Value id = call(name, b.getI64Type(), {i32(static_cast<int64_t>(dim))});
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), id);
  }
};

/// A memref of `type` (static shape, identity layout) at `pointer`: its
/// descriptor, built the way the LLVM lowering lays it out, cast back.
Value memrefAt(OpBuilder &b, Location loc, MemRefType type, Value pointer) {
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  int64_t rank = type.getRank();
  SmallVector<Type> fields = {pointer.getType(), pointer.getType(), i64};
  if (rank > 0)
    fields.append(2, LLVM::LLVMArrayType::get(i64, rank));
  auto descriptorType = LLVM::LLVMStructType::getLiteral(ctx, fields);
  Value descriptor = LLVM::PoisonOp::create(b, loc, descriptorType);
  auto insert = [&](Value value, ArrayRef<int64_t> position) {
    descriptor =
        LLVM::InsertValueOp::create(b, loc, descriptor, value, position);
  };
  auto constant = [&](int64_t value) {
    return LLVM::ConstantOp::create(b, loc, i64, value);
  };
  insert(pointer, 0); // allocated
  insert(pointer, 1); // aligned
  insert(constant(0), 2);
  int64_t stride = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    insert(constant(type.getDimSize(d)), {3, d});
    insert(constant(stride), {4, d});
    stride *= type.getDimSize(d);
  }
  return UnrealizedConversionCastOp::create(b, loc, type, descriptor)
      .getResult(0);
}

/// Drops the GPU address spaces from every memref type in `op`: on the
/// host, workgroup and global memory are both plain memory.
void dropAddressSpaces(Operation *op) {
  AttrTypeReplacer replacer;
  replacer.addReplacement([](MemRefType type) -> std::optional<Type> {
    if (!isa_and_nonnull<gpu::AddressSpaceAttr>(type.getMemorySpace()))
      return std::nullopt;
    return MemRefType::get(type.getShape(), type.getElementType(),
                           type.getLayout());
  });
  replacer.recursivelyReplaceElementsIn(op, /*replaceAttrs=*/true,
                                        /*replaceLocs=*/false,
                                        /*replaceTypes=*/true);
}

class KernelConverter {
public:
  KernelConverter(ModuleOp module) : module(module) {}

  /// Replaces `kernel` by a private func.func of the same name at the
  /// module's top level.
  LogicalResult convert(gpu::GPUFuncOp kernel);

private:
  LogicalResult replaceAttributions(gpu::GPUFuncOp kernel, func::FuncOp func);
  LogicalResult replaceGPUOps(func::FuncOp func);
  LogicalResult replaceIntrinsic(LLVM::CallIntrinsicOp call);
  LogicalResult replaceShuffle(gpu::ShuffleOp shuffle, int64_t site);
  LogicalResult replaceMma(NVVM::MmaOp mma, int64_t site, func::FuncOp func);
  /// The kernel's buffer for an MMA hook's four results: one alloca in the
  /// entry block, whatever loops the MMAs are in (a fiber's stack is small).
  Value mmaResultBuffer(func::FuncOp func);

  ModuleOp module;
  func::FuncOp mmaBufferFunc;
  Value mmaBuffer;
};

LogicalResult KernelConverter::convert(gpu::GPUFuncOp kernel) {
  if (!kernel.isKernel())
    return kernel.emitOpError("is not a kernel; ")
           << "kvcache-gpu-kernels-to-host converts kernels only (device "
              "functions would need a calling convention for the hooks)";
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, kernel.getLoc(), kernel.getName(),
                                   kernel.getFunctionType());
  func.setPrivate();
  func->setAttr(kSimKernelAttr, b.getUnitAttr());
  func.getBody().takeBody(kernel.getBody());
  dropAddressSpaces(func);
  if (failed(replaceAttributions(kernel, func)) || failed(replaceGPUOps(func)))
    return failure();
  kernel.erase();
  return success();
}

/// Workgroup buffers come from the simulator (one per CTA, shared by its
/// threads); private ones are each thread's own stack memory.
LogicalResult KernelConverter::replaceAttributions(gpu::GPUFuncOp kernel,
                                                   func::FuncOp func) {
  Block &entry = func.getBody().front();
  unsigned numInputs = kernel.getNumArguments();
  unsigned numWorkgroup = kernel.getNumWorkgroupAttributions();
  OpBuilder b = OpBuilder::atBlockBegin(&entry);
  HookCaller hooks{module, b, kernel.getLoc()};
  auto ptr = LLVM::LLVMPointerType::get(b.getContext());
  for (unsigned i = numInputs, e = entry.getNumArguments(); i < e; ++i) {
    BlockArgument buffer = entry.getArgument(i);
    auto type = cast<MemRefType>(buffer.getType());
    if (!type.hasStaticShape() || !type.getLayout().isIdentity())
      return kernel.emitOpError("attribution #")
             << i - numInputs << " has type " << type
             << "; only static shapes with the identity layout run on the host";
    Value memory;
    if (i < numInputs + numWorkgroup) {
      int64_t bytes = type.getNumElements() *
                      llvm::divideCeil(type.getElementTypeBitWidth(), 8);
      Value pointer =
          hooks.call(sim::kWorkgroupHook, ptr,
                     {hooks.i32(i - numInputs),
                      arith::ConstantOp::create(b, hooks.loc,
                                                b.getI64IntegerAttr(bytes))});
      memory = memrefAt(b, hooks.loc, type, pointer);
    } else {
      memory = memref::AllocaOp::create(b, hooks.loc, type);
    }
    buffer.replaceAllUsesWith(memory);
  }
  entry.eraseArguments(numInputs, entry.getNumArguments() - numInputs);
  return success();
}

LogicalResult KernelConverter::replaceIntrinsic(LLVM::CallIntrinsicOp call) {
  StringRef name = call.getIntrin();
  if (!name.starts_with("llvm.nvvm."))
    return success();
  OpBuilder b(call);
  Location loc = call.getLoc();
  ValueRange args = call.getArgs();
  Value result;
  // The approximate and flush-to-zero variants are the exact ones on the
  // host: the kernels' tolerances cover the difference.
  if (name.starts_with("llvm.nvvm.ex2.approx") && args.size() == 1)
    result = math::Exp2Op::create(b, loc, args[0]);
  else if (name.starts_with("llvm.nvvm.lg2.approx") && args.size() == 1)
    result = math::Log2Op::create(b, loc, args[0]);
  else if (name.starts_with("llvm.nvvm.fmax") && args.size() == 2)
    result = arith::MaxNumFOp::create(b, loc, args[0], args[1]);
  else if (name.starts_with("llvm.nvvm.fmin") && args.size() == 2)
    result = arith::MinNumFOp::create(b, loc, args[0], args[1]);
  else
    return call.emitOpError("calls '")
           << name << "', which has no host equivalent in "
           << "kvcache-gpu-kernels-to-host";
  call.getResult(0).replaceAllUsesWith(result);
  call.erase();
  return success();
}

LogicalResult KernelConverter::replaceShuffle(gpu::ShuffleOp shuffle,
                                              int64_t site) {
  OpBuilder b(shuffle);
  HookCaller hooks{module, b, shuffle.getLoc()};
  Type type = shuffle.getValue().getType();
  Type i32 = b.getI32Type();
  if (type.getIntOrFloatBitWidth() != 32)
    return shuffle.emitOpError("shuffles a ")
           << type << "; the host simulator shuffles 32-bit values only";
  Value bits = shuffle.getValue();
  if (type != i32)
    bits = arith::BitcastOp::create(b, hooks.loc, i32, bits);
  sim::ShuffleMode mode = sim::ShuffleMode::Xor;
  switch (shuffle.getMode()) {
  case gpu::ShuffleMode::XOR:
    mode = sim::ShuffleMode::Xor;
    break;
  case gpu::ShuffleMode::UP:
    mode = sim::ShuffleMode::Up;
    break;
  case gpu::ShuffleMode::DOWN:
    mode = sim::ShuffleMode::Down;
    break;
  case gpu::ShuffleMode::IDX:
    mode = sim::ShuffleMode::Idx;
    break;
  }
  Value packed =
      hooks.call(sim::kShuffleHook, b.getI64Type(),
                 {bits, shuffle.getOffset(), shuffle.getWidth(),
                  hooks.i32(static_cast<int32_t>(mode)), hooks.i32(site)});
  Value value = arith::TruncIOp::create(b, hooks.loc, i32, packed);
  if (type != i32)
    value = arith::BitcastOp::create(b, hooks.loc, type, value);
  Value validBit = arith::ShRUIOp::create(
      b, hooks.loc, packed,
      arith::ConstantOp::create(b, hooks.loc, b.getI64IntegerAttr(32)));
  Value valid = arith::TruncIOp::create(b, hooks.loc, b.getI1Type(), validBit);
  shuffle.getShuffleResult().replaceAllUsesWith(value);
  shuffle.getValid().replaceAllUsesWith(valid);
  shuffle.erase();
  return success();
}

Value KernelConverter::mmaResultBuffer(func::FuncOp func) {
  if (mmaBufferFunc == func)
    return mmaBuffer;
  OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
  Location loc = func.getLoc();
  Value count = LLVM::ConstantOp::create(b, loc, b.getI64Type(), 4);
  mmaBuffer =
      LLVM::AllocaOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                             b.getF32Type(), count, /*alignment=*/16);
  mmaBufferFunc = func;
  return mmaBuffer;
}

/// The multiplicand type of an MMA operand (A or B), from its attribute or,
/// where the op has none, from the operand's type as NVVM infers it.
std::optional<NVVM::MMATypes>
multiplicandType(std::optional<NVVM::MMATypes> attr, ValueRange operands) {
  if (attr)
    return attr;
  Type type = operands.front().getType();
  if (auto vector = dyn_cast<VectorType>(type))
    type = vector.getElementType();
  return NVVM::MmaOp::inferOperandMMAType(type, /*isAccumulator=*/false);
}

/// nvvm.mma.sync m16n8k16 (A row-major, B column-major, bf16 or f16
/// multiplicands, f32 accumulators) becomes the warp-collective hook, which
/// stores the lane's four results in `mmaResultBuffer`; they are loaded
/// back into the struct the op returned.
LogicalResult KernelConverter::replaceMma(NVVM::MmaOp mma, int64_t site,
                                          func::FuncOp func) {
  constexpr StringLiteral kSupported =
      "; kvcache-gpu-kernels-to-host runs mma.sync m16n8k16 with a row-major "
      "A, a column-major B, bf16 or f16 multiplicands and f32 accumulators "
      "only";
  NVVM::MMAShapeAttr shape = mma.getShapeAttr();
  if (shape.getM() != 16 || shape.getN() != 8 || shape.getK() != 16)
    return mma.emitOpError("has shape m") << shape.getM() << "n" << shape.getN()
                                          << "k" << shape.getK() << kSupported;
  if (mma.getLayoutA() != NVVM::MMALayout::row ||
      mma.getLayoutB() != NVVM::MMALayout::col)
    return mma.emitOpError("has layouts A ")
           << NVVM::stringifyMMALayout(mma.getLayoutA()) << ", B "
           << NVVM::stringifyMMALayout(mma.getLayoutB()) << kSupported;
  std::optional<NVVM::MMATypes> typeA =
      multiplicandType(mma.getMultiplicandAPtxType(), mma.getOperandA());
  std::optional<NVVM::MMATypes> typeB =
      multiplicandType(mma.getMultiplicandBPtxType(), mma.getOperandB());
  auto typeName = [](std::optional<NVVM::MMATypes> type) {
    return type ? NVVM::stringifyMMATypes(*type) : StringRef("unknown");
  };
  if (!typeA || typeA != typeB ||
      (*typeA != NVVM::MMATypes::bf16 && *typeA != NVVM::MMATypes::f16))
    return mma.emitOpError("has multiplicands A ")
           << typeName(typeA) << ", B " << typeName(typeB) << kSupported;
  Type f32 = Float32Type::get(mma.getContext());
  auto resultType = dyn_cast<LLVM::LLVMStructType>(mma.getRes().getType());
  bool f32Accumulators = mma.getOperandC().size() == 4 &&
                         llvm::all_of(mma.getOperandC().getTypes(),
                                      [&](Type type) { return type == f32; }) &&
                         resultType && resultType.getBody().size() == 4 &&
                         llvm::all_of(resultType.getBody(),
                                      [&](Type type) { return type == f32; });
  if (!f32Accumulators)
    return mma.emitOpError("has accumulators ")
           << mma.getOperandC().getTypes() << " and result "
           << mma.getRes().getType() << kSupported;

  Value buffer = mmaResultBuffer(func);
  OpBuilder b(mma);
  HookCaller hooks{module, b, mma.getLoc()};
  Type i32 = b.getI32Type();
  SmallVector<Value> args;
  for (Value operand :
       llvm::concat<Value>(mma.getOperandA(), mma.getOperandB()))
    args.push_back(
        operand.getType() == i32
            ? operand
            : LLVM::BitcastOp::create(b, hooks.loc, i32, operand).getResult());
  llvm::append_range(args, mma.getOperandC());
  args.push_back(buffer);
  sim::MmaType type =
      *typeA == NVVM::MMATypes::bf16 ? sim::MmaType::BF16 : sim::MmaType::F16;
  args.push_back(hooks.i32(static_cast<int32_t>(type)));
  args.push_back(hooks.i32(site));
  hooks.call(sim::kMmaM16N8K16Hook, Type(), args);
  Value result = LLVM::PoisonOp::create(b, hooks.loc, resultType);
  for (int32_t i = 0; i < 4; ++i) {
    Value address = LLVM::GEPOp::create(b, hooks.loc, buffer.getType(), f32,
                                        buffer, ArrayRef<LLVM::GEPArg>{i});
    Value value = LLVM::LoadOp::create(b, hooks.loc, f32, address);
    result = LLVM::InsertValueOp::create(b, hooks.loc, result, value, i);
  }
  mma.getRes().replaceAllUsesWith(result);
  mma.erase();
  return success();
}

LogicalResult KernelConverter::replaceGPUOps(func::FuncOp func) {
  SmallVector<Operation *> ops;
  func.walk([&](Operation *op) { ops.push_back(op); });
  // Shuffles and MMAs are both warp collectives: one numbering, so that a
  // lane at one while another waits at the other is told apart.
  int64_t barrierSites = 0, warpSites = 0;
  for (Operation *op : ops) {
    OpBuilder b(op);
    HookCaller hooks{module, b, op->getLoc()};
    auto replaceId = [&](std::string_view hook, gpu::Dimension dim) {
      op->getResult(0).replaceAllUsesWith(hooks.index(hook, dim));
      op->erase();
    };
    if (auto id = dyn_cast<gpu::ThreadIdOp>(op)) {
      replaceId(sim::kThreadIdHook, id.getDimension());
    } else if (auto id = dyn_cast<gpu::BlockIdOp>(op)) {
      replaceId(sim::kBlockIdHook, id.getDimension());
    } else if (auto dim = dyn_cast<gpu::BlockDimOp>(op)) {
      replaceId(sim::kBlockDimHook, dim.getDimension());
    } else if (auto dim = dyn_cast<gpu::GridDimOp>(op)) {
      replaceId(sim::kGridDimHook, dim.getDimension());
    } else if (isa<gpu::LaneIdOp>(op)) {
      // Lanes are numbered along x within a warp (the kernels are 1-D).
      Value tid = hooks.index(sim::kThreadIdHook, gpu::Dimension::x);
      Value warp = arith::ConstantIndexOp::create(b, hooks.loc, sim::kWarpSize);
      op->getResult(0).replaceAllUsesWith(
          arith::RemUIOp::create(b, hooks.loc, tid, warp));
      op->erase();
    } else if (isa<gpu::BarrierOp>(op)) {
      hooks.call(sim::kBarrierHook, Type(), {hooks.i32(barrierSites++)});
      op->erase();
    } else if (auto barrier = dyn_cast<NVVM::BarrierOp>(op)) {
      if (barrier.getBarrierId() || barrier.getNumberOfThreads() ||
          barrier.getReductionOp() != NVVM::BarrierReduction::OR)
        return op->emitOpError("has no host equivalent in ")
               << "kvcache-gpu-kernels-to-host (only the CTA-wide barrier "
                  "with an `or` reduction has one)";
      Value any = hooks.call(
          sim::kBarrierOrHook, b.getI32Type(),
          {barrier.getReductionPredicate(), hooks.i32(barrierSites++)});
      barrier.getRes().replaceAllUsesWith(any);
      op->erase();
    } else if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op)) {
      if (failed(replaceShuffle(shuffle, warpSites++)))
        return failure();
    } else if (auto mma = dyn_cast<NVVM::MmaOp>(op)) {
      if (failed(replaceMma(mma, warpSites++, func)))
        return failure();
    } else if (isa<gpu::ReturnOp>(op)) {
      func::ReturnOp::create(b, op->getLoc());
      op->erase();
    } else if (auto call = dyn_cast<LLVM::CallIntrinsicOp>(op)) {
      if (failed(replaceIntrinsic(call)))
        return failure();
    } else if (isa<gpu::GPUDialect, NVVM::NVVMDialect>(op->getDialect())) {
      return op->emitOpError("has no host equivalent in ")
             << "kvcache-gpu-kernels-to-host";
    }
  }
  return success();
}

struct ConvertGPUKernelsToHost
    : public kvcache::impl::ConvertGPUKernelsToHostBase<
          ConvertGPUKernelsToHost> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    KernelConverter converter(module);
    for (auto gpuModule :
         llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>())) {
      for (auto kernel :
           llvm::make_early_inc_range(gpuModule.getOps<gpu::GPUFuncOp>()))
        if (failed(converter.convert(kernel)))
          return signalPassFailure();
      if (!gpuModule.getBody()->empty()) {
        gpuModule.emitOpError("holds more than kernels; ")
            << "kvcache-gpu-kernels-to-host converts gpu.func kernels only";
        return signalPassFailure();
      }
      gpuModule.erase();
    }
    // A host module with launches of the erased kernels no longer verifies:
    // this pass wants the kernel modules on their own.
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
  }
};

} // namespace
