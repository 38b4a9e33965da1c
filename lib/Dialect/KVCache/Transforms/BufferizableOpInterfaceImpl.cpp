//===- BufferizableOpInterfaceImpl.cpp - one-shot-bufferize models --------===//
//
// How one-shot-bufferize rewrites a tensor graph of kvcache ops into the
// memref graph the lowerings read.
//
// The compute ops' tensor forms become their memref forms: attention is in
// destination-passing style (its result is its `out` init, which it
// overwrites without reading), store reads its rows and has no result.
//
// Bundles. `!kvcache.inputs` is not tensor-like, even when some of its
// tensor-kind fields (cache_lengths, lookup_table, ...) are tensors: it is a
// handle on the cache's buffers, which kvcache.store writes in place, and a
// bundle of memrefs must never be treated as a value. What bufferizes is the
// bundle's *type*: each tensor field becomes a memref of the same shape with
// the identity layout (what the kernels and the flat ABI assume), and the ops
// that make a bundle (kvcache.inputs_per_device, kvcache.pack) are recreated
// with that type; kvcache.get of a tensor field becomes a get of the memref.
// A bundle with tensor fields that no such op makes (a block argument) is
// left alone; flatten it first (kvcache-expand-inputs) so that its fields
// become function arguments, which function-boundary bufferization handles.
//
// Layouts. The kernels read and write rows contiguously (the GPU lowering
// refuses any other layout), so the memref forms get identity-layout
// buffers: an operand that bufferized to a strided view (a tensor slice,
// such as the key half of a fused K/V projection) is copied to a contiguous
// buffer first, and a strided `out` is computed into a contiguous buffer
// that is then copied into the view.
//
// Aliasing. A field read with kvcache.get aliases the cache buffer: it is
// not writable, so an in-place write to it is made on a copy. A tensor
// packed into a bundle is read by every later user of the bundle, which the
// analysis does not see (the bundle is not a tensor), so an in-place write
// after the pack would change what those users read. The pack therefore
// holds a copy of a tensor that anything else may write in place; a tensor
// that is a function argument whose every user only reads it (the flat
// field arguments that kvcache-expand-inputs packs: their gets fold to
// reads of the argument) it holds as it is.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Dialect/KVCache/Transforms/BufferizableOpInterfaceImpl.h"

#include "kvcache/Dialect/KVCache/IR/KVCache.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace kvcache;

