//===- Emitter.cpp - IR emission helpers for the GPU lowering -------------===//

#include "Emitter.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace kvcache::gpukernels;

Value Emitter::maxF(Value x, Value y) {
  // NVVM's fmax (PTX max.f32): arith.maxnumf becomes a libdevice call
  // (__nv_fmaxf). Masked -inf scores never win against a real score.
  return LLVM::CallIntrinsicOp::create(b, loc, b.getF32Type(),
                                       b.getStringAttr("llvm.nvvm.fmax.f"),
                                       ValueRange{x, y})
      .getResult(0);
}
Value Emitter::fma(Value x, Value y, Value z) {
  // A multiply and an add that LLVM may contract into one fma.rn.f32:
  // math.fma on a scalar becomes a libdevice call (__nv_fmaf), which links
  // only when CUDA's libdevice happens to be found.
  auto contract = arith::FastMathFlagsAttr::get(b.getContext(),
                                                arith::FastMathFlags::contract);
  Value product = arith::MulFOp::create(b, loc, x, y, contract);
  return arith::AddFOp::create(b, loc, product, z, contract);
}
Value Emitter::exp2(Value x) {
  // The NVVM intrinsic rather than math.exp2, which convert-gpu-to-nvvm may
  // turn into a libdevice call (__nv_exp2f) that nothing links.
  return LLVM::CallIntrinsicOp::create(
             b, loc, b.getF32Type(),
             b.getStringAttr("llvm.nvvm.ex2.approx.ftz.f"), ValueRange{x})
      .getResult(0);
}
Value Emitter::log2(Value x) {
  return LLVM::CallIntrinsicOp::create(
             b, loc, b.getF32Type(),
             b.getStringAttr("llvm.nvvm.lg2.approx.ftz.f"), ValueRange{x})
      .getResult(0);
}
Value Emitter::loadVector(VectorType type, Value memref, ValueRange indices) {
  return vector::LoadOp::create(b, loc, type, memref, indices,
                                /*nontemporal=*/false, llvm::Align(16));
}
void Emitter::storeVector(Value value, Value memref, ValueRange indices) {
  vector::StoreOp::create(b, loc, value, memref, indices,
                          /*nontemporal=*/false, llvm::Align(16));
}
Value Emitter::threadId() {
  return gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
}
Value Emitter::blockId(gpu::Dimension dimension) {
  return gpu::BlockIdOp::create(b, loc, dimension);
}
Value Emitter::gridDim(gpu::Dimension dimension) {
  return gpu::GridDimOp::create(b, loc, dimension);
}
void Emitter::barrier() { gpu::BarrierOp::create(b, loc); }
Value Emitter::shuffleXor(Value value, int64_t offset) {
  // A shuffle moves 32 bits: vectors go element by element.
  if (auto type = dyn_cast<VectorType>(value.getType())) {
    SmallVector<Value> elements;
    for (int64_t i = 0, e = type.getNumElements(); i < e; ++i)
      elements.push_back(shuffleXor(extract(value, i), offset));
    return vector::FromElementsOp::create(b, loc, type, elements);
  }
  return gpu::ShuffleOp::create(b, loc, value, offset, /*width=*/32,
                                gpu::ShuffleMode::XOR)
      .getShuffleResult();
}
Value Emitter::shuffleIdx(Value value, Value lane) {
  Value lane32 = arith::IndexCastUIOp::create(b, loc, b.getI32Type(), lane);
  return gpu::ShuffleOp::create(b, loc, value, lane32, i32(32),
                                gpu::ShuffleMode::IDX)
      .getShuffleResult();
}
Value Emitter::groupSum(Value value, int64_t width) {
  for (int64_t offset = width / 2; offset > 0; offset /= 2)
    value = addF(value, shuffleXor(value, offset));
  return value;
}
Value Emitter::groupMax(Value value, int64_t width) {
  for (int64_t offset = width / 2; offset > 0; offset /= 2)
    value = maxF(value, shuffleXor(value, offset));
  return value;
}
