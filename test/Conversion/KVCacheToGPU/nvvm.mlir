// RUN: kvcache-opt %s --pass-pipeline='builtin.module(convert-kvcache-to-gpu,gpu.module(convert-gpu-to-nvvm))' | FileCheck %s

// Checked on the NVVM IR, before any linking: no kernel calls libdevice
// (math.exp, math.fma and friends become __nv_* calls that resolve only when
// CUDA's libdevice happens to be found, and stay unresolved otherwise).
// exp2/log2 are NVVM's approximate intrinsics, FMAs contractible mul/add.
// CHECK-NOT:   __nv_
// CHECK-LABEL: gpu.module @kvcache_kernels
// CHECK:         llvm.func @kvcache_decode_bf16_d128_p128_kv8_q32_causal(
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:           llvm.fmul {{.*}} {fastmathFlags = #llvm.fastmath<contract>} : f32
// CHECK:           llvm.fadd {{.*}} {fastmathFlags = #llvm.fastmath<contract>} : f32
// CHECK-NOT:   __nv_
!bf16_d128 = !kvcache.inputs<kv_blocks: memref<?x2x2x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @bf16_d128_p128(%kv: !bf16_d128, %layer: index, %k: memref<?x8x128xbf16>, %q: memref<?x32x128xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !bf16_d128, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %q {causal} : !bf16_d128, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
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
