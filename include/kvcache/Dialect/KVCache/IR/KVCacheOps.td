//===- KVCacheOps.td - kvcache operations ------------------*- tablegen -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_IR_KVCACHEOPS_TD
#define KVCACHE_DIALECT_KVCACHE_IR_KVCACHEOPS_TD

include "kvcache/Dialect/KVCache/IR/KVCacheDialect.td"
include "kvcache/Dialect/KVCache/IR/KVCacheAttrs.td"
include "kvcache/Dialect/KVCache/IR/KVCacheTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class KVCache_Op<string mnemonic, list<Trait> traits = []>
    : Op<KVCache_Dialect, mnemonic, traits>;

// What a declaration writes: the flat signature of its function (one
// argument per present field), a resource apart from memory, so the
// declaration is never dead and moves no memory access.
def KVCache_SignatureResource : Resource<"::kvcache::SignatureResource">;

def KVCache_InputsPerDeviceOp : KVCache_Op<"inputs_per_device",
    [DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>,
     MemoryEffects<[MemWrite<KVCache_SignatureResource>]>]> {
  let summary = "Declares one device's cache inputs as graph inputs";
  let description = [{
    Declares the cache inputs of device `device` as inputs of the enclosing
    function, the way MAX declares `KVCacheInputsPerDevice` symbolic inputs.
    A graph with several caches (target and draft, sliding and global layers)
    names them with `cache("name")`; the unnamed cache is the default one.

    `kvcache-expand-inputs` turns each declaration into new arguments of the
    enclosing function, one per present field, in ABI order.

    ```mlir
    %kv = kvcache.inputs_per_device device(0) : !kv
    %draft = kvcache.inputs_per_device device(0) cache("draft") : !kv
    ```

    The operation touches no memory but is not pure: removing an unused
    declaration would change the flat signature. It declares a write of
    `SignatureResource`, a resource of its own, so it is never dead, while
    the memory accesses around it stay free to move.
  }];
  let arguments = (ins
    ConfinedAttr<I64Attr, [IntNonNegative]>:$device,
    OptionalAttr<StrAttr>:$cache
  );
  let results = (outs KVCache_InputsType:$result);
  let assemblyFormat = [{
    `device` `(` $device `)` (`cache` `(` $cache^ `)`)? attr-dict `:`
    qualified(type($result))
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The cache name, empty for the default cache.
    ::llvm::StringRef getCacheName() {
      return getCache().value_or(::llvm::StringRef());
    }
  }];
}

def KVCache_PackOp : KVCache_Op<"pack", [Pure]> {
  let summary = "Builds a bundle from its present fields";
  let description = [{
    Builds an `!kvcache.inputs` value from one value per present field, in ABI
    order. The operand types are the field types of the result type, so the
    custom form does not spell them out:

    ```mlir
    %kv = kvcache.pack %kv_blocks, %cache_lengths, %lookup_table, %max_lengths : !kv
    ```

    A pack of every field of one bundle, each read with `kvcache.get`, into
    the bundle's own type folds to that bundle.
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let results = (outs KVCache_InputsType:$result);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// The operand that supplies `field`, or null when the field is absent.
    ::mlir::Value getFieldValue(::kvcache::abi::Field field);
  }];
}

