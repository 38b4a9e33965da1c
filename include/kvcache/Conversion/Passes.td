//===- Passes.td - kvcache conversion passes ---------------*- tablegen -*-===//

#ifndef KVCACHE_CONVERSION_PASSES_TD
#define KVCACHE_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKVCacheToLoops : Pass<"convert-kvcache-to-loops", "::mlir::ModuleOp"> {
  let summary = "Lowers kvcache.store and kvcache.attention to scf loops";
  let description = [{
    The executable reference: `kvcache.store` and `kvcache.attention` become
    plain `scf.for` loops over memrefs, in f32, reading the bundle's fields
    through `kvcache.get` (run it before `kvcache-expand-inputs`). Integer
    fields are read as unsigned; page × stride addressing is 64-bit (`index`).

    Attention mirrors split-K: each request's keys are cut into `splits`
    partitions (when `splits` is 0: the host's count in the first split-count
    field the bundle holds, docs/ABI.md — `mla_num_partitions[0]` on an MLA
    cache, then `attention_dispatch_metadata[2]`, the `draft_` ones for a
    `draft` attention — clamped to `[1, splits-cap]`; else one), each
    producing an f32 partial output and its log-sum-exp, merged with the
    combine math the GPU kernels use.

    The indices a caller controls are checked at run time: an op whose
    `layer` is not in `[0, num_layers)` touches no memory, and a key or new
    row whose `lookup_table` page id is not below `total_num_pages`
    (`kv_blocks` dim 0) is skipped (its key contributes nothing); both call
    the runtime hook `kvcache_runtime_raise` (declared in the module), which
    fails the call.

    On an 8-bit float (`f8E4M3FN`) cache the store quantises each (token, kv
    head, lane group) of its f32, f16 or bf16 rows by docs/ABI.md's rule
    (finite amax, scale `amax / 448` or 1, true division, nearest even,
    saturating) and writes the scale to `kv_scales`; attention computes with
    the dequantised K and V (byte value × scale). The f8E4M3FN ↔ f32
    conversions are integer arithmetic, so bundles call no soft-float
    builtin.

    On an MLA cache (`kv_dim` 1) the store writes the latent rows and the
    attention is in absorbed form: scores over the whole row, the value its
    first `value_dim` lanes (`out`'s last dim).

    Bundles whose tensor-kind fields are `tensor` values are rejected with
    an error naming the op.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::kvcache::KVCacheDialect"
  ];
  let options = [
    Option<"splits", "splits", "int64_t", "0",
           "Split-K partitions per request (0: from the bundle's split-count "
           "field when present, else 1)">,
    Option<"splitsCap", "splits-cap", "int64_t", "64",
           "Most partitions per request taken from the bundle's split-count "
           "field">,
  ];
}

def ConvertKVCacheToGPU : Pass<"convert-kvcache-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lowers kvcache.store and kvcache.attention to GPU kernels";
  let description = [{
    Replaces each `kvcache.store` and `kvcache.attention` by host code in the
    enclosing function (scf/arith/memref) that computes launch parameters and
    launches kernels of `gpu.module @kvcache_kernels` with `gpu.launch_func`;
    the module gets `gpu.container_module`. It reads the bundle's fields
    through `kvcache.get`, so it runs where `convert-kvcache-to-loops` does:
    after `kvcache-drop-optional-fields`, before `kvcache-expand-inputs`.
    Head dim and page size specialise the kernels from the static dims of
    `kv_blocks`; all page × stride arithmetic is 64-bit (`index`).

    Kernels (one per distinct shape, element type, scale and mask):
    - store: each thread copies 16 bytes of a new K/V row into its page.
    - decode (`max_lengths[0][0] <= 8`, chosen on the host; a one-token
      and a multi-token variant): grid `(slots, num_kv_heads, batch)`, one
      CTA per (request, kv head, split) that reads each K/V byte once for
      all query rows of its GQA group, with the running max rescaled
      lazily (only when it grows by more than 2^8). For bf16/f16 caches
      with head_dim 64 or 128 (unless `tensor-cores=false`) each warp
      takes 16 keys per step on tensor cores (`mma.sync` m16n8k16:
      S = Q·Kᵀ, then Oᵀ = Vᵀ·Pᵀ with P kept in the lanes that computed it),
      for up to 8 query rows at once (16 in the multi-token variant, so
      speculative-decoding queries of a GQA group read K/V once);
      otherwise on CUDA cores, a step's dot products reduce-scattered over
      a key's lanes;
      partitions past the active count exit early, so the launch shape does
      not depend on the context length. Splits write f32 partial outputs
      and their log-sum-exp to a workspace; a combine kernel merges them
      with the math of `convert-kvcache-to-loops`, one warp per query row
      and q head, or up to a CTA's warps when there are many slots (one
      round of loads for up to 64 partitions at head_dim 128).
    - prefill (longer queries): a tiled flash-attention kernel, keys
      streamed through workgroup memory, causal mask per query row.
    Softmax is in f32 with `exp2` (NVVM `ex2.approx`, no libdevice).

    Split count: `splits` when > 0; else the first host-placed split-count
    field the bundle has (docs/ABI.md: `mla_num_partitions[0]` on an MLA
    cache, `attention_dispatch_metadata[2]` on an ordinary one; the
    `draft_` ones for a `draft` attention), clamped to `[1, slots]`; else
    `np = min(slots, max(1, max_lengths[0][1] / 256))`. The launched slots
    are `splits` when forced, else `min(n, splits-cap)`: with `ctas` the
    decode CTAs the kernel is built to fit per SM (ptxas is asked for it;
    3 × 128 / block-size on tensor cores, 2 on sm_8x, 4 × 128 / block-size
    on CUDA cores), `fill = max(1, num_sms * ctas / (batch *
    num_kv_heads))` fills every SM (MAX's rule in ABI.md gives it one
    CTA, which leaves a batch-1 decode latency-bound), and `n` is the
    smallest of `fill .. fill + 15` whose CTAs keep their waves of
    `num_sms * ctas` at least 90% busy (else `fill`): batch 64 × 8 kv heads
    on 132 SMs gets 3 (1536 CTAs in four waves) instead of 1 (512 CTAs, a
    second wave 29% full). Splits hold at least 256 keys, rounded up to 16
    on tensor cores.

    The host code calls two functions the runtime implements (declared
    here as private `func.func`s, called as plain C functions):
    - `func.func private @kvcache_runtime_num_sms() -> i32`, in C
      `int32_t kvcache_runtime_num_sms(void)`: the device's SM count.
    - `func.func private @kvcache_runtime_workspace(i64) -> i64`, in C
      `uint64_t kvcache_runtime_workspace(uint64_t bytes)`: the device
      address of a buffer of at least `bytes` bytes, 16-byte aligned, that
      the runtime owns, reuses across calls and grows only when needed
      (never a `gpu.alloc` per call, which would break CUDA-graph capture).

    MLA caches (`kv_dim` 1) run on the CUDA-core kernels: the store writes
    the latent rows, decode and prefill read each latent row once as the key
    and its first `value_dim` lanes as the value (a value row of `out`, the
    split-K partials and the combine are `value_dim` wide). Their split
    count is `mla_num_partitions[0]` when the bundle has it; an MLA cache's
    dispatch metadata is device memory, which the host code does not read.

    8-bit float caches (no FP8 kernels yet: convert-kvcache-to-loops
    lowers those), bundles whose tensor-kind fields are `tensor` values,
    head dims and value dims that are not a multiple of one 16-byte
    vector and non-identity layouts are rejected with an error naming the
    op. The kernels get their target (`#nvvm.target`) from the lowering
    pipeline (`kvcache::buildGPUKernelLoweringPipeline`), which must be
    given the same `chip`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::vector::VectorDialect",
    "::kvcache::KVCacheDialect"
  ];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "The GPU the kernels are generated for (sm_80 or newer)">,
    Option<"splitsCap", "splits-cap", "int64_t", "64",
           "Most split-K slots a decode launch gets">,
    Option<"blockSize", "block-size", "int64_t", "128",
           "Threads per CTA (a multiple of 32)">,
    Option<"splits", "splits", "int64_t", "0",
           "Force this many split-K partitions in decode (0: the rule above)">,
    Option<"tensorCores", "tensor-cores", "bool", "true",
           "Decode 16-bit caches with head_dim 64 or 128 on tensor cores "
           "(false: CUDA cores, for comparison)">,
    Option<"pageGuard", "page-guard", "bool", "true",
           "Check every page id the kernels read against total_num_pages "
           "(false: for measuring what the check costs only; a page id off "
           "the pool is then dereferenced)">,
  ];
}

