//===- Emitter.cpp - IR emission helpers for the GPU lowering -------------===//

#include "Emitter.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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
Value Emitter::barrierOr(Value predicate) {
  Type i32Type = b.getI32Type();
  Value any = NVVM::BarrierOp::create(
                  b, loc, TypeRange{i32Type}, /*barrierId=*/Value(),
                  /*numberOfThreads=*/Value(),
                  NVVM::BarrierReductionAttr::get(b.getContext(),
                                                  NVVM::BarrierReduction::OR),
                  arith::ExtUIOp::create(b, loc, i32Type, predicate))
                  .getRes();
  return cmp(arith::CmpIPredicate::ne, any, i32(0));
}
void Emitter::recordPageFault(Value faultWord, Value request, Value position) {
  // abi::encodeFaultWord: ~(request << 32 | min(position, 2^32 - 2)).
  Type i64 = b.getI64Type();
  auto constant = [&](int64_t value) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i64, value));
  };
  auto toI64 = [&](Value value) {
    return arith::IndexCastUIOp::create(b, loc, i64, value);
  };
  Value saturated =
      arith::MinUIOp::create(b, loc, toI64(position), constant(0xFFFFFFFEll));
  Value key = arith::OrIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, toI64(request), constant(32)),
      saturated);
  Value word = arith::XOrIOp::create(b, loc, key, constant(-1));
  memref::AtomicRMWOp::create(b, loc, arith::AtomicRMWKind::maxu, word,
                              faultWord, ValueRange{index(0)});
}
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
Value Emitter::bitcast(Type type, Value value) {
  // arith.bitcast keeps the shape; vector.bitcast changes the element count
  // of a vector. A scalar goes through a one-element vector.
  auto from = dyn_cast<VectorType>(value.getType());
  auto to = dyn_cast<VectorType>(type);
  if (!from && !to)
    return arith::BitcastOp::create(b, loc, type, value);
  if (!from)
    value = vector::BroadcastOp::create(
        b, loc, VectorType::get({1}, value.getType()), value);
  if (!to)
    return extract(
        vector::BitCastOp::create(b, loc, VectorType::get({1}, type), value),
        0);
  return vector::BitCastOp::create(b, loc, to, value);
}
Value Emitter::pack16(Value x, int64_t i, Value y, int64_t j) {
  auto vector = cast<VectorType>(x.getType());
  int64_t xSize = vector.getNumElements();
  Value pair =
      vector::ShuffleOp::create(b, loc, x, y, ArrayRef<int64_t>{i, xSize + j});
  return bitcast(b.getI32Type(), pair);
}
SmallVector<Value, 4> Emitter::mma16816(Type elementType, ArrayRef<Value> a,
                                        ArrayRef<Value> bOperand,
                                        ArrayRef<Value> c) {
  MLIRContext *ctx = b.getContext();
  bool isBF16 = elementType.isBF16();
  // NVVM takes bf16 pairs as i32 and f16 pairs as vector<2xf16>.
  auto operands = [&](ArrayRef<Value> words) {
    SmallVector<Value> values;
    for (Value word : words)
      values.push_back(
          isBF16 ? word : bitcast(VectorType::get({2}, elementType), word));
    return values;
  };
  Type f32 = b.getF32Type();
  auto resultType = LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32});
  NVVM::MMATypes type = isBF16 ? NVVM::MMATypes::bf16 : NVVM::MMATypes::f16;
  auto mma = NVVM::MmaOp::create(
      b, loc, resultType, operands(a), operands(bOperand), c, {16, 8, 16},
      /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
      std::array<NVVM::MMATypes, 2>{type, type},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value, 4> d;
  for (int64_t i = 0; i < 4; ++i)
    d.push_back(LLVM::ExtractValueOp::create(b, loc, mma, i));
  return d;
}
