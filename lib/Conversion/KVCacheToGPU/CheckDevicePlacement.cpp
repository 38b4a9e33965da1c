//===- CheckDevicePlacement.cpp - No host code over device memory ---------===//
//
// kvcache-check-device-placement: on the GPU target, the runtime puts some
// entry arguments in device memory, and convert-kvcache-to-gpu makes kernels
// of the kvcache ops only; everything else stays host code. An op that reads
// or writes device-placed memory would dereference device pointers on the
// host, so it is refused here, before lowering, while the kvcache ops can
// still be told apart from the host code they become.
//
// Device-placed values are found forward from the seeds (the public
// functions' device-placed arguments, the kvcache.get results of
// device-placed fields) through views, control flow and the module's calls,
// to a fixed point; then every op that touches one is classified.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Conversion/Passes.h"

#include "kvcache/ABI/ABI.h"
#include "kvcache/ABI/BundleManifest.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"

namespace kvcache {
#define GEN_PASS_DEF_CHECKDEVICEPLACEMENT
#include "kvcache/Conversion/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;

namespace {

/// Where a device-placed value comes from, for the diagnostics.
struct Origin {
  std::string name;
  Location loc;
  std::string where;
};

/// What an op does with a device-placed operand it is refused for.
enum class Misuse { Reads, Writes, Frees, UnknownEffects, ExternalCall };

bool isTracked(Value value) {
  return isa<BaseMemRefType, TensorType>(value.getType());
}

/// Device code: the gpu dialect's ops (launches, copies) and everything
/// inside a kernel, whether outlined or not.
bool isDeviceCode(Operation *op) {
  if (isa_and_nonnull<gpu::GPUDialect>(op->getDialect()))
    return true;
  return op->getParentOfType<gpu::LaunchOp>() ||
         op->getParentOfType<gpu::GPUModuleOp>();
}

/// Whether a cache field of `func`'s argument list lives on an MLA cache:
/// read off kv_dim of the kv_blocks with the same device and cache, as the
/// manifest does. Nothing when there is no such kv_blocks.
std::optional<bool> isMLACache(func::FuncOp func, Attribute device,
                               Attribute cache) {
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    auto field = func.getArgAttrOfType<StringAttr>(i, argattrs::field);
    if (!field ||
        abi::fieldFromName(field.getValue()) != abi::Field::kv_blocks ||
        func.getArgAttr(i, argattrs::device) != device ||
        func.getArgAttr(i, argattrs::cache) != cache)
      continue;
    auto type = dyn_cast<MemRefType>(func.getArgument(i).getType());
    if (!type || type.getRank() != abi::info(abi::Field::kv_blocks).rank ||
        type.isDynamicDim(abi::kKvDimDim))
      return std::nullopt;
    return type.getDimSize(abi::kKvDimDim) == 1;
  }
  return std::nullopt;
}

std::string cacheFieldName(Attribute device, Attribute cache,
                           abi::Field field) {
  auto deviceAttr = dyn_cast_or_null<IntegerAttr>(device);
  auto cacheAttr = dyn_cast_or_null<StringAttr>(cache);
  return abi::flatArgumentName(
      cacheAttr ? std::string_view(cacheAttr.getValue()) : std::string_view(),
      deviceAttr ? deviceAttr.getInt() : 0, field);
}

class PlacementChecker {
public:
  explicit PlacementChecker(ModuleOp module) : module(module), symbols(module) {
    module.walk([&](CallOpInterface call) {
      if (func::FuncOp callee = resolve(call))
        callSites[callee].push_back(call);
    });
  }

  LogicalResult run() {
    seed();
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      for (OpOperand &use : value.getUses())
        visit(use);
    }
    return report();
  }

private:
  func::FuncOp resolve(CallOpInterface call) {
    auto callee =
        dyn_cast_if_present<SymbolRefAttr>(call.getCallableForCallee());
    if (!callee)
      return nullptr;
    return symbols.lookup<func::FuncOp>(callee.getRootReference());
  }

  void mark(Value value, unsigned origin) {
    if (isTracked(value) && origins.try_emplace(value, origin).second)
      worklist.push_back(value);
  }

  unsigned addOrigin(std::string name, Location loc, std::string where) {
    roots.push_back({std::move(name), loc, std::move(where)});
    return roots.size() - 1;
  }