def CheckDevicePlacement
    : Pass<"kvcache-check-device-placement", "::mlir::ModuleOp"> {
  let summary = "Refuses host operations on device-placed memory (GPU target)";
  let description = [{
    On the GPU target, a bundle's runtime places some entry arguments in
    device memory (every memref argument named by `kvcache.name`, and the
    cache fields that ABI.md places on the device: `kv_blocks`,
    `cache_lengths`, `lookup_table`, `kv_scales`, and the dispatch metadata
    of an MLA cache), while the code around the kvcache ops runs on the
    host. `convert-kvcache-to-gpu` turns only the kvcache ops into kernels;
    any other operation that reads or writes such memory would be compiled
    as host code dereferencing device pointers. This pass, run before
    `convert-kvcache-to-gpu` by the `kvcache-to-nvvm` pipeline and by
    `kvcache-compile --target=sm_XX|sim`, makes that an error naming the op
    and the value:

    ```
    'linalg.matmul' op reads 'q', which is device-placed: the GPU target runs
    only kvcache ops on device memory; lower the op to a GPU kernel first, or
    compile for the CPU
    ```

    Device-placed values are the public functions' arguments so placed (the
    same rule as the bundle manifest's "placement"), the `kvcache.get`
    results of device-placed fields, and what is derived from them: views
    and casts (any op with no memory effect on the value, such as
    `memref.subview`, `memref.cast`, `memref.reinterpret_cast`,
    `memref.collapse_shape` and `memref.expand_shape`, passes it on to its
    memref results), values forwarded by `scf` and `cf` control flow, and the
    arguments and results of the module's functions that they are passed to
    (followed through `func.call`).

    Allowed: the kvcache ops, reading a memref's descriptor (`memref.dim`,
    `memref.extract_strided_metadata`), calls of functions with a body in
    the module (whose bodies are checked in turn), control flow that only
    forwards the value, returns, and the `gpu` dialect's ops and whatever
    runs inside `gpu.launch` or a `gpu.module` (device code). Refused:
    anything with a memory effect on the value (`memref.load`,
    `memref.store`, `memref.copy`, `linalg` ops, `vector.transfer_read`
    ...), a call of a function without a body here (it would run on the
    host), and ops that declare no memory effects at all. Tensor values
    derived from device-placed memory may be reshaped, sliced, cast and
    measured, and go back to memrefs (`bufferization.to_buffer`); any other
    op on them is refused. Host-placed values (`max_lengths`, the MHA
    dispatch metadata, scalar arguments such as a layer index) are not
    checked.
  }];
  let dependentDialects = ["::kvcache::KVCacheDialect"];
}

