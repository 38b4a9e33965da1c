//===- KVCacheOps.td - kvcache operations ------------------*- tablegen -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_IR_KVCACHEOPS_TD
#define KVCACHE_DIALECT_KVCACHE_IR_KVCACHEOPS_TD

include "kvcache/Dialect/KVCache/IR/KVCacheDialect.td"
include "kvcache/Dialect/KVCache/IR/KVCacheAttrs.td"
include "kvcache/Dialect/KVCache/IR/KVCacheTypes.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

class KVCache_Op<string mnemonic, list<Trait> traits = []>
    : Op<KVCache_Dialect, mnemonic, traits>;

def KVCache_InputsPerDeviceOp : KVCache_Op<"inputs_per_device",
    [DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
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

    The operation has no side effects to model but is not pure: removing an
    unused declaration would change the flat signature.
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
  }];
  let arguments = (ins Variadic<AnyType>:$values);
  let results = (outs KVCache_InputsType:$result);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
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

#endif // KVCACHE_DIALECT_KVCACHE_IR_KVCACHEOPS_TD
