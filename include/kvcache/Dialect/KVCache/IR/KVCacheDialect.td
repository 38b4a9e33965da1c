//===- KVCacheDialect.td - The kvcache dialect -------------*- tablegen -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_IR_KVCACHEDIALECT_TD
#define KVCACHE_DIALECT_KVCACHE_IR_KVCACHEDIALECT_TD

include "mlir/IR/DialectBase.td"

def KVCache_Dialect : Dialect {
  let name = "kvcache";
  let cppNamespace = "::kvcache";
  let summary = "Paged KV-cache inputs as first-class, ABI-verified values";
  let description = [{
    LLM serving engines keep attention keys and values in a *paged KV cache*:
    a pool of fixed-size pages, a per-request page table and per-request
    lengths. A graph compiler passes one device's cache to a model as a bundle
    of four to nine tensors (Modular MAX's `KVCacheInputsPerDevice`).

    The `kvcache` dialect makes that bundle one SSA value of type
    `!kvcache.inputs<...>`, verified against the flat input ABI (docs/ABI.md),
    and provides the passes that flatten it into function arguments in the
    exact ABI order, regroup flat arguments into bundles, and drop optional
    fields that nothing reads.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

#endif // KVCACHE_DIALECT_KVCACHE_IR_KVCACHEDIALECT_TD
