// REQUIRES: ptxas
// The default decode configuration (bf16, 32 query / 8 kv heads, head_dim
// 128, page 128) assembled for sm_90a: no kernel spills, and the one-token
// decode kernel fits 168 registers on tensor cores (three 128-thread CTAs
// per SM) and 128 on CUDA cores (four); the combine kernel, with eight
// partitions' partials in flight per lane, fits 128 (four).
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu,kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.ptx
// RUN: %ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | %python %S/Inputs/ptxas_resources.py | FileCheck %s
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu{tensor-cores=false},kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.cuda-cores.ptx
// RUN: %ptxas -arch=sm_90a -v %t.cuda-cores.ptx -o %t.cuda-cores.cubin 2>&1 | %python %S/Inputs/ptxas_resources.py | FileCheck %s --check-prefix=CUDACORES

// CUDACORES: kernel=kvcache_decode_bf16_d128_p128_kv8_q32_causal arch=sm_90a registers={{([0-9]|[0-9][0-9]|1[01][0-9]|12[0-8])}} stack=0 spill_stores=0 spill_loads=0

// CHECK: kernel=kvcache_combine_bf16_d128_p128_kv8_q32_causal arch=sm_90a registers={{([0-9]|[0-9][0-9]|1[01][0-9]|12[0-8])}} stack=0 spill_stores=0 spill_loads=0 smem={{[0-9]+}}
// CHECK-NEXT: kernel=kvcache_decode_bf16_d128_p128_kv8_q32_causal arch=sm_90a registers={{([0-9]|[0-9][0-9]|1[0-5][0-9]|16[0-8])}} stack=0 spill_stores=0 spill_loads=0 smem={{[0-9]+}}
// CHECK-NEXT: kernel=kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal arch=sm_90a registers={{[0-9]+}} stack=0 spill_stores=0 spill_loads=0 smem={{[0-9]+}}
// CHECK-NEXT: kernel=kvcache_prefill_bf16_d128_p128_kv8_q32_causal arch=sm_90a registers={{[0-9]+}} stack=0 spill_stores=0 spill_loads=0 smem={{[0-9]+}}
// CHECK-NEXT: kernel=kvcache_store_bf16_d128_p128_kv8 arch=sm_90a registers={{[0-9]+}} stack=0 spill_stores=0 spill_loads=0 smem=0

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention(%kv: !kv, %layer: index, %q: memref<?x32x128xbf16>, %offsets: memref<?xi32>, %out: memref<?x32x128xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}
func.func @store(%kv: !kv, %layer: index, %k: memref<?x8x128xbf16>, %v: memref<?x8x128xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %v, %offsets : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  return
}
