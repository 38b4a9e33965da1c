// REQUIRES: ptxas
// The MLA kernel variants (store, decode, decode_multi, combine, prefill;
// head_dim 576 / value 512 in bf16 with 16 and 128 q heads, 40 / 32 in f32)
// assemble with ptxas for sm_90a and for sm_80, without spilling.
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu{chip=sm_90a},kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.sm_90a.ptx
// RUN: %ptxas -arch=sm_90a -v %t.sm_90a.ptx -o %t.sm_90a.cubin 2>&1 \
// RUN:   | %python %S/Inputs/ptxas_resources.py > %t.sm_90a.txt
// RUN: FileCheck %s -DARCH=sm_90a --input-file=%t.sm_90a.txt
// RUN: FileCheck %s --check-prefix=NOSPILL --input-file=%t.sm_90a.txt
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu{chip=sm_80},kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_80 cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.sm_80.ptx
// RUN: %ptxas -arch=sm_80 -v %t.sm_80.ptx -o %t.sm_80.cubin 2>&1 \
// RUN:   | %python %S/Inputs/ptxas_resources.py > %t.sm_80.txt
// RUN: FileCheck %s -DARCH=sm_80 --input-file=%t.sm_80.txt
// RUN: FileCheck %s --check-prefix=NOSPILL --input-file=%t.sm_80.txt

// NOSPILL-NOT: stack={{[1-9]}}
// NOSPILL-NOT: spill_stores={{[1-9]}}
// NOSPILL-NOT: spill_loads={{[1-9]}}

// CHECK: kernel=kvcache_combine_bf16_d576_p64_kv1_q128_mla_v512 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_combine_bf16_d576_p64_kv1_q16_causal_mla_v512 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_combine_f32_d40_p16_kv1_q16_causal_mla_v32 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_bf16_d576_p64_kv1_q128_mla_v512 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_bf16_d576_p64_kv1_q16_causal_mla_v512 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_f32_d40_p16_kv1_q16_causal_mla_v32 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_bf16_d576_p64_kv1_q128_mla_v512 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_bf16_d576_p64_kv1_q16_causal_mla_v512 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_f32_d40_p16_kv1_q16_causal_mla_v32 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_bf16_d576_p64_kv1_q128_mla_v512 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_bf16_d576_p64_kv1_q16_causal_mla_v512 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_f32_d40_p16_kv1_q16_causal_mla_v32 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_store_bf16_d576_p64_kv1 arch=[[ARCH]] registers=

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x64x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, mla_num_partitions: memref<1xi64>>
func.func @mla16(%kv: !mla, %layer: index, %latent: memref<?x1x576xbf16>, %q: memref<?x16x576xbf16>, %offsets: memref<?xi32>, %out: memref<?x16x512xbf16>) {
  kvcache.store %kv, %layer, %latent, %offsets : !mla, memref<?x1x576xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.0723 : f32, causal} : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x512xbf16>
  return
}
func.func @mla128(%kv: !mla, %layer: index, %q: memref<?x128x576xbf16>, %offsets: memref<?xi32>, %out: memref<?x128x512xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.0723 : f32} : !mla, memref<?x128x576xbf16>, memref<?xi32>, memref<?x128x512xbf16>
  return
}
!small = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x40xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @small(%kv: !small, %layer: index, %q: memref<?x16x40xf32>, %offsets: memref<?xi32>, %out: memref<?x16x32xf32>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.2 : f32, causal} : !small, memref<?x16x40xf32>, memref<?xi32>, memref<?x16x32xf32>
  return
}
