//===- Passes.td - kvcache passes --------------------------*- tablegen -*-===//

#ifndef KVCACHE_DIALECT_KVCACHE_TRANSFORMS_PASSES_TD
#define KVCACHE_DIALECT_KVCACHE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def DropOptionalFields : Pass<"kvcache-drop-optional-fields", "::mlir::ModuleOp"> {
  let summary = "Drops optional bundle fields that nothing reads";
  let description = [{
    Removes optional fields of `!kvcache.inputs` values that nothing reads,
    and updates the bundle type everywhere it flows: through private
    functions and their call sites, block arguments, branches and regions.
    A field is read by a `kvcache.get` of it and by a compute op that uses it:
    an attention reads the first split-count field its bundle holds
    (docs/ABI.md: `mla_num_partitions`, then `attention_dispatch_metadata`;
    the `draft_` ones for a `draft` attention, which cannot be dropped under
    it).

    Public functions keep their signature unless `public-functions=true`;
    where a kept public signature passes a bundle to a pruned callee, the pass
    converts at the call with `kvcache.get` and `kvcache.pack`.

    `fields=a,b` drops the named optional fields in every function, public
    ones included; it is an error, naming the reader, if any of them is read.
    `kernel-abi=true` drops the four dispatch fields (ABI fields 5-8), which
    turns the graph ABI into MAX's kernel ABI. Required fields, and
    `kv_scales` on an 8-bit float cache, are never dropped.
  }];
  let dependentDialects = ["::kvcache::KVCacheDialect"];
  let options = [
    ListOption<"fields", "fields", "std::string",
               "Optional fields to drop everywhere (an error if read)">,
    Option<"kernelABI", "kernel-abi", "bool", "false",
           "Drop the four dispatch fields (MAX's kernel ABI)">,
    Option<"publicFunctions", "public-functions", "bool", "false",
           "Also prune unread fields from public function signatures">,
  ];
}

def ExpandInputs : Pass<"kvcache-expand-inputs", "::mlir::ModuleOp"> {
  let summary = "Expands bundles into their fields, in ABI order (flatten)";
  let description = [{
    Every value of `!kvcache.inputs` type becomes its present fields, in ABI
    order, wherever it appears: function arguments and results, calls,
    returns, the arguments of every block and the branches that feed them
    (`cf.br`, `cf.cond_br`, `cf.switch`), and `scf.if`, `scf.for`,
    `scf.while` and `scf.execute_region`. `kvcache.pack` and `kvcache.get`
    disappear, except where an operation the pass does not know uses a
    bundle.

    `kvcache.inputs_per_device` declarations become new arguments of the
    enclosing function, appended after its existing arguments: caches in the
    order of their first declaration, devices ascending within a cache, each
    device's fields in ABI order. Every argument the pass creates carries
    `kvcache.field`, `kvcache.device` and, for a named cache,
    `kvcache.cache`, so that a runtime can bind arguments by name and
    `kvcache-pack-inputs` can invert the pass.

    Operations the pass does not know (`kvcache.store` and
    `kvcache.attention`, ops of other dialects, `scf.index_switch`, and the
    terminators and branches in their regions) stay as they are, so that
    compute ops can be lowered after flattening. Where such an op takes a
    bundle, the pass rebuilds it from the flat values with one
    `kvcache.pack` (the conversion's source materialization); where it
    defines one (a result or a block argument), the rewritten ops read its
    fields with `kvcache.get` (the target materialization). The lowerings
    read a bundle's fields with `kvcache.get`, which folds through the pack,
    so a second run of the pass after them leaves no bundle.

    A type that holds a bundle inside it (a function type, a tuple) cannot be
    rewritten and is an error naming the operation.
  }];
  let dependentDialects = ["::kvcache::KVCacheDialect"];
}

def PackInputs : Pass<"kvcache-pack-inputs", "::mlir::ModuleOp"> {
  let summary = "Regroups annotated flat arguments into bundles (unflatten)";
  let description = [{
    The inverse of `kvcache-expand-inputs` on function arguments: each run of
    arguments annotated with `kvcache.field`, starting at `kv_blocks` and in
    increasing ABI order, with one `kvcache.device` and `kvcache.cache`,
    becomes one `!kvcache.inputs` argument at the position of its
    `kv_blocks`. Uses of a field become `kvcache.get`. Other attributes the
    fields carried are kept in a `kvcache.field_attrs` dictionary on the
    bundle argument. Call sites of a changed private function pack their
    flat operands.
  }];
  let dependentDialects = ["::kvcache::KVCacheDialect"];
}

#endif // KVCACHE_DIALECT_KVCACHE_TRANSFORMS_PASSES_TD