namespace {

/// The memref a tensor field bufferizes to: same shape and element type,
/// identity layout.
Type bufferizedFieldType(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return MemRefType::get(tensor.getShape(), tensor.getElementType());
  return type;
}

bool hasTensorFields(InputsType type) {
  return llvm::any_of(type.getFieldTypes(), llvm::IsaPred<TensorType>);
}

/// The bundle type with every tensor field bufferized.
InputsType bufferizedBundleType(InputsType type) {
  SmallVector<Type> fieldTypes =
      llvm::map_to_vector(type.getFieldTypes(), bufferizedFieldType);
  return InputsType::get(type.getContext(), type.getFields(), fieldTypes);
}

/// The bundle a bufferized op reads: `bundle` itself once its maker has been
/// bufferized (makers come before their users, and one-shot-bufferize goes
/// in order). A bundle with tensor fields here is one no model makes.
FailureOr<Value> bufferizedBundle(Operation *user, Value bundle) {
  auto type = cast<InputsType>(bundle.getType());
  if (!hasTensorFields(type))
    return bundle;
  return user->emitOpError("reads a bundle with tensor fields (")
         << type
         << ") that neither kvcache.inputs_per_device nor kvcache.pack "
            "makes; flatten it first (kvcache-expand-inputs) so that "
            "function-boundary bufferization takes its fields";
}

/// Whether nothing can write `value`'s buffer in place: it is a function
/// argument (no other value of the function aliases it) and every user of
/// it only reads it (in-place writes happen at a use of the value or of an
/// alias that a use makes).
bool isOnlyRead(Value value) {
  // Function-boundary bufferization may have bufferized the signature
  // already, leaving the argument's buffer behind a to_tensor.
  Value source = value;
  if (auto toTensor = value.getDefiningOp<ToTensorOp>())
    source = toTensor.getBuffer();
  auto arg = dyn_cast<BlockArgument>(source);
  if (!arg || !arg.getOwner()->isEntryBlock() ||
      !isa<FunctionOpInterface>(arg.getOwner()->getParentOp()))
    return false;
  return llvm::all_of(value.getUses(), [](OpOperand &use) {
    Operation *user = use.getOwner();
    if (isa<PackOp, StoreOp, tensor::ExtractOp, tensor::DimOp>(user))
      return true;
    auto attention = dyn_cast<AttentionOp>(user);
    return attention && !attention.isDpsInit(&use);
  });
}

/// The identity-layout memref type of `buffer`'s shape and element type.
MemRefType contiguousType(Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  return MemRefType::get(type.getShape(), type.getElementType(),
                         MemRefLayoutAttrInterface(), type.getMemorySpace());
}

/// A new identity-layout buffer of `buffer`'s shape (its contents undefined).
FailureOr<Value> allocateLike(RewriterBase &rewriter, Location loc,
                              Value buffer,
                              const BufferizationOptions &options) {
  MemRefType type = contiguousType(buffer);
  SmallVector<Value> dynamicSizes;
  for (auto [dim, size] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(size))
      dynamicSizes.push_back(memref::DimOp::create(rewriter, loc, buffer, dim));
  return options.createAlloc(rewriter, loc, type, dynamicSizes);
}

/// A contiguous copy of `buffer`'s contents.
FailureOr<Value> copyToContiguous(RewriterBase &rewriter, Location loc,
                                  Value buffer,
                                  const BufferizationOptions &options) {
  FailureOr<Value> copy = allocateLike(rewriter, loc, buffer, options);
  if (failed(copy) ||
      failed(options.createMemCpy(rewriter, loc, buffer, *copy)))
    return failure();
  return copy;
}

bool isContiguous(Value buffer) {
  return cast<MemRefType>(buffer.getType()).getLayout().isIdentity();
}

/// A buffer for the bundle to hold `value`'s contents: its own buffer when
/// nothing writes that in place (isOnlyRead), else a copy.
FailureOr<Value> getPackedBuffer(RewriterBase &rewriter, Location loc,
                                 Value value,
                                 const BufferizationOptions &options,
                                 const BufferizationState &state) {
  // Asked first: getBuffer may add a to_buffer user.
  bool onlyRead = isOnlyRead(value);
  FailureOr<Value> buffer = getBuffer(rewriter, value, options, state);
  if (failed(buffer) || onlyRead)
    return buffer;
  return copyToContiguous(rewriter, loc, *buffer, options);
}

/// The contiguous buffers a memref-form op reads `values` from: tensors
/// bufferized, strided buffers copied to identity-layout ones (see Layouts
/// above), memrefs as they are.
FailureOr<SmallVector<Value>>
getReadBuffers(RewriterBase &rewriter, Location loc, ValueRange values,
               const BufferizationOptions &options,
               const BufferizationState &state) {
  SmallVector<Value> buffers;
  for (Value value : values) {
    if (!isa<TensorType>(value.getType())) {
      buffers.push_back(value);
      continue;
    }
    FailureOr<Value> buffer = getBuffer(rewriter, value, options, state);
    if (failed(buffer))
      return failure();
    if (!isContiguous(*buffer))
      buffer = copyToContiguous(rewriter, loc, *buffer, options);
    if (failed(buffer))
      return failure();
    buffers.push_back(*buffer);
  }
  return buffers;
}

struct InputsPerDeviceOpInterface
    : public BufferizableOpInterface::ExternalModel<InputsPerDeviceOpInterface,
                                                    InputsPerDeviceOp> {
  // No tensor operand or result, yet the type it declares has tensors in it.
  bool hasTensorSemantics(Operation *op) const {
    return hasTensorFields(cast<InputsPerDeviceOp>(op).getType());
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto declare = cast<InputsPerDeviceOp>(op);
    rewriter.modifyOpInPlace(declare, [&] {
      declare.getResult().setType(bufferizedBundleType(declare.getType()));
    });
    return success();
  }
};

/// The analysis side of an op whose tensor operands it only reads and whose
/// results alias none of them (pack; store, which writes the cache through
/// the bundle, not through a tensor operand).
template <typename ConcreteModel, typename ConcreteOp>
struct ReadsOperandsModel
    : public BufferizableOpInterface::ExternalModel<ConcreteModel, ConcreteOp> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &state) const {
    return true;
  }

  bool bufferizesToMemoryWrite(Operation *op, OpOperand &operand,
                               const AnalysisState &state) const {
    return false;
  }

  AliasingValueList getAliasingValues(Operation *op, OpOperand &operand,
                                      const AnalysisState &state) const {
    return {};
  }
};

