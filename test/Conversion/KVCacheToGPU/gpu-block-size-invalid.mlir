// RUN: kvcache-opt %s --pass-pipeline='builtin.module(convert-kvcache-to-gpu{block-size=256})' --split-input-file -verify-diagnostics

// The workgroup memory a kernel variant holds grows with block-size: at 256
// threads, the multi-token CUDA-core decode of head_dim 256 (eight warps of
// eight f32 rows) is past a CTA's 48 KiB; ptxas rejects it for sm_80 ("uses
// too much shared data").

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x256xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @multi_token_decode(%kv: !kv, %layer: index, %q: memref<?x8x256xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op kernel 'kvcache_decode_multi_bf16_d256_p16_kv2_q8' needs 67072 bytes of static workgroup memory (head_dim 256, block-size 256), past the 49152-byte (48 KiB) limit of a CTA}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x8x256xbf16>, memref<?xi32>, memref<?x8x256xbf16>
  return
}

// -----

// The tensor-core multi-token decode of bf16 head_dim 128 does not fit at
// 256 threads either (ptxas for sm_80: 0x10800 bytes, 0xc000 max).
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @multi_token_mma_decode(%kv: !kv, %layer: index, %q: memref<?x8x128xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op kernel 'kvcache_decode_multi_bf16_d128_p16_kv2_q8' needs 67584 bytes of static workgroup memory (head_dim 128, block-size 256)}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x8x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>
  return
}

// -----

// f32 head_dim 128 (CUDA cores) fits: no error.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x128xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @fits(%kv: !kv, %layer: index, %q: memref<?x8x128xf32>, %offsets: memref<?xi32>) {
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x8x128xf32>, memref<?xi32>, memref<?x8x128xf32>
  return
}
