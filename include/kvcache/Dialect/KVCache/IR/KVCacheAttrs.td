//===- KVCacheAttrs.td - kvcache attributes ----------------*- tablegen -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_IR_KVCACHEATTRS_TD
#define KVCACHE_DIALECT_KVCACHE_IR_KVCACHEATTRS_TD

include "kvcache/Dialect/KVCache/IR/KVCacheDialect.td"
include "mlir/IR/AttrTypeBase.td"

def KVCache_FieldAttr : AttrDef<KVCache_Dialect, "Field"> {
  let mnemonic = "field";
  let summary = "One field of the KV-cache input ABI";
  let description = [{
    Names one field of `!kvcache.inputs` by its ABI name (docs/ABI.md), e.g.
    `#kvcache.field<lookup_table>`.
  }];
  let parameters = (ins "::kvcache::abi::Field":$value);
  let hasCustomAssemblyFormat = 1;
}

#endif // KVCACHE_DIALECT_KVCACHE_IR_KVCACHEATTRS_TD
