// REQUIRES: ptxas
// What the page-id checks cost the default decode configuration (bf16, 32
// query / 8 kv heads, head_dim 128, page 128; one-token and multi-token
// decode on tensor cores and on CUDA cores, prefill, store) on sm_90a: each
// kernel built with the checks uses within 8 registers of the same kernel
// built without them (page-guard=false), and neither spills.
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu,kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.checked.ptx
// RUN: %ptxas -arch=sm_90a -v %t.checked.ptx -o %t.checked.cubin 2>&1 | %python %S/Inputs/ptxas_resources.py > %t.checked.txt
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu{page-guard=false},kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.unchecked.ptx
// RUN: %ptxas -arch=sm_90a -v %t.unchecked.ptx -o %t.unchecked.cubin 2>&1 | %python %S/Inputs/ptxas_resources.py > %t.unchecked.txt
// RUN: %python %S/Inputs/compare_resources.py %t.checked.txt %t.unchecked.txt | FileCheck %s
// The unchecked kernels read lookup_table's ids as they are.
// RUN: FileCheck %s --check-prefix=UNCHECKED --input-file=%t.unchecked.ptx
// RUN: FileCheck %s --check-prefix=CHECKED --input-file=%t.checked.ptx
//
// The cuda-cores module below has its own (CUDA-core) decode kernels.
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu{tensor-cores=false},kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.cc-checked.ptx
// RUN: %ptxas -arch=sm_90a -v %t.cc-checked.ptx -o %t.cc-checked.cubin 2>&1 | %python %S/Inputs/ptxas_resources.py > %t.cc-checked.txt
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu{tensor-cores=false page-guard=false},kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.cc-unchecked.ptx
// RUN: %ptxas -arch=sm_90a -v %t.cc-unchecked.ptx -o %t.cc-unchecked.cubin 2>&1 | %python %S/Inputs/ptxas_resources.py > %t.cc-unchecked.txt
// RUN: %python %S/Inputs/compare_resources.py %t.cc-checked.txt %t.cc-unchecked.txt | FileCheck %s --check-prefix=CUDACORES

// CHECK-NOT: OVER
// CHECK: kernel=kvcache_combine_bf16_d128_p128_kv8_q32_causal registers {{.*}} ok
// CHECK-NEXT: kernel=kvcache_decode_bf16_d128_p128_kv8_q32_causal registers {{.*}} ok
// CHECK-NEXT: kernel=kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal registers {{.*}} ok
// CHECK-NEXT: kernel=kvcache_prefill_bf16_d128_p128_kv8_q32_causal registers {{.*}} ok
// CHECK-NEXT: kernel=kvcache_store_bf16_d128_p128_kv8 registers {{.*}} ok
// CUDACORES-NOT: OVER
// CUDACORES: kernel=kvcache_decode_bf16_d128_p128_kv8_q32_causal registers {{.*}} ok
// CUDACORES: kernel=kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal registers {{.*}} ok

// UNCHECKED-NOT: atom.global
// UNCHECKED-NOT: bar.red.or
// CHECKED: atom.global.max.u64
// CHECKED: bar.red.or.pred

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention(%kv: !kv, %layer: index, %q: memref<?x32x128xbf16>, %offsets: memref<?xi32>, %out: memref<?x32x128xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}
func.func @store(%kv: !kv, %layer: index, %k: memref<?x8x128xbf16>, %v: memref<?x8x128xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %v, %offsets : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  return
}
