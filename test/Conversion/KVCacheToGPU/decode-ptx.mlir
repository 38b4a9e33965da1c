// The default decode configuration (bf16, 32 query / 8 kv heads, head_dim
// 128, page 128) lowered to PTX by upstream's NVVM pipeline (LLVM's NVPTX
// backend only: no CUDA needed).
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %s \
// RUN:   --pass-pipeline='builtin.module(kvcache-drop-optional-fields,convert-kvcache-to-gpu,kvcache-expand-inputs,gpu-lower-to-nvvm-pipeline{cubin-chip=sm_90a cubin-features=+ptx80 cubin-format=isa})' \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.ptx
// RUN: FileCheck %s --input-file=%t.ptx
// RUN: FileCheck %s --input-file=%t.ptx --check-prefix=NEG

// K/V and q move in 128-bit accesses; no kernel touches global memory 16
// bits at a time, and nothing calls libdevice (which nothing links).
// NEG-NOT: ld.global{{(\.nc)?}}.{{[bu]}}16
// NEG-NOT: st.global.{{[bu]}}16
// NEG-NOT: __nv_
// NEG-NOT: .local

// CHECK-LABEL: .entry kvcache_decode_bf16_d128_p128_kv8_q32_causal(
// CHECK-DAG:   .maxntid 128, 1, 1
// CHECK-DAG:   .minnctapersm 3
// CHECK-DAG:   mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// CHECK-DAG:   cvt.rn.bf16x2.f32
// CHECK-DAG:   ld.global{{(\.nc)?}}.v4.{{[bu]}}32
// CHECK-DAG:   bar.sync
// CHECK-DAG:   st.shared.{{[bu]}}32
// CHECK-DAG:   ld.shared.{{[bu]}}32
// CHECK-DAG:   cvt.f32.bf16
// CHECK-DAG:   fma.rn.f32
// CHECK-DAG:   shfl.sync.bfly.b32
// CHECK-DAG:   ex2.approx.ftz.f32
// CHECK-DAG:   lg2.approx.ftz.f32
// CHECK-DAG:   st.global.v4.{{[bu]}}32
// CHECK-LABEL: .entry kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal(
// CHECK-LABEL: .entry kvcache_combine_bf16_d128_p128_kv8_q32_causal(
// CHECK-DAG:   ex2.approx.ftz.f32
// CHECK-DAG:   ld.global{{(\.nc)?}}.v4.{{[bu]}}32
// CHECK-DAG:   st.global.v4.{{[bu]}}32
// CHECK-LABEL: .entry kvcache_prefill_bf16_d128_p128_kv8_q32_causal(
// CHECK-DAG:   ld.global{{(\.nc)?}}.v4.{{[bu]}}32
// CHECK-DAG:   st.shared.v4.{{[bu]}}32
// CHECK-DAG:   ld.shared.v4.{{[bu]}}32
// CHECK-DAG:   ex2.approx.ftz.f32
// CHECK-DAG:   st.global.v4.{{[bu]}}32
// CHECK-LABEL: .entry kvcache_store_bf16_d128_p128_kv8(
// CHECK-DAG:   ld.global{{(\.nc)?}}.v4.{{[bu]}}32
// CHECK-DAG:   st.global.v4.{{[bu]}}32

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention(%kv: !kv, %layer: index, %q: memref<?x32x128xbf16>, %offsets: memref<?xi32>, %out: memref<?x32x128xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}
func.func @store(%kv: !kv, %layer: index, %k: memref<?x8x128xbf16>, %v: memref<?x8x128xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %v, %offsets : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  return
}
