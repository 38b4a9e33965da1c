//===- Emitter.cpp - IR emission helpers shared by the lowerings ----------===//

#include "Emitter.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace kvcache::conversion;

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
Value Emitter::orI(Value x, Value y) {
  return arith::OrIOp::create(b, loc, x, y);
}
Value Emitter::xorI(Value x, Value y) {
  return arith::XOrIOp::create(b, loc, x, y);
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
Value Emitter::divF(Value x, Value y) {
  return arith::DivFOp::create(b, loc, x, y);
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
Value Emitter::dim(Value memref, int64_t dimension) {
  return memref::DimOp::create(b, loc, memref, dimension);
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
