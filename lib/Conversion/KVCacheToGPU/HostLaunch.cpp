//===- HostLaunch.cpp - Host code that launches the kvcache kernels -------===//
//
// Each kvcache op becomes host code in its function: it reads the bundle's
// fields with kvcache.get, computes grid sizes and the split count from
// dims and host fields (max_lengths, attention_dispatch_metadata), and
// launches kernels with gpu.launch_func, chained on one stream with a single
// gpu.wait per op. Empty batches launch nothing (a zero-sized grid is a
// launch error).
//
//===----------------------------------------------------------------------===//

#include "../Guards.h"
#include "Emitter.h"
#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace kvcache;
using namespace kvcache::gpukernels;
using abi::Field;

namespace {

/// A device buffer the runtime owns, at integer address `address`, as a
/// memref<?xi8> of `bytes` bytes. The runtime hook returns an integer (the
/// simplest C ABI); the descriptor is built in the LLVM dialect and cast
/// back, a cast that the LLVM lowering reconciles away.
Value memrefAtAddress(Emitter &e, Value address, Value bytes) {
  OpBuilder &b = e.b;
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto sizes = LLVM::LLVMArrayType::get(i64, 1);
  auto descriptorType =
      LLVM::LLVMStructType::getLiteral(ctx, {ptr, ptr, i64, sizes, sizes});
  Value pointer = LLVM::IntToPtrOp::create(b, e.loc, ptr, address);
  Value descriptor = LLVM::PoisonOp::create(b, e.loc, descriptorType);
  auto insert = [&](Value value, ArrayRef<int64_t> position) {
    descriptor =
        LLVM::InsertValueOp::create(b, e.loc, descriptor, value, position);
  };
  insert(pointer, 0); // allocated
  insert(pointer, 1); // aligned
  insert(LLVM::ConstantOp::create(b, e.loc, i64, 0), 2);
  insert(arith::IndexCastOp::create(b, e.loc, i64, bytes), {3, 0});
  insert(LLVM::ConstantOp::create(b, e.loc, i64, 1), {4, 0});
  auto memrefType = MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
  return UnrealizedConversionCastOp::create(b, e.loc, memrefType, descriptor)
      .getResult(0);
}

/// The runtime's fault word as the memref<1xi64> the kernels take.
Value faultWord(Emitter &e, const RuntimeHooks &hooks) {
  Value address =
      func::CallOp::create(e.b, e.loc, hooks.errorWord, ValueRange())
          .getResult(0);
  Value bytes = memrefAtAddress(e, address, e.index(8));
  auto type = MemRefType::get({1}, e.b.getI64Type());
  return memref::ViewOp::create(e.b, e.loc, type, bytes, e.index(0),
                                ValueRange{});
}

/// The guards every op's host code runs before launching: the layer is in
/// range, and the pool has a page for the kernels to read instead of one
/// off the pool (so a pool of 0 pages with work to do is a fault too).
void guardLaunch(Emitter &e, const RuntimeHooks &hooks, InputsType type,
                 Value kvBlocks, Value layer, function_ref<void()> body) {
  conversion::guardLayer(e, hooks.raise, layer, type.getNumLayers(), [&] {
    Value numPages = e.dim(kvBlocks, 0);
    e.ifThenElse(e.ult(e.index(0), numPages), body, [&] {
      conversion::raise(e, hooks.raise, abi::Fault::PageOutOfRange,
                        {Value(), Value(), Value(), numPages});
    });
  });
}

/// A view of `count` f32s at byte `offset` of the workspace.
Value viewF32(Emitter &e, Value workspace, Value offset, Value count) {
  auto type = MemRefType::get({ShapedType::kDynamic}, e.b.getF32Type());
  return memref::ViewOp::create(e.b, e.loc, type, workspace, offset,
                                ValueRange{count});
}

/// One kernel launch of a sequence.
struct KernelLaunch {
  gpu::GPUFuncOp kernel;
  gpu::KernelDim3 grid;
  SmallVector<Value> args;
};

/// Launches `launches` in order on one stream, then waits for the last.
/// A synchronous gpu.launch_func waits after each kernel (upstream's host
/// lowering synchronizes the stream after every launch), which left the GPU
/// idle for a host round trip between decode and combine; chained async
/// launches are ordered by the stream and the host blocks once per op.
void launchInOrder(Emitter &e, int64_t blockSize,
                   ArrayRef<KernelLaunch> launches) {
  Value one = e.index(1);
  gpu::KernelDim3 block{e.index(blockSize), one, one};
  Type tokenType = e.b.getType<gpu::AsyncTokenType>();
  Value token =
      gpu::WaitOp::create(e.b, e.loc, tokenType, ValueRange()).getAsyncToken();
  for (const KernelLaunch &launch : launches)
    token =
        gpu::LaunchFuncOp::create(e.b, e.loc, launch.kernel, launch.grid, block,
                                  /*dynamicSharedMemorySize=*/Value(),
                                  launch.args, tokenType, ValueRange{token})
            .getAsyncToken();
  gpu::WaitOp::create(e.b, e.loc, Type(), ValueRange{token});
}

void launch(Emitter &e, gpu::GPUFuncOp kernel, gpu::KernelDim3 grid,
            int64_t blockSize, ValueRange args) {
  launchInOrder(e, blockSize, {{kernel, grid, llvm::to_vector(args)}});
}

SmallVector<Type> typesOf(ArrayRef<Value> values) {
  return llvm::to_vector(ValueRange(values).getTypes());
}

/// The fewest keys worth a split: below it a CTA's fixed cost (loading q,
/// merging its warps, writing partials) outweighs its share of the keys.
constexpr int64_t kMinSplitKeys = 256;
/// The split rule's wave efficiency target, in tenths: launched CTAs over
/// the CTA slots of the waves they need.
constexpr int64_t kWaveEfficiencyTenths = 9;
/// How many split counts past the fill count the rule tries.
constexpr int64_t kWaveSearch = 16;

/// The host's split-count field of an attention (null when the option
/// forces a count or the bundle holds none) and the entry that holds it.
struct HostSplitCount {
  Value field;
  int64_t entry = 0;
};

/// (active partitions, launched slots) for a decode launch.
std::pair<Value, Value> splitCount(Emitter &e, const LaunchOptions &options,
                                   const RuntimeHooks &hooks,
                                   const KernelShape &shape, Value batch,
                                   int64_t numKvHeads, Value maxCacheLength,
                                   HostSplitCount host) {
  if (options.splits > 0) {
    Value forced = e.index(options.splits);
    return {forced, forced};
  }
  OpBuilder &b = e.b;
  Value one = e.index(1);
  // Enough CTAs to fill every SM with as many decode CTAs as the kernel is
  // built to fit (the variant's blocksPerSM: what keeps an SM's K/V loads in
  // flight), at most splits-cap per (request, kv head). MAX's rule fills one
  // CTA per SM, which left an H200 latency-bound at batch 1 (6% occupancy).
  Value numSms =
      func::CallOp::create(b, e.loc, hooks.numSms, ValueRange()).getResult(0);
  Value sms = arith::MaxSIOp::create(
      b, e.loc, arith::IndexCastOp::create(b, e.loc, b.getIndexType(), numSms),
      one);
  Value ctasPerSm =
      e.index(variantFor(KernelKind::Decode, shape).blocksPerSM(shape));
  Value target = e.mul(sms, ctasPerSm);
  Value perSplit = e.mul(batch, e.index(numKvHeads));
  // The fill count, or, when its last wave would leave many CTA slots idle
  // (64 requests x 8 kv heads on 396 slots: 512 CTAs in two waves, 65%
  // busy), the smallest larger count whose waves are >= 90% busy (3
  // splits: 1536 CTAs in four waves, 97%).
  Value fill = e.maxU(one, e.divU(target, perSplit));
  Value ten = e.index(10), tenths = e.index(kWaveEfficiencyTenths);
  Value none = e.index(0);
  Value chosen =
      e.loop(fill, e.add(fill, e.index(kWaveSearch)), one, ValueRange{none},
             [&](Value n, ValueRange found) -> SmallVector<Value> {
               Value ctas = e.mul(perSplit, n);
               Value busy = e.mul(e.ceilDivU(ctas, target), target);
               Value efficient = e.cmp(arith::CmpIPredicate::uge,
                                       e.mul(ctas, ten), e.mul(busy, tenths));
               Value first = e.andI(
                   efficient, e.cmp(arith::CmpIPredicate::eq, found[0], none));
               return {e.select(first, n, found[0])};
             })
          .front();
  chosen =
      e.select(e.cmp(arith::CmpIPredicate::eq, chosen, none), fill, chosen);
  Value slots = e.maxU(one, e.minU(e.index(options.splitsCap), chosen));
  if (host.field) {
    // The host's choice, clamped to what was launched; never fewer than one.
    Value chosen = arith::IndexCastOp::create(
        b, e.loc, b.getIndexType(),
        e.load(host.field, ValueRange{e.index(host.entry)}));
    Value atLeastOne = arith::MaxSIOp::create(b, e.loc, chosen, one);
    return {arith::MinSIOp::create(b, e.loc, atLeastOne, slots), slots};
  }
  Value byLength = e.maxU(one, e.divU(maxCacheLength, e.index(kMinSplitKeys)));
  return {e.minU(slots, byLength), slots};
}

} // namespace

