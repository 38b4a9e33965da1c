// An FP8 cache's store and attention need no soft-float builtins: the e4m3
// conversions are integer arithmetic, so the bundle's LLVM IR declares no
// __* helper and its library leaves none undefined (the backend turns
// conversions it cannot do in hardware into calls such as __truncsfbf2 or
// __extendhfsf2, which only nm of the library shows); it loads wherever a
// libc does.
// RUN: rm -rf %t && kvcache-compile %s --target=cpu -o %t/bundle
// RUN: FileCheck %s --input-file=%t/bundle/graph.ll --implicit-check-not=@__
// RUN: nm -D --undefined-only %t/bundle/libkernels.so | FileCheck %s --check-prefix=NM \
// RUN:   --implicit-check-not='{{__(extend|trunc|fix|float)[a-z0-9]*}}' --implicit-check-not='{{__[a-z0-9_]*f8}}'
// The same graph with f16 rows and queries: no FP8 or bf16 helper either.
// RUN: sed 's/bf16/f16/g' %s > %t/f16.mlir
// RUN: kvcache-compile %t/f16.mlir --target=cpu -o %t/f16
// RUN: nm -D --undefined-only %t/f16/libkernels.so | FileCheck %s --check-prefix=NM \
// RUN:   --implicit-check-not='{{__[a-z0-9_]*(f8|bf)[a-z0-9_]*}}'

// The GPU targets do not lower FP8 caches yet; the simulator's is one of them.
// RUN: not kvcache-compile %s --target=sim -o %t/sim 2>&1 | FileCheck %s --check-prefix=SIM
// SIM: error: 'kvcache.store' op on an 8-bit float cache is not lowered to GPU kernels yet

// CHECK: define {{.*}}@step_f32(
// CHECK: define {{.*}}@step_bf16(
// NM: kvcache_runtime_raise

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x64xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x2x16x2x4xf32>>

func.func @step_f32(%q: memref<?x4x64xf32> {kvcache.name = "q"},
                    %key: memref<?x2x64xf32> {kvcache.name = "key"},
                    %value: memref<?x2x64xf32> {kvcache.name = "value"},
                    %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                    %out: memref<?x4x64xf32> {kvcache.name = "out", kvcache.role = "output"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %layer = arith.constant 1 : index
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<?x2x64xf32>, memref<?x2x64xf32>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal} : !kv, memref<?x4x64xf32>, memref<?xi32>, memref<?x4x64xf32>
  return
}

func.func @step_bf16(%q: memref<?x4x64xbf16> {kvcache.name = "q"},
                     %key: memref<?x2x64xbf16> {kvcache.name = "key"},
                     %value: memref<?x2x64xbf16> {kvcache.name = "value"},
                     %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                     %out: memref<?x4x64xbf16> {kvcache.name = "out", kvcache.role = "output"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %layer = arith.constant 0 : index
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<?x2x64xbf16>, memref<?x2x64xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x4x64xbf16>, memref<?xi32>, memref<?x4x64xbf16>
  return
}
