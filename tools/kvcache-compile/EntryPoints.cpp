//===- EntryPoints.cpp - One C entry point per bundle function ------------===//

#include "EntryPoints.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace kvcache;
using namespace kvcache::compile;

namespace {

/// The type the C interface takes flat argument `argument` as: memrefs as a
/// pointer to their descriptor, index (64-bit on the hosts we build for) and
/// i64 as i64, f32 as f32.
Type cInterfaceType(MLIRContext *ctx, const ManifestArgument &argument) {
  if (argument.kind == ArgumentKind::MemRef)
    return LLVM::LLVMPointerType::get(ctx);
  if (argument.elementType == "f32")
    return Float32Type::get(ctx);
  return IntegerType::get(ctx, 64);
}

LogicalResult addEntryPoint(ModuleOp module, SymbolTable &symbols,
                            const ManifestFunction &function) {
  MLIRContext *ctx = module.getContext();
  std::string cInterfaceName = "_mlir_ciface_" + function.name;
  auto callee = symbols.lookup<LLVM::LLVMFuncOp>(cInterfaceName);
  if (!callee)
    return emitError(module.getLoc(), "no C interface '@")
           << cInterfaceName << "' for public function '@" << function.name
           << "' after the LLVM lowering";
  LLVM::LLVMFunctionType calleeType = callee.getFunctionType();
  if (!isa<LLVM::LLVMVoidType>(calleeType.getReturnType()) ||
      calleeType.getNumParams() != function.arguments.size())
    return emitError(callee.getLoc(), "C interface of '@")
           << function.name << "' has type " << calleeType << "; expected "
           << function.arguments.size() << " parameters and no result";
  for (const ManifestArgument &argument : function.arguments)
    if (calleeType.getParamType(argument.index) !=
        cInterfaceType(ctx, argument))
      return emitError(callee.getLoc(), "C interface of '@")
             << function.name << "' takes argument " << argument.index << " ('"
             << argument.name << "') as "
             << calleeType.getParamType(argument.index) << ", expected "
             << cInterfaceType(ctx, argument);
  if (symbols.lookup(function.entry))
    return emitError(module.getLoc(), "cannot add entry point '@")
           << function.entry << "': the symbol exists already";

  Location loc = callee.getLoc();
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto ptrType = LLVM::LLVMPointerType::get(ctx);
  auto entry = LLVM::LLVMFuncOp::create(
      builder, loc, function.entry,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptrType}));
  symbols.insert(entry);
  Block *body = entry.addEntryBlock(builder);
  builder.setInsertionPointToStart(body);
  Value args = body->getArgument(0);
  SmallVector<Value> operands;
  for (const ManifestArgument &argument : function.arguments) {
    Value slot = LLVM::GEPOp::create(
        builder, loc, ptrType, ptrType, args,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(argument.index)});
    Value pointer = LLVM::LoadOp::create(builder, loc, ptrType, slot);
    // A memref's slot already points at its descriptor, which is what the
    // C interface takes; a scalar's slot points at its value.
    if (argument.kind == ArgumentKind::MemRef)
      operands.push_back(pointer);
    else
      operands.push_back(LLVM::LoadOp::create(
          builder, loc, cInterfaceType(ctx, argument), pointer));
  }
  LLVM::CallOp::create(builder, loc, callee, operands);
  LLVM::ReturnOp::create(builder, loc, ValueRange());
  return success();
}

} // namespace

LogicalResult kvcache::compile::addEntryPoints(ModuleOp module,
                                               const Manifest &manifest) {
  SymbolTable symbols(module);
  for (const ManifestFunction &function : manifest.functions)
    if (failed(addEntryPoint(module, symbols, function)))
      return failure();
  return success();
}