AttentionSpec kvcache::gpukernels::getAttentionSpec(Operation *op) {
  AttentionSpec spec;
  auto type = cast<InputsType>(op->getOperand(0).getType());
  spec.elementType = type.getCacheElementType();
  spec.headDim = type.getHeadDim();
  spec.valueDim = spec.headDim;
  spec.mla = type.isMLA();
  spec.pageSize = type.getPageSize();
  spec.numKvHeads = type.getNumKvHeads();
  spec.numQHeads = spec.numKvHeads;
  if (auto attention = dyn_cast<AttentionOp>(op)) {
    spec.numQHeads = cast<ShapedType>(attention.getQ().getType()).getDimSize(1);
    spec.scale = attention.getScaleOrDefault();
    spec.valueDim = attention.getValueDim();
    spec.causal = attention.getCausal();
  }
  return spec;
}

GpuTarget kvcache::gpukernels::getGpuTarget(const LaunchOptions &options) {
  GpuTarget target;
  target.smVersion = options.smVersion;
  target.blockSize = options.blockSize;
  target.tensorCores = options.tensorCores;
  target.pageGuard = options.pageGuard;
  return target;
}

KernelShape kvcache::gpukernels::getKernelShape(Operation *op,
                                                const LaunchOptions &options) {
  return {getAttentionSpec(op), getGpuTarget(options)};
}