struct PackOpInterface : public ReadsOperandsModel<PackOpInterface, PackOp> {

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto pack = cast<PackOp>(op);
    SmallVector<Value> buffers;
    for (Value value : pack.getValues()) {
      if (!isa<TensorType>(value.getType())) {
        buffers.push_back(value);
        continue;
      }
      FailureOr<Value> buffer =
          getPackedBuffer(rewriter, op->getLoc(), value, options, state);
      if (failed(buffer))
        return failure();
      buffers.push_back(*buffer);
    }
    InputsType type = bufferizedBundleType(pack.getType());
    // A packed tensor that bufferized to a strided view (a slice) does not
    // match the bundle's identity-layout field: say which.
    for (auto [field, buffer, fieldType] :
         llvm::zip_equal(type.getFields(), buffers, type.getFieldTypes()))
      if (buffer.getType() != fieldType)
        return pack.emitOpError("field '")
               << abi::name(field) << "' bufferized to " << buffer.getType()
               << ", but the bundle holds " << fieldType
               << " (contiguous, identity layout)";
    replaceOpWithNewBufferizedOp<PackOp>(rewriter, op, type, buffers);
    return success();
  }
};

struct GetOpInterface
    : public BufferizableOpInterface::ExternalModel<GetOpInterface, GetOp> {
  AliasingOpOperandList
  getAliasingOpOperands(Operation *op, Value value,
                        const AnalysisState &state) const {
    return {};
  }

  // The field is the cache's own buffer: never written through a get.
  bool isWritable(Operation *op, Value value,
                  const AnalysisState &state) const {
    return false;
  }

  FailureOr<BufferLikeType>
  getBufferType(Operation *op, Value value, const BufferizationOptions &options,
                const BufferizationState &state,
                SmallVector<Value> &invocationStack) const {
    return cast<BufferLikeType>(bufferizedFieldType(value.getType()));
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto get = cast<GetOp>(op);
    FailureOr<Value> bundle = bufferizedBundle(op, get.getBundle());
    if (failed(bundle))
      return failure();
    replaceOpWithNewBufferizedOp<GetOp>(rewriter, op, *bundle,
                                        get.getFieldKind());
    return success();
  }
};

struct StoreOpInterface : public ReadsOperandsModel<StoreOpInterface, StoreOp> {

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto store = cast<StoreOp>(op);
    FailureOr<Value> bundle = bufferizedBundle(op, store.getBundle());
    // key, value (absent on an MLA cache), input_row_offsets.
    SmallVector<Value, 3> operands = {store.getKey()};
    if (Value value = store.getValue())
      operands.push_back(value);
    operands.push_back(store.getInputRowOffsets());
    FailureOr<SmallVector<Value>> rows =
        getReadBuffers(rewriter, op->getLoc(), operands, options, state);
    if (failed(bundle) || failed(rows))
      return failure();
    Value value = store.getValue() ? (*rows)[1] : Value();
    auto memrefForm =
        StoreOp::create(rewriter, op->getLoc(), *bundle, store.getLayer(),
                        rows->front(), value, rows->back());
    memrefForm->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    replaceOpWithBufferizedValues(rewriter, op, {});
    return success();
  }
};

struct AttentionOpInterface
    : public DstBufferizableOpInterfaceExternalModel<AttentionOpInterface,
                                                     AttentionOp> {
  // Every row of `out` is written (its rows are the batch's), so the init is
  // not read: a tensor.empty init bufferizes to an allocation, not a copy.
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &state) const {
    return !cast<AttentionOp>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto attention = cast<AttentionOp>(op);
    FailureOr<Value> bundle = bufferizedBundle(op, attention.getBundle());
    Location loc = op->getLoc();
    FailureOr<SmallVector<Value>> rows = getReadBuffers(
        rewriter, loc, {attention.getQ(), attention.getInputRowOffsets()},
        options, state);
    FailureOr<Value> out =
        getBuffer(rewriter, attention.getOut(), options, state);
    if (failed(bundle) || failed(rows) || failed(out))
      return failure();
    // A strided `out` (see Layouts above): compute into a contiguous buffer,
    // then copy that into the view.
    Value result = *out;
    if (!isContiguous(*out)) {
      FailureOr<Value> contiguous = allocateLike(rewriter, loc, *out, options);
      if (failed(contiguous))
        return failure();
      result = *contiguous;
    }
    auto memrefForm = AttentionOp::create(
        rewriter, loc, /*result=*/Type(), *bundle, attention.getLayer(),
        (*rows)[0], (*rows)[1], result, attention.getScaleAttr(),
        attention.getCausalAttr());
    memrefForm->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    if (result != *out &&
        failed(options.createMemCpy(rewriter, loc, result, *out)))
      return failure();
    replaceOpWithBufferizedValues(rewriter, op, *out);
    return success();
  }
};

} // namespace

void kvcache::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, KVCacheDialect *) {
    InputsPerDeviceOp::attachInterface<InputsPerDeviceOpInterface>(*ctx);
    PackOp::attachInterface<PackOpInterface>(*ctx);
    GetOp::attachInterface<GetOpInterface>(*ctx);
    StoreOp::attachInterface<StoreOpInterface>(*ctx);
    AttentionOp::attachInterface<AttentionOpInterface>(*ctx);
  });
}
