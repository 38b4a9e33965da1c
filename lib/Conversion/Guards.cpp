//===- Guards.cpp - Run-time bounds on the indices a caller controls ------===//

#include "Guards.h"

using namespace mlir;
using namespace kvcache;
using namespace kvcache::conversion;

FailureOr<func::FuncOp> kvcache::conversion::declareHook(ModuleOp module,
                                                         StringRef name,
                                                         FunctionType type,
                                                         StringRef passName) {
  if (Operation *existing = module.lookupSymbol(name)) {
    auto function = dyn_cast<func::FuncOp>(existing);
    if (!function || function.getFunctionType() != type)
      return existing->emitError("'")
             << name << "' is the runtime hook " << passName
             << " calls; it must be a func.func of type " << type;
    return function;
  }
  OpBuilder b(module.getBodyRegion());
  b.setInsertionPointToStart(module.getBody());
  auto function = func::FuncOp::create(b, module.getLoc(), name, type);
  function.setPrivate();
  return function;
}

FailureOr<func::FuncOp>
kvcache::conversion::declareRaiseHook(ModuleOp module, StringRef passName) {
  MLIRContext *ctx = module.getContext();
  Type i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
  return declareHook(module, abi::kRaiseHook,
                     FunctionType::get(ctx, {i32, i64, i64, i64, i64}, {}),
                     passName);
}

void kvcache::conversion::raise(Emitter &e, func::FuncOp raiseHook,
                                abi::Fault fault, ArrayRef<Value> arguments) {
  Type i64 = e.b.getI64Type();
  SmallVector<Value> operands = {e.i32(static_cast<int32_t>(fault))};
  for (size_t i = 0; i < 4; ++i) {
    Value argument = i < arguments.size() ? arguments[i] : Value();
    if (!argument)
      operands.push_back(
          arith::ConstantOp::create(e.b, e.loc, e.b.getIntegerAttr(i64, -1)));
    else if (argument.getType().isIndex())
      operands.push_back(arith::IndexCastOp::create(e.b, e.loc, i64, argument));
    else if (argument.getType() != i64)
      operands.push_back(arith::ExtUIOp::create(e.b, e.loc, i64, argument));
    else
      operands.push_back(argument);
  }
  func::CallOp::create(e.b, e.loc, raiseHook, operands);
}

void kvcache::conversion::guardLayer(Emitter &e, func::FuncOp raiseHook,
                                     Value layer, int64_t numLayers,
                                     function_ref<void()> body) {
  Value bound = e.index(numLayers);
  e.ifThenElse(e.ult(layer, bound), body, [&] {
    raise(e, raiseHook, abi::Fault::LayerOutOfRange, {layer, bound});
  });
}