  /// The public functions' device-placed arguments (bundle::placementOf for
  /// the graph's own, abi::placementFor for cache fields, as the manifest
  /// places them) and the kvcache.get results of device-placed fields.
  void seed() {
    for (auto func : module.getOps<func::FuncOp>()) {
      if (!func.isPublic() || func.isExternal())
        continue;
      for (BlockArgument argument : func.getArguments())
        seedArgument(func, argument);
    }
    module.walk([&](GetOp get) {
      auto type = cast<InputsType>(get.getBundle().getType());
      abi::Field field = get.getFieldKind();
      if (abi::placementFor(field, type.isMLA()) != abi::Placement::Device)
        return;
      Attribute device, cache;
      if (auto declaration =
              get.getBundle().getDefiningOp<InputsPerDeviceOp>()) {
        device = declaration.getDeviceAttr();
        cache = declaration.getCacheAttr();
      }
      std::string name = cacheFieldName(device, cache, field);
      mark(get.getResult(),
           addOrigin(name, get.getLoc(), "read from the bundle here"));
    });
  }

  void seedArgument(func::FuncOp func, BlockArgument argument) {
    if (!isTracked(argument))
      return;
    unsigned index = argument.getArgNumber();
    std::string name;
    if (auto field =
            func.getArgAttrOfType<StringAttr>(index, argattrs::field)) {
      std::optional<abi::Field> kind = abi::fieldFromName(field.getValue());
      if (!kind)
        return;
      Attribute device = func.getArgAttr(index, argattrs::device);
      Attribute cache = func.getArgAttr(index, argattrs::cache);
      std::optional<bool> isMLA = isMLACache(func, device, cache);
      // Placed by the cache's kind, which is unknown: the manifest reports
      // that.
      if (!isMLA &&
          abi::info(*kind).placement == abi::Placement::HostForMHADeviceForMLA)
        return;
      if (abi::placementFor(*kind, isMLA.value_or(false)) !=
          abi::Placement::Device)
        return;
      name = cacheFieldName(device, cache, *kind);
    } else {
      // A memref in the manifest (a tensor is one once bufferized).
      if (bundle::placementOf(bundle::ArgumentKind::MemRef) !=
          bundle::ArgumentPlacement::Device)
        return;
      auto given = func.getArgAttrOfType<StringAttr>(index, argattrs::name);
      name =
          given ? given.getValue().str() : ("argument " + Twine(index)).str();
    }
    mark(argument, addOrigin(name, argument.getLoc(),
                             ("argument " + Twine(index) + " of '@" +
                              func.getSymName() + "'")
                                 .str()));
  }

  void refuse(OpOperand &use, Misuse misuse) {
    Operation *op = use.getOwner();
    auto &first = refused[op];
    // One error per op, about its first device-placed operand.
    if (!first || first->first->getOperandNumber() > use.getOperandNumber())
      first = std::make_pair(&use, misuse);
  }

  /// Marks `op`'s results, which view or alias a device-placed operand.
  void forwardToResults(Operation *op, unsigned origin) {
    for (Value result : op->getResults())
      mark(result, origin);
  }

  void visit(OpOperand &use) {
    Operation *op = use.getOwner();
    unsigned origin = origins.lookup(use.get());
    if (isDeviceCode(op))
      return;
    if (isa_and_nonnull<KVCacheDialect>(op->getDialect())) {
      // A tensor form's result is its device-placed init, bufferized.
      forwardToResults(op, origin);
      return;
    }
    if (auto call = dyn_cast<CallOpInterface>(op)) {
      func::FuncOp callee = resolve(call);
      unsigned begin = call.getArgOperands().getBeginOperandIndex();
      if (!callee || callee.isExternal() || use.getOperandNumber() < begin ||
          use.getOperandNumber() - begin >= callee.getNumArguments())
        return refuse(use, Misuse::ExternalCall);
      mark(callee.getArgument(use.getOperandNumber() - begin), origin);
      return;
    }
    if (isa<func::ReturnOp>(op)) {
      auto func = cast<func::FuncOp>(op->getParentOp());
      for (CallOpInterface call : callSites.lookup(func))
        mark(call->getResult(use.getOperandNumber()), origin);
      return;
    }
    if (forwardsThroughControlFlow(use, origin))
      return;
    if (isa<TensorType>(use.get().getType()))
      return visitTensorUse(use, origin);
    visitMemRefUse(use, origin);
  }

  /// scf regions and results, cf successors: the value only moves.
  bool forwardsThroughControlFlow(OpOperand &use, unsigned origin) {
    Operation *op = use.getOwner();
    if (auto branch = dyn_cast<BranchOpInterface>(op)) {
      if (std::optional<BlockArgument> argument =
              branch.getSuccessorBlockArgument(use.getOperandNumber())) {
        mark(*argument, origin);
        return true;
      }
      return false;
    }
    auto regionOp = dyn_cast<RegionBranchOpInterface>(op);
    if (!regionOp && isa<RegionBranchTerminatorOpInterface>(op))
      regionOp = dyn_cast_or_null<RegionBranchOpInterface>(op->getParentOp());
    if (!regionOp)
      return false;
    RegionBranchSuccessorMapping mapping;
    regionOp.getSuccessorOperandInputMapping(mapping);
    auto it = mapping.find(&use);
    if (it == mapping.end())
      return false;
    for (Value input : it->second)
      mark(input, origin);
    return true;
  }

