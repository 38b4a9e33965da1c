// REQUIRES: ptxas
// Every kernel variant these shapes generate (store, decode, decode_multi,
// combine, prefill; f16/bf16/f32; head_dim 64/128; page 16/128; GQA 1, 3, 4,
// 8, 16) assembles with ptxas for sm_90a and for sm_80, without spilling.
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

// CHECK: kernel=kvcache_combine_bf16_d128_p128_kv8_q32_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_combine_bf16_d128_p16_kv1_q16 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_combine_bf16_d64_p16_kv2_q16_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_combine_f16_d128_p16_kv4_q4 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_combine_f16_d64_p128_kv2_q8_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_combine_f32_d128_p16_kv2_q8_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_combine_f32_d64_p128_kv2_q6_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_bf16_d128_p128_kv8_q32_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_bf16_d128_p16_kv1_q16 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_bf16_d64_p16_kv2_q16_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_f16_d128_p16_kv4_q4 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_f16_d64_p128_kv2_q8_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_f32_d128_p16_kv2_q8_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_f32_d64_p128_kv2_q6_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_bf16_d128_p16_kv1_q16 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_bf16_d64_p16_kv2_q16_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_f16_d128_p16_kv4_q4 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_f16_d64_p128_kv2_q8_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_f32_d128_p16_kv2_q8_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_decode_multi_f32_d64_p128_kv2_q6_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_bf16_d128_p128_kv8_q32_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_bf16_d128_p16_kv1_q16 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_bf16_d64_p16_kv2_q16_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_f16_d128_p16_kv4_q4 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_f16_d64_p128_kv2_q8_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_f32_d128_p16_kv2_q8_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_prefill_f32_d64_p128_kv2_q6_causal arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_store_bf16_d128_p128_kv8 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_store_bf16_d128_p16_kv1 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_store_bf16_d64_p16_kv2 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_store_f16_d128_p16_kv4 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_store_f16_d64_p128_kv2 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_store_f32_d128_p16_kv2 arch=[[ARCH]] registers=
// CHECK-NEXT: kernel=kvcache_store_f32_d64_p128_kv2 arch=[[ARCH]] registers=

!bf16_d128 = !kvcache.inputs<kv_blocks: memref<?x2x2x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @bf16_d128_p128(%kv: !bf16_d128, %layer: index, %k: memref<?x8x128xbf16>, %q: memref<?x32x128xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !bf16_d128, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %q {causal} : !bf16_d128, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

!bf16_g16 = !kvcache.inputs<kv_blocks: memref<?x2x1x16x1x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @bf16_d128_p16_g16(%kv: !bf16_g16, %layer: index, %k: memref<?x1x128xbf16>, %q: memref<?x16x128xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !bf16_g16, memref<?x1x128xbf16>, memref<?x1x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %q : !bf16_g16, memref<?x16x128xbf16>, memref<?xi32>, memref<?x16x128xbf16>
  return
}

!bf16_d64 = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>
func.func @bf16_d64_p16_g8(%kv: !bf16_d64, %layer: index, %k: memref<?x2x64xbf16>, %q: memref<?x16x64xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !bf16_d64, memref<?x2x64xbf16>, memref<?x2x64xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %q {causal} : !bf16_d64, memref<?x16x64xbf16>, memref<?xi32>, memref<?x16x64xbf16>
  return
}

!f16_d128 = !kvcache.inputs<kv_blocks: memref<?x2x2x16x4x128xf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @f16_d128_p16_g1(%kv: !f16_d128, %layer: index, %k: memref<?x4x128xf16>, %q: memref<?x4x128xf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !f16_d128, memref<?x4x128xf16>, memref<?x4x128xf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %q {scale = 0.1 : f32} : !f16_d128, memref<?x4x128xf16>, memref<?xi32>, memref<?x4x128xf16>
  return
}

!f16_d64 = !kvcache.inputs<kv_blocks: memref<?x2x1x128x2x64xf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @f16_d64_p128_g4(%kv: !f16_d64, %layer: index, %k: memref<?x2x64xf16>, %q: memref<?x8x64xf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !f16_d64, memref<?x2x64xf16>, memref<?x2x64xf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %q {causal} : !f16_d64, memref<?x8x64xf16>, memref<?xi32>, memref<?x8x64xf16>
  return
}

!f32_d128 = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x128xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @f32_d128_p16_g4(%kv: !f32_d128, %layer: index, %k: memref<?x2x128xf32>, %q: memref<?x8x128xf32>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !f32_d128, memref<?x2x128xf32>, memref<?x2x128xf32>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %q {causal} : !f32_d128, memref<?x8x128xf32>, memref<?xi32>, memref<?x8x128xf32>
  return
}

!f32_d64 = !kvcache.inputs<kv_blocks: memref<?x2x1x128x2x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @f32_d64_p128_g3(%kv: !f32_d64, %layer: index, %k: memref<?x2x64xf32>, %q: memref<?x6x64xf32>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !f32_d64, memref<?x2x64xf32>, memref<?x2x64xf32>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %q {causal} : !f32_d64, memref<?x6x64xf32>, memref<?xi32>, memref<?x6x64xf32>
  return
}