void kvcache::gpukernels::lowerStore(StoreOp op, KernelCache &kernels,
                                     const LaunchOptions &options,
                                     const RuntimeHooks &hooks) {
  OpBuilder b(op);
  Emitter e(b, op.getLoc());
  KernelShape shape = getKernelShape(op, options);
  Value bundle = op.getBundle();
  SmallVector<Value> args(kStoreNumArgs);
  args[kStoreKvBlocks] = GetOp::create(b, e.loc, bundle, Field::kv_blocks);
  args[kStoreCacheLengths] =
      GetOp::create(b, e.loc, bundle, Field::cache_lengths);
  args[kStoreLookupTable] =
      GetOp::create(b, e.loc, bundle, Field::lookup_table);
  args[kStoreKey] = op.getKey();
  // An MLA store has no value; the kernel then never reads the argument,
  // so the key fills its place and the argument list stays one.
  args[kStoreValue] = op.getValue() ? op.getValue() : op.getKey();
  args[kStoreRowOffsets] = op.getInputRowOffsets();
  args[kStoreLayer] = op.getLayer();

  Value zero = e.index(0);
  Value rows = e.dim(op.getKey(), 0);
  Value batch = e.dim(args[kStoreCacheLengths], 0);
  Value hasWork = e.andI(e.ult(zero, rows), e.ult(zero, batch));
  e.ifThen(hasWork, [&] {
    guardLaunch(e, hooks, op.getBundle().getType(), args[kStoreKvBlocks],
                op.getLayer(), [&] {
                  args[kStoreFaultWord] = faultWord(e, hooks);
                  gpu::GPUFuncOp kernel =
                      kernels.get(KernelKind::Store, shape, typesOf(args));
                  launch(e, kernel, {rows, e.index(1), e.index(1)},
                         shape.blockSize, args);
                });
  });
  op.erase();
}

