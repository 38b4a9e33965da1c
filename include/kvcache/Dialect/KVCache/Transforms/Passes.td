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
    A field is read by a `kvcache.get` of it and by a compute op that uses it.

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
    disappear.

    `kvcache.inputs_per_device` declarations become new arguments of the
    enclosing function, appended after its existing arguments: caches in the
    order of their first declaration, devices ascending within a cache, each
    device's fields in ABI order. Every argument the pass creates carries
    `kvcache.field`, `kvcache.device` and, for a named cache,
    `kvcache.cache`, so that a runtime can bind arguments by name and
    `kvcache-pack-inputs` can invert the pass.

    An operation the pass does not know that still uses a bundle (compute
    ops must be lowered first) is an error naming it.
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
