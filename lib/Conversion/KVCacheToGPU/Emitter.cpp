//===- Emitter.cpp - IR emission helpers for the GPU lowering -------------===//

#include "Emitter.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace kvcache::gpukernels;

Value Emitter::index(int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}
Value Emitter::i32(int32_t value) {
  return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(value));
}
Value Emitter::f32(float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}
Value Emitter::zeros(VectorType type) {
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
}

Value Emitter::add(Value x, Value y) {
  return arith::AddIOp::create(b, loc, x, y);
}
Value Emitter::sub(Value x, Value y) {
  return arith::SubIOp::create(b, loc, x, y);
}
Value Emitter::mul(Value x, Value y) {
  return arith::MulIOp::create(b, loc, x, y);
}
Value Emitter::divU(Value x, Value y) {
  return arith::DivUIOp::create(b, loc, x, y);
}
Value Emitter::remU(Value x, Value y) {
  return arith::RemUIOp::create(b, loc, x, y);
}
Value Emitter::ceilDivU(Value x, Value y) {
  return arith::CeilDivUIOp::create(b, loc, x, y);
}
Value Emitter::minU(Value x, Value y) {
  return arith::MinUIOp::create(b, loc, x, y);
}
Value Emitter::maxU(Value x, Value y) {
  return arith::MaxUIOp::create(b, loc, x, y);
}
Value Emitter::cmp(arith::CmpIPredicate predicate, Value x, Value y) {
  return arith::CmpIOp::create(b, loc, predicate, x, y);
}
Value Emitter::andI(Value x, Value y) {
  return arith::AndIOp::create(b, loc, x, y);
}
Value Emitter::select(Value condition, Value x, Value y) {
  return arith::SelectOp::create(b, loc, condition, x, y);
}

Value Emitter::addF(Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
Value Emitter::subF(Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
Value Emitter::mulF(Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
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
Value Emitter::cmpF(arith::CmpFPredicate predicate, Value x, Value y) {
  return arith::CmpFOp::create(b, loc, predicate, x, y);
}
Value Emitter::splat(VectorType type, Value scalar) {
  return vector::BroadcastOp::create(b, loc, type, scalar);
}
Value Emitter::extract(Value vector, int64_t position) {
  return vector::ExtractOp::create(b, loc, vector, position);
}
Value Emitter::extToF32(Value value) {
  Type f32 = b.getF32Type();
  Type target = f32;
  if (auto vector = dyn_cast<VectorType>(value.getType()))
    target = vector.clone(f32);
  if (value.getType() == target)
    return value;
  return arith::ExtFOp::create(b, loc, target, value);
}
Value Emitter::truncTo(Type elementType, Value value) {
  Type target = elementType;
  if (auto vector = dyn_cast<VectorType>(value.getType()))
    target = vector.clone(elementType);
  if (value.getType() == target)
    return value;
  return arith::TruncFOp::create(b, loc, target, value);
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

Value Emitter::load(Value memref, ValueRange indices) {
  return memref::LoadOp::create(b, loc, memref, indices);
}
Value Emitter::loadUnsigned(Value memref, ValueRange indices) {
  return arith::IndexCastUIOp::create(b, loc, b.getIndexType(),
                                      load(memref, indices));
}
void Emitter::store(Value value, Value memref, ValueRange indices) {
  memref::StoreOp::create(b, loc, value, memref, indices);
}
Value Emitter::loadVector(VectorType type, Value memref, ValueRange indices) {
  return vector::LoadOp::create(b, loc, type, memref, indices,
                                /*nontemporal=*/false, llvm::Align(16));
}
void Emitter::storeVector(Value value, Value memref, ValueRange indices) {
  vector::StoreOp::create(b, loc, value, memref, indices,
                          /*nontemporal=*/false, llvm::Align(16));
}
Value Emitter::dim(Value memref, int64_t dimension) {
  return memref::DimOp::create(b, loc, memref, dimension);
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

SmallVector<Value> Emitter::loop(Value lb, Value ub, Value step,
                                 ValueRange inits, LoopBody body) {
  auto forOp = scf::ForOp::create(
      b, loc, lb, ub, step, inits,
      [&](OpBuilder &nested, Location, Value iv, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        scf::YieldOp::create(b, loc, body(iv, args));
      });
  return SmallVector<Value>(forOp.getResults());
}
void Emitter::loop(Value lb, Value ub, Value step,
                   function_ref<void(Value)> body) {
  loop(lb, ub, step, ValueRange(), [&](Value iv, ValueRange) {
    body(iv);
    return SmallVector<Value>();
  });
}
void Emitter::ifThen(Value condition, function_ref<void()> body) {
  scf::IfOp::create(b, loc, condition, [&](OpBuilder &nested, Location) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(nested.getInsertionBlock(), nested.getInsertionPoint());
    body();
    scf::YieldOp::create(b, loc);
  });
}
void Emitter::ifThenElse(Value condition, function_ref<void()> thenBody,
                         function_ref<void()> elseBody) {
  auto ifOp = scf::IfOp::create(b, loc, TypeRange(), condition,
                                /*addThenBlock=*/true, /*addElseBlock=*/true);
  OpBuilder::InsertionGuard guard(b);
  for (auto [block, body] : {std::pair(ifOp.thenBlock(), thenBody),
                             std::pair(ifOp.elseBlock(), elseBody)}) {
    b.setInsertionPointToEnd(block);
    body();
    scf::YieldOp::create(b, loc);
  }
}
SmallVector<Value>
Emitter::ifThenElse(Value condition, TypeRange resultTypes,
                    function_ref<SmallVector<Value>()> thenBody,
                    function_ref<SmallVector<Value>()> elseBody) {
  auto ifOp = scf::IfOp::create(b, loc, resultTypes, condition,
                                /*addThenBlock=*/true, /*addElseBlock=*/true);
  OpBuilder::InsertionGuard guard(b);
  for (auto [block, body] : {std::pair(ifOp.thenBlock(), thenBody),
                             std::pair(ifOp.elseBlock(), elseBody)}) {
    b.setInsertionPointToEnd(block);
    scf::YieldOp::create(b, loc, body());
  }
  return SmallVector<Value>(ifOp.getResults());
}
