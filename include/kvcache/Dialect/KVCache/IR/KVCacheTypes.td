//===- KVCacheTypes.td - kvcache types ---------------------*- tablegen -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_IR_KVCACHETYPES_TD
#define KVCACHE_DIALECT_KVCACHE_IR_KVCACHETYPES_TD

include "kvcache/Dialect/KVCache/IR/KVCacheDialect.td"
include "mlir/IR/AttrTypeBase.td"

def KVCache_InputsType : TypeDef<KVCache_Dialect, "Inputs"> {
  let mnemonic = "inputs";
  let summary = "One device's paged KV-cache inputs";
  let description = [{
    The inputs of one device's paged KV cache, as one value. The type lists
    its present fields as `name: type`, in ABI order (docs/ABI.md), and is
    its own schema: which optional fields a flat argument list holds is read
    from the type, never from values.

    ```mlir
    !kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>,
                          cache_lengths: memref<?xi32>,
                          lookup_table: memref<?x?xi32>,
                          max_lengths: memref<?x2xi32>,
                          attention_dispatch_metadata: memref<4xi64>>
    ```

    The static dimensions 1–5 of `kv_blocks` give `kv_dim` (2 for K and V,
    1 for MLA's single latent), the number of layers, the page size, the
    number of kv heads and the head dimension. Buffer-kind fields
    (`kv_blocks`, `kv_scales`) are memrefs; tensor-kind fields may be ranked
    tensors or memrefs. Integer fields are signless; `i32` fields are read as
    unsigned, as in MAX.

    The verifier enforces every rule of the ABI a type can break: field
    names, order and presence; ranks, element types and static dimensions;
    batch sizes that agree; `kv_scales` exactly on an 8-bit float cache with
    dimensions matching `kv_blocks`; dispatch metadata of size 4 (MHA) or 3
    (MLA); MLA-only fields only on an MLA cache; static sizes that fit in
    int64 (the product of a field's nonzero static dims, so its element
    count and strides, and that count times the element's bytes).
  }];
  let parameters = (ins
    ArrayRefParameter<"::kvcache::abi::Field", "present fields, in ABI order">:$fields,
    ArrayRefParameter<"::mlir::Type", "the present fields' types">:$fieldTypes
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    TypeBuilder<(ins
        "::llvm::ArrayRef<::kvcache::abi::Field>":$fields,
        "::llvm::ArrayRef<::mlir::Type>":$fieldTypes), [{
      return $_get($_ctxt, fields, fieldTypes);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The present fields as a set.
    ::kvcache::abi::FieldSet getFieldSet() const;
    bool hasField(::kvcache::abi::Field field) const {
      return getFieldSet().contains(field);
    }
    /// Position of `field` among the present fields (its flat index).
    std::optional<unsigned> getFieldIndex(::kvcache::abi::Field field) const;
    /// The type of `field`, or null when the field is absent.
    ::mlir::Type getFieldType(::kvcache::abi::Field field) const;
    /// Number of flat values the bundle expands to.
    unsigned getNumFlatValues() const { return getFields().size(); }

    ::mlir::MemRefType getKvBlocksType() const;
    /// Element type of the cache (f32, f16, bf16 or f8E4M3FN).
    ::mlir::Type getCacheElementType() const;
    int64_t getKvDim() const;
    int64_t getNumLayers() const;
    int64_t getPageSize() const;
    int64_t getNumKvHeads() const;
    int64_t getHeadDim() const;
    /// Multi-head latent attention: one latent instead of K and V.
    bool isMLA() const { return getKvDim() == 1; }
    /// The cache holds 8-bit floats dequantised with kv_scales.
    bool isFP8() const;

    /// The same bundle without `field` (an optional field).
    InputsType withoutField(::kvcache::abi::Field field) const;
  }];
}

#endif // KVCACHE_DIALECT_KVCACHE_IR_KVCACHETYPES_TD