def KVCache_GetOp : KVCache_Op<"get", [Pure]> {
  let summary = "Reads one field of a bundle";
  let description = [{
    Reads one present field of a bundle. The result type is the field's type
    in the bundle type:

    ```mlir
    %table = kvcache.get %kv[lookup_table] : !kv
    ```

    A `get` of a field that `kvcache.pack` supplied folds to the packed value.
  }];
  let arguments = (ins KVCache_InputsType:$bundle, KVCache_FieldAttr:$field);
  let results = (outs AnyType:$result);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasFolder = 1;
  let builders = [
    OpBuilder<(ins "::mlir::Value":$bundle, "::kvcache::abi::Field":$field)>
  ];
  let extraClassDeclaration = [{
    ::kvcache::abi::Field getFieldKind() { return getField().getValue(); }
  }];
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

// Memory effects of the compute ops. Every memref operand gets its own read or
// write. The cache is reached through the bundle, whose fields have no SSA
// value of their own at the op, so its reads and writes are declared on the
// bundle operand, on the default resource:
// - the default resource, not a kvcache-specific one: the fields are ordinary
//   memrefs that `kvcache.get`, function arguments and `memref` ops reach too,
//   and effects on different resources are taken to be independent;
// - on the bundle value, not value-less: alias analysis then sees a bundle
//   that may alias any memref it cannot prove distinct (a `kvcache.get`
//   result, an argument, the operand of the `kvcache.pack` that built it),
//   while a buffer allocated in the function, which no bundle argument can
//   hold, stays independent of the cache. A store and an attention on the
//   same bundle value write and read the same value, and bundles rebuilt
//   from the same fields may alias, so neither moves across the other.
// The granularity is the bundle: `kvcache.store` reads it (cache_lengths,
// lookup_table) and writes it (kv_blocks and, for FP8 caches, kv_scales);
// `kvcache.attention` reads it (every field it uses). This is what NVGPU's
// `tma.async.store` does with the descriptor it writes through.
//
// Tensor forms: the rows operands may instead be all tensors (destination-
// passing style for attention: `out` is the init the result is tied to).
// Tensors are values and get no effects, as in linalg; the cache effects on
// the bundle stay, so no attention moves across a store, and an attention
// whose result is unused is dead. one-shot-bufferize turns a tensor form into
// the memref form (BufferizableOpInterfaceImpl.cpp).

// The operands that carry rows of a ragged batch: all memrefs (the form the
// lowerings read) or all ranked tensors (the form a graph compiler emits).
def KVCache_RowsType : AnyTypeOf<[AnyMemRef, AnyRankedTensor],
    "memref or ranked tensor">;

def KVCache_StoreOp : KVCache_Op<"store",
    [DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "Writes the new K/V rows of a ragged batch into their pages";
  let description = [{
    Writes the new key and value rows of a ragged batch into the cache of
    layer `layer`: row `i` of request `b` (rows `input_row_offsets[b] ..
    input_row_offsets[b+1]`) goes to position `cache_lengths[b] + i`, that is
    page `lookup_table[b, pos / page_size]`, slot `pos % page_size`.

    `key` and `value` are `[total_tokens, num_kv_heads, head_dim]` memrefs of
    the cache's element type, or, on an 8-bit float cache, of one of f32, f16
    and bf16, quantised on the fly with a scale per lane group written to
    `kv_scales` (docs/ABI.md); `input_row_offsets` is i32 `[batch + 1]`.
    A constant `layer` must lie in `[0, num_layers)`; the lowerings guard a
    dynamic one at run time. The static sizes of the memref operands must
    fit in int64, as the bundle's do.

    ```mlir
    kvcache.store %kv, %layer, %key, %value, %input_row_offsets
        : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
    ```

    On an MLA cache (`kv_dim` 1) a token's row is one latent vector, its key
    and its value at once: `key` holds the latent rows `[total_tokens, 1,
    head_dim]` and there is no `value` operand (its absence on an MLA cache,
    and its presence on an ordinary one, are checked):

    ```mlir
    kvcache.store %kv, %layer, %latent, %input_row_offsets
        : !mla, memref<?x1x576xbf16>, memref<?xi32>
    ```

    The tensor form takes tensors of the same shapes. It writes the cache
    buffers the bundle holds, so it has no result either:

    ```mlir
    kvcache.store %kv, %layer, %key, %value, %input_row_offsets
        : !kv, tensor<?x8x128xbf16>, tensor<?x8x128xbf16>, tensor<?xi32>
    ```

    Memory effects: reads `key`, `value` and `input_row_offsets` (memref
    form); reads and writes the cache through `bundle` (the effect is on the
    bundle value, in both forms), so no reads of the same cache move across
    it.
  }];
  let arguments = (ins
    KVCache_InputsType:$bundle,
    Index:$layer,
    KVCache_RowsType:$key,
    Optional<KVCache_RowsType>:$value,
    KVCache_RowsType:$input_row_offsets);
  // Custom: `value` sits between two operands that look alike, which the
  // declarative format cannot tell apart; the operand count does. As the
  // only optional operand it needs no operand-segment attribute, so the
  // generic form is the same with and without it.
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Whether the rows operands are tensors (the form one-shot-bufferize
    /// rewrites), not memrefs (the form the lowerings read).
    bool hasTensorForm() {
      return ::mlir::isa<::mlir::TensorType>(getKey().getType());
    }
  }];
}

