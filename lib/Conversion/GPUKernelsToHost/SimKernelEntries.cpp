//===- SimKernelEntries.cpp - cuLaunchKernel's entry into host kernels ----===//
//
// kvcache-sim-kernel-entries: after the LLVM lowering a kernel takes its
// memref descriptors as separate scalars, exactly as the NVVM lowering
// passes them to a real kernel, and the host code launches it with
// cuLaunchKernel's `void **kernelParams`. `K_packed(void **params)` unpacks
// that array and calls `K`, so the host side of a sim bundle is that of a
// GPU bundle, unchanged; `K_param_types` lets the simulator check launches.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Conversion/Passes.h"

#include "kvcache/ABI/SimKernelABI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace kvcache {
#define GEN_PASS_DEF_ADDSIMKERNELENTRIES
#include "kvcache/Conversion/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;

namespace {

constexpr StringLiteral kSimKernelAttr = "kvcache.sim_kernel";

/// How SimKernelABI.h spells a lowered parameter type, or "" for a type a
/// kernel parameter cannot have.
std::string typeName(Type type) {
  if (isa<LLVM::LLVMPointerType>(type))
    return "ptr";
  if (auto integer = dyn_cast<IntegerType>(type))
    return "i" + std::to_string(integer.getWidth());
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isF32())
    return "f32";
  if (type.isF64())
    return "f64";
  return "";
}

LogicalResult addEntry(ModuleOp module, LLVM::LLVMFuncOp kernel) {
  MLIRContext *ctx = module.getContext();
  Location loc = kernel.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  std::string types;
  for (auto [i, type] : llvm::enumerate(kernel.getArgumentTypes())) {
    std::string name = typeName(type);
    if (name.empty())
      return kernel.emitOpError("parameter #")
             << i << " has type " << type
             << ", which a simulated launch cannot pass";
    types += (i ? "," : "") + name;
  }

  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  std::string packedName =
      (kernel.getName() +
       StringRef(sim::kPackedSuffix.data(), sim::kPackedSuffix.size()))
          .str();
  auto packed = LLVM::LLVMFuncOp::create(
      b, loc, packedName,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr}));
  Block *body = packed.addEntryBlock(b);
  b.setInsertionPointToStart(body);
  Value params = body->getArgument(0);
  SmallVector<Value> args;
  for (auto [i, type] : llvm::enumerate(kernel.getArgumentTypes())) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, params,
                                     ArrayRef<LLVM::GEPArg>{int32_t(i)});
    Value storage = LLVM::LoadOp::create(b, loc, ptr, slot);
    args.push_back(LLVM::LoadOp::create(b, loc, type, storage));
  }
  LLVM::CallOp::create(b, loc, kernel, args);
  LLVM::ReturnOp::create(b, loc, ValueRange());

  b.setInsertionPointToEnd(module.getBody());
  std::string typesName =
      (kernel.getName() +
       StringRef(sim::kParamTypesSuffix.data(), sim::kParamTypesSuffix.size()))
          .str();
  types.push_back('\0');
  auto arrayType =
      LLVM::LLVMArrayType::get(IntegerType::get(ctx, 8), types.size());
  LLVM::GlobalOp::create(b, loc, arrayType, /*isConstant=*/true,
                         LLVM::Linkage::External, typesName,
                         b.getStringAttr(types));
  kernel->removeAttr(kSimKernelAttr);
  return success();
}

/// Defines `__truncsfbf2` (f32 to bf16, to nearest even) in the module.
/// x86 without AVX512-BF16 legalises bf16 vector selects (arith-expand's
/// NaN case of a bf16 truncation) through f32 and back, a call to this
/// compiler builtin that the host's libgcc may lack. Weak and hidden: the
/// object's own calls bind to it, and it is not exported.
void defineBF16Truncation(ModuleOp module) {
  constexpr StringLiteral name = "__truncsfbf2";
  if (module.lookupSymbol(name))
    return;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Location loc = module.getLoc();
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i16 = b.getI16Type();
  auto func = LLVM::LLVMFuncOp::create(
      b, loc, name, LLVM::LLVMFunctionType::get(b.getBF16Type(), {f32}),
      LLVM::Linkage::Weak);
  func.setVisibility_(LLVM::Visibility::Hidden);
  Block *body = func.addEntryBlock(b);
  b.setInsertionPointToStart(body);
  auto constant = [&](int64_t value) {
    return LLVM::ConstantOp::create(b, loc, i32, value);
  };
  Value x = body->getArgument(0);
  Value bits = LLVM::BitcastOp::create(b, loc, i32, x);
  // bits + 0x7fff + ((bits >> 16) & 1), then the upper half.
  Value odd = LLVM::AndOp::create(
      b, loc, LLVM::LShrOp::create(b, loc, bits, constant(16)), constant(1));
  Value rounded = LLVM::AddOp::create(
      b, loc, bits, LLVM::AddOp::create(b, loc, odd, constant(0x7fff)));
  Value upper = LLVM::TruncOp::create(
      b, loc, i16, LLVM::LShrOp::create(b, loc, rounded, constant(16)));
  Value isNaN = LLVM::FCmpOp::create(b, loc, LLVM::FCmpPredicate::uno, x, x);
  Value result = LLVM::SelectOp::create(
      b, loc, isNaN, LLVM::ConstantOp::create(b, loc, i16, 0x7fc0), upper);
  LLVM::ReturnOp::create(
      b, loc,
      LLVM::BitcastOp::create(b, loc, b.getBF16Type(), result).getResult());
}

struct AddSimKernelEntries
    : public kvcache::impl::AddSimKernelEntriesBase<AddSimKernelEntries> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<LLVM::LLVMFuncOp> kernels;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func->hasAttr(kSimKernelAttr))
        kernels.push_back(func);
    for (LLVM::LLVMFuncOp kernel : kernels)
      if (failed(addEntry(module, kernel)))
        return signalPassFailure();
    defineBF16Truncation(module);
  }
};

} // namespace