  /// Tensors have value semantics, so their ops declare no memory effects:
  /// the ops that only measure, reshape or slice them (views, once
  /// bufferized) are known by name; any other reads them.
  void visitTensorUse(OpOperand &use, unsigned origin) {
    Operation *op = use.getOwner();
    if (isa<tensor::DimOp, tensor::RankOp>(op))
      return;
    // Their first operand is the tensor they view (a reshape's second, its
    // shape, is read).
    if (isa<tensor::CastOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
            tensor::ExtractSliceOp, tensor::ReshapeOp,
            bufferization::ToBufferOp>(op) &&
        use.getOperandNumber() == 0)
      return forwardToResults(op, origin);
    auto dps = dyn_cast<DestinationStyleOpInterface>(op);
    refuse(use, dps && dps.isDpsInit(&use) ? Misuse::Writes : Misuse::Reads);
  }

  /// Memrefs: an op with no memory effect on the value only reads its
  /// descriptor (memref.dim) or makes a view of it (subview, cast,
  /// reinterpret_cast, collapse/expand_shape), which is passed on.
  void visitMemRefUse(OpOperand &use, unsigned origin) {
    Operation *op = use.getOwner();
    if (isa<bufferization::ToTensorOp>(op))
      return forwardToResults(op, origin);
    auto effects = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effects)
      return refuse(use, Misuse::UnknownEffects);
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    std::optional<Misuse> misuse;
    for (const MemoryEffects::EffectInstance &instance : instances) {
      // An effect on no value in particular may be on this one.
      if (instance.getValue() && instance.getValue() != use.get())
        continue;
      if (isa<MemoryEffects::Free>(instance.getEffect()))
        misuse = Misuse::Frees;
      else if (isa<MemoryEffects::Write>(instance.getEffect()) &&
               misuse != Misuse::Frees)
        misuse = Misuse::Writes;
      else if (isa<MemoryEffects::Read>(instance.getEffect()) && !misuse)
        misuse = Misuse::Reads;
    }
    if (misuse)
      return refuse(use, *misuse);
    forwardToResults(op, origin);
  }

  LogicalResult report() {
    bool ok = true;
    module.walk([&](Operation *op) {
      auto it = refused.find(op);
      if (it == refused.end())
        return;
      ok = false;
      auto [use, misuse] = *it->second;
      const Origin &origin = roots[origins.lookup(use->get())];
      std::string placed = "'" + origin.name +
                           "' (device-placed: the GPU target runs only "
                           "kvcache ops on device memory)";
      constexpr StringLiteral hint =
          "lower the op to a GPU kernel first, or compile for the CPU";
      InFlightDiagnostic diag = op->emitOpError();
      switch (misuse) {
      case Misuse::Reads:
        diag << "reads " << placed << "; " << hint;
        break;
      case Misuse::Writes:
        diag << "writes " << placed << "; " << hint;
        break;
      case Misuse::Frees:
        diag << "frees " << placed << "; " << hint;
        break;
      case Misuse::UnknownEffects:
        diag << "may read or write " << placed
             << ", and declares no memory effects; " << hint;
        break;
      case Misuse::ExternalCall: {
        diag << "passes " << placed << " to ";
        auto callee = dyn_cast_if_present<SymbolRefAttr>(
            cast<CallOpInterface>(op).getCallableForCallee());
        if (callee)
          diag << callee << ", which has no body in the module";
        else
          diag << "an indirect callee";
        diag << " and would run on the host; compile for the CPU";
        break;
      }
      }
      diag.attachNote(origin.loc)
          << "'" << origin.name << "' is " << origin.where;
    });
    return success(ok);
  }

  ModuleOp module;
  SymbolTable symbols;
  llvm::DenseMap<func::FuncOp, SmallVector<CallOpInterface>> callSites;
  SmallVector<Origin> roots;
  /// Each device-placed value found, with the index of its origin in roots.
  llvm::DenseMap<Value, unsigned> origins;
  SmallVector<Value> worklist;
  llvm::DenseMap<Operation *, std::optional<std::pair<OpOperand *, Misuse>>>
      refused;
};

struct CheckDevicePlacementPass
    : public kvcache::impl::CheckDevicePlacementBase<CheckDevicePlacementPass> {
  void runOnOperation() override {
    if (failed(PlacementChecker(getOperation()).run()))
      signalPassFailure();
  }
};

} // namespace