def KVCache_AttentionOp : KVCache_Op<"attention",
    [DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
     DestinationStyleOpInterface]> {
  let summary = "Ragged paged attention";
  let description = [{
    Computes attention for a ragged batch of queries against the paged cache
    of layer `layer`. Request `b` owns query rows `input_row_offsets[b] ..
    input_row_offsets[b+1]` (its `n_b` new tokens, already stored) and reads
    keys `0 .. cache_lengths[b] + n_b - 1`; with `causal`, its query row `i`
    sees keys `0 .. cache_lengths[b] + i`. Query head `hq` reads kv head
    `hq / (num_q_heads / num_kv_heads)` (grouped-query attention). Softmax
    and accumulation are in f32; `out` is written in the query's element type.
    `scale` defaults to `1 / sqrt(head_dim)`.

    `q` and `out` are `[total_tokens, num_q_heads, head_dim]` memrefs, with
    `num_q_heads` a positive multiple of `num_kv_heads`. A given `scale` must
    be positive and finite as an f32 (a literal past f32's range parses as
    inf and is rejected). `layer` and the operands' sizes follow the rules of
    `kvcache.store`.

    ```mlir
    kvcache.attention %kv, %layer, %q, %input_row_offsets, %out
        {scale = 0.125 : f32, causal}
        : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
    ```

    On an MLA cache (`kv_dim` 1, one latent row per token) the operation is
    attention in absorbed form: every query head scores against the whole
    row (`head_dim` lanes) and reads as its value the row's first
    `value_dim` lanes, where `value_dim` is `out`'s last dim (1 <=
    `value_dim` <= `head_dim`; 512 of 576 for DeepSeek-V3). `out` is then
    `[total_tokens, num_q_heads, value_dim]`; on an ordinary cache it has
    `q`'s shape. An MLA attention must give `scale`: `1 / sqrt(head_dim)`
    is not the absorbed form's scale, which comes from the model.

    ```mlir
    kvcache.attention %mla, %layer, %q, %input_row_offsets, %out
        {scale = 0.0723 : f32}
        : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x512xbf16>
    ```

    Split-K count: the first of these fields the bundle holds chooses it,
    clamped to `[1, slots]`: on an MLA cache `mla_num_partitions[0]`, then
    `attention_dispatch_metadata[2]` (`num_partitions`). With `draft` (the
    draft model of speculative decoding) the operation reads
    `draft_mla_num_partitions` and `draft_attention_dispatch_metadata`
    instead, and the bundle must hold them (the MLA one on an MLA cache).

    The tensor form is in destination-passing style: `q`, `input_row_offsets`
    and `out` are tensors, `out` is the init, and the result, of `out`'s type,
    holds the attention rows. Every row of `out` is written (the rows are
    exactly the batch's, `input_row_offsets[batch]`), so the init's contents
    are never read and a `tensor.empty` init needs no copy:

    ```mlir
    %o = kvcache.attention %kv, %layer, %q, %input_row_offsets, %init {causal}
        : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16>
        -> tensor<?x32x128xbf16>
    ```

    Memory effects: reads `q` and `input_row_offsets` and writes `out` (memref
    form); reads the cache through `bundle` (the effect is on the bundle
    value, in both forms).
  }];
  let arguments = (ins
    KVCache_InputsType:$bundle,
    Index:$layer,
    KVCache_RowsType:$q,
    KVCache_RowsType:$input_row_offsets,
    KVCache_RowsType:$out,
    OptionalAttr<F32Attr>:$scale,
    UnitAttr:$causal,
    UnitAttr:$draft);
  let results = (outs Optional<AnyRankedTensor>:$result);
  let assemblyFormat = [{
    $bundle `,` $layer `,` $q `,` $input_row_offsets `,` $out attr-dict `:`
    qualified(type($bundle)) `,` type($q) `,` type($input_row_offsets) `,`
    type($out) (`->` type($result)^)?
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The softmax scale: the attribute, else 1 / sqrt(head_dim).
    float getScaleOrDefault();
    /// The lanes of a value row: `out`'s last dim (head_dim, or on an MLA
    /// cache the latent's first value_dim lanes).
    int64_t getValueDim() {
      return ::mlir::cast<::mlir::ShapedType>(getOut().getType())
          .getDimSize(2);
    }
    /// The fields that choose the split-K count, in precedence order; each
    /// is read when the bundle holds it.
    ::kvcache::abi::SplitCountFields getSplitCountFields() {
      return ::kvcache::abi::splitCountFields(
          getBundle().getType().isMLA(), getDraft());
    }
    /// The field that chooses the split-K count: the first of
    /// getSplitCountFields that the bundle holds and `usable` (by default
    /// every field) accepts; none when no such field is there.
    std::optional<::kvcache::abi::Field> getSplitCountField(
        ::llvm::function_ref<bool(::kvcache::abi::Field)> usable = nullptr);
    /// Whether the rows operands are tensors (see StoreOp::hasTensorForm).
    bool hasTensorForm() {
      return ::mlir::isa<::mlir::TensorType>(getQ().getType());
    }
    /// DestinationStyleOpInterface: `out` is the init.
    ::mlir::MutableOperandRange getDpsInitsMutable() { return getOutMutable(); }
  }];
}

#endif // KVCACHE_DIALECT_KVCACHE_IR_KVCACHEOPS_TD