void kvcache::gpukernels::lowerAttention(AttentionOp op, KernelCache &kernels,
                                         const LaunchOptions &options,
                                         const RuntimeHooks &hooks) {
  OpBuilder b(op);
  Emitter e(b, op.getLoc());
  KernelShape shape = getKernelShape(op, options);
  Value bundle = op.getBundle();
  InputsType type = op.getBundle().getType();
  Value kvBlocks = GetOp::create(b, e.loc, bundle, Field::kv_blocks);
  Value cacheLengths = GetOp::create(b, e.loc, bundle, Field::cache_lengths);
  Value lookupTable = GetOp::create(b, e.loc, bundle, Field::lookup_table);
  Value maxLengths = GetOp::create(b, e.loc, bundle, Field::max_lengths);
  // The host's split count (the first split-count field the bundle holds)
  // matters only when the option does not force one. The host code reads
  // host memory only: an MLA cache's dispatch metadata is on the device
  // (ABI.md), so without mla_num_partitions the launch takes its own rule.
  HostSplitCount host;
  std::optional<Field> field = op.getSplitCountField([&](Field field) {
    return abi::placementFor(field, type.isMLA()) == abi::Placement::Host;
  });
  if (options.splits == 0 && field)
    host = {GetOp::create(b, e.loc, bundle, *field),
            abi::splitCountEntry(*field)};

  Value zero = e.index(0);
  Value batch = e.dim(cacheLengths, 0);
  Value rows = e.dim(op.getQ(), 0);
  // max_lengths row 0: (max_prompt_length, max_cache_length), host memory.
  Value maxPromptLength = e.loadUnsigned(maxLengths, {zero, zero});
  Value maxCacheLength = e.loadUnsigned(maxLengths, {zero, e.index(1)});
  Value hasWork = e.andI(e.andI(e.ult(zero, batch), e.ult(zero, rows)),
                         e.ult(zero, maxPromptLength));
  Value isDecode = e.cmp(arith::CmpIPredicate::ule, maxPromptLength,
                         e.index(kMaxDecodeQueryLength));
  Value numKvHeads = e.index(shape.numKvHeads);

  auto decode = [&] {
    // Named values, not structured bindings: the lambdas below capture them.
    std::pair<Value, Value> split =
        splitCount(e, options, hooks, shape, batch, shape.numKvHeads,
                   maxCacheLength, host);
    Value numPartitions = split.first, slots = split.second;
    // Workspace: partial outputs [rows, q heads, slots, value_dim] then their
    // log-sum-exps [rows, q heads, slots], all f32.
    Value partials = e.mul(e.mul(rows, e.index(shape.numQHeads)), slots);
    Value partialElements = e.mul(partials, e.index(shape.valueDim));
    Value f32Bytes = e.index(4);
    Value bytes = e.mul(e.add(partialElements, partials), f32Bytes);
    Value address = func::CallOp::create(b, e.loc, hooks.workspace,
                                         ValueRange{arith::IndexCastOp::create(
                                             b, e.loc, b.getI64Type(), bytes)})
                        .getResult(0);
    Value workspace = memrefAtAddress(e, address, bytes);
    Value partialOut = viewF32(e, workspace, zero, partialElements);
    Value partialLse =
        viewF32(e, workspace, e.mul(partialElements, f32Bytes), partials);

    SmallVector<Value> args(kDecodeNumArgs);
    args[kDecodeKvBlocks] = kvBlocks;
    args[kDecodeCacheLengths] = cacheLengths;
    args[kDecodeLookupTable] = lookupTable;
    args[kDecodeQ] = op.getQ();
    args[kDecodeRowOffsets] = op.getInputRowOffsets();
    args[kDecodeOut] = op.getOut();
    args[kDecodePartialOut] = partialOut;
    args[kDecodePartialLse] = partialLse;
    args[kDecodeLayer] = op.getLayer();
    args[kDecodeNumPartitions] = numPartitions;
    args[kDecodeFaultWord] = faultWord(e, hooks);
    // The one-token kernel holds fewer rows in registers (more CTAs per
    // SM); the host knows the longest query.
    gpu::KernelDim3 grid{slots, numKvHeads, batch};
    KernelLaunch oneToken{kernels.get(KernelKind::Decode, shape, typesOf(args)),
                          grid, args};
    KernelLaunch multiToken{
        kernels.get(KernelKind::DecodeMultiToken, shape, typesOf(args)), grid,
        args};
    SmallVector<Value> combineArgs(kCombineNumArgs);
    combineArgs[kCombineRowOffsets] = op.getInputRowOffsets();
    combineArgs[kCombinePartialOut] = partialOut;
    combineArgs[kCombinePartialLse] = partialLse;
    combineArgs[kCombineOut] = op.getOut();
    combineArgs[kCombineNumPartitions] = numPartitions;
    combineArgs[kCombineSlots] = slots;
    // The fewest warps per (row, q head), a power of two dividing the CTA's,
    // whose one round of loads covers `slots` partitions.
    int64_t combineWarps = combineWarpsPerBlock(shape);
    Value warpsPerHead = e.index(1);
    for (int64_t n = 2; combineWarps % n == 0; n *= 2)
      warpsPerHead = e.select(
          e.ult(e.index(n / 2 * combinePartitionsPerWarp(shape)), slots),
          e.index(n), warpsPerHead);
    combineArgs[kCombineWarpsPerHead] = warpsPerHead;
    Value headBlocks = e.ceilDivU(e.mul(e.index(shape.numQHeads), warpsPerHead),
                                  e.index(combineWarps));
    KernelLaunch combine{
        kernels.get(KernelKind::Combine, shape, typesOf(combineArgs)),
        {rows, headBlocks, e.index(1)},
        combineArgs};
    auto decodeThenCombine = [&](const KernelLaunch &decode) {
      // One slot means one partition, which wrote `out` itself; `slots`
      // does not depend on the context length, so this choice survives
      // graph capture. Each branch holds a whole chain: a token yielded
      // from scf.if would lower to an event, not the stream.
      e.ifThenElse(
          e.ult(e.index(1), slots),
          [&] {
            launchInOrder(e, shape.blockSize, {decode, combine});
          },
          [&] { launchInOrder(e, shape.blockSize, {decode}); });
    };
    e.ifThenElse(
        e.cmp(arith::CmpIPredicate::eq, maxPromptLength, e.index(1)),
        [&] { decodeThenCombine(oneToken); },
        [&] { decodeThenCombine(multiToken); });
  };

  auto prefill = [&] {
    SmallVector<Value> args(kPrefillNumArgs);
    args[kPrefillKvBlocks] = kvBlocks;
    args[kPrefillCacheLengths] = cacheLengths;
    args[kPrefillLookupTable] = lookupTable;
    args[kPrefillQ] = op.getQ();
    args[kPrefillRowOffsets] = op.getInputRowOffsets();
    args[kPrefillOut] = op.getOut();
    args[kPrefillLayer] = op.getLayer();
    args[kPrefillFaultWord] = faultWord(e, hooks);
    Value blocks =
        e.ceilDivU(e.mul(maxPromptLength, e.index(shape.groupSize())),
                   e.index(prefillRowsPerBlock(shape)));
    launch(e, kernels.get(KernelKind::Prefill, shape, typesOf(args)),
           {blocks, numKvHeads, batch}, shape.blockSize, args);
  };

  e.ifThen(hasWork, [&] {
    guardLaunch(e, hooks, type, kvBlocks, op.getLayer(),
                [&] { e.ifThenElse(isDecode, decode, prefill); });
  });
  op.erase();
}