def ConvertGPUKernelsToHost
    : Pass<"kvcache-gpu-kernels-to-host", "::mlir::ModuleOp"> {
  let summary = "Turns gpu.func kernels into host functions for a simulator";
  let description = [{
    The CPU simulator target (`kvcache-compile --target=sim`) runs the very
    kernels of a GPU bundle on the host, once per simulated CUDA thread.
    This pass replaces every `gpu.module` by its kernels, as private
    `func.func`s of the same names at the top level (marked
    `kvcache.sim_kernel` for `kvcache-sim-kernel-entries`), and rewrites
    what a thread asks of the hardware into calls to the simulator's hooks
    (`include/kvcache/ABI/SimKernelABI.h`):

    - `gpu.thread_id`, `gpu.block_id`, `gpu.block_dim`, `gpu.grid_dim`
      become `kvcache_sim_thread_id(dim)` ... (`gpu.lane_id` is the x thread
      id modulo 32);
    - `gpu.barrier` becomes `kvcache_sim_barrier(site)` and `gpu.shuffle`
      (32-bit values) `kvcache_sim_shuffle(bits, offset, width, mode,
      site)`, `site` numbering the barriers, and the warp collectives
      (shuffles and MMAs), in program order, so that the simulator can
      report threads that meet at different ones;
    - workgroup attributions become the CTA's buffers,
      `kvcache_sim_workgroup(index, bytes)`; private ones `memref.alloca`;
    - `nvvm.mma.sync` m16n8k16 with a row-major A, a column-major B, bf16
      or f16 multiplicands and f32 accumulators becomes
      `kvcache_sim_mma_m16n8k16(a0, a1, a2, a3, b0, b1, c0, c1, c2, c3, d,
      type, site)`, a warp collective numbered with the shuffles (16-bit
      pairs passed as `i32`); it stores the lane's four results at `d`, one
      4 x f32 `llvm.alloca` in the kernel's entry block, and they are
      loaded back into the `!llvm.struct` the op returned;
    - the NVVM intrinsics `ex2.approx`, `lg2.approx`, `fmax` and `fmin`
      become `math.exp2`, `math.log2`, `arith.maxnumf` and `arith.minnumf`;
    - GPU address spaces are dropped from memref types.

    Any other `gpu` or `nvvm` operation or intrinsic, device functions,
    shuffles of other widths and MMAs of other shapes, layouts or types are
    rejected with an error naming them. The
    module should hold the kernel modules alone: launches of the erased
    kernels would no longer verify.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def AddSimKernelEntries
    : Pass<"kvcache-sim-kernel-entries", "::mlir::ModuleOp"> {
  let summary = "Adds cuLaunchKernel-style entry points to host kernels";
  let description = [{
    Runs after the LLVM lowering of `kvcache-gpu-kernels-to-host`'s output.
    For every `llvm.func` marked `kvcache.sim_kernel` (`K`, whose memref
    parameters are now expanded into descriptor fields, in the order the
    NVVM lowering gives a real kernel) it adds
    `llvm.func @K_packed(%params: !llvm.ptr)`, which loads parameter `i`
    from the storage `params[i]` points at and calls `K` (the
    `void **kernelParams` of `cuLaunchKernel`), and a constant string
    `@K_param_types` such as `"ptr,ptr,i64,i32"` naming the parameter types
    for the simulator's launch checks. The mark is removed.

    It also defines `__truncsfbf2` (weak, hidden): x86 without AVX512-BF16
    legalises bf16 vector selects through f32 and back with a call to that
    compiler builtin, which the host's libgcc may lack.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // KVCACHE_CONVERSION_PASSES_TD
