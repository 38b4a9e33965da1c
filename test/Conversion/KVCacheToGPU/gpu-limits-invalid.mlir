// RUN: kvcache-opt %s --pass-pipeline='builtin.module(convert-kvcache-to-gpu)' --split-input-file -verify-diagnostics

// What convert-kvcache-to-gpu cannot launch: static dims past CUDA's grid
// limits, head dims whose kernels need more than a CTA's 48 KiB of static
// workgroup memory. Errors come before any kernel is built, except the exact
// workgroup-memory check, which measures the kernels built for the op.

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x65536x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @kv_heads_past_grid_y(%kv: !kv, %layer: index, %q: memref<?x65536x64xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op num_kv_heads (65536, kv_blocks dim 4) is past 65535, the most CTAs the decode and prefill grids' y dimension (num_kv_heads) holds; convert-kvcache-to-gpu cannot launch it}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x65536x64xbf16>, memref<?xi32>, memref<?x65536x64xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x1x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @q_heads_past_grid_y(%kv: !kv, %layer: index, %q: memref<?x65536x64xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op num_q_heads (65536, 'q' dim 1) is past 65535, the most CTAs the combine grid's y dimension (up to num_q_heads) holds}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x65536x64xbf16>, memref<?xi32>, memref<?x65536x64xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x64xbf16>, cache_lengths: memref<65536xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @batch_past_grid_z(%kv: !kv, %layer: index, %q: memref<?x8x64xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op batch (65536, 'cache_lengths' dim 0) is past 65535, the most CTAs the decode and prefill grids' z dimension (batch) holds}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x8x64xbf16>, memref<?xi32>, memref<?x8x64xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @batch_from_offsets(%kv: !kv, %layer: index, %q: memref<?x8x64xbf16>, %offsets: memref<65537xi32>) {
  // expected-error@+1 {{'kvcache.attention' op batch (65536, 'input_row_offsets' dim 0 - 1) is past 65535}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x8x64xbf16>, memref<65537xi32>, memref<?x8x64xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_tokens_past_grid_x(%kv: !kv, %layer: index, %k: memref<2147483648x2x64xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.store' op total_tokens (2147483648, 'key' dim 0) is past 2147483647, the most CTAs the store grid's x dimension (total_tokens) holds}}
  kvcache.store %kv, %layer, %k, %k, %offsets : !kv, memref<2147483648x2x64xbf16>, memref<2147483648x2x64xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_tokens_past_grid_x(%kv: !kv, %layer: index, %q: memref<2147483648x8x64xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op total_tokens (2147483648, 'q' dim 0) is past 2147483647, the most CTAs the combine grid's x dimension (total_tokens) holds}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<2147483648x8x64xbf16>, memref<?xi32>, memref<2147483648x8x64xbf16>
  return
}

// -----

// 2^20: rejected before any kernel is built (building it ran out of memory).
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x1048576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @head_dim_row_past_workgroup(%kv: !kv, %layer: index, %q: memref<?x8x1048576xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op head_dim 1048576 needs 4194304 bytes of workgroup memory for one f32 row (a decode warp's accumulator), past the 49152-byte (48 KiB) static limit of a CTA; convert-kvcache-to-gpu cannot lower it}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x8x1048576xbf16>, memref<?xi32>, memref<?x8x1048576xbf16>
  return
}

// -----

// 4096: one row fits, but the decode kernel's four warps' rows do not.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x4096xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @head_dim_kernel_past_workgroup(%kv: !kv, %layer: index, %q: memref<?x8x4096xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op kernel 'kvcache_decode_bf16_d4096_p16_kv2_q8' needs 66080 bytes of static workgroup memory (head_dim 4096, block-size 128), past the 49152-byte (48 KiB) limit of a CTA; convert-kvcache-to-gpu cannot lower it (a smaller block-size may fit)}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x8x4096xbf16>, memref<?xi32>, memref<?x8x4096xbf16>
  return
}

// -----

// The store kernel loops over a row: any head_dim (a multiple of the 16-byte
// vector) lowers, and 2048 fits every attention kernel at block-size 128.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x1048576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
!kv2 = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x2048xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @fits(%kv: !kv, %kv2: !kv2, %layer: index, %k: memref<?x2x1048576xbf16>, %q: memref<?x8x2048xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %k, %offsets : !kv, memref<?x2x1048576xbf16>, memref<?x2x1048576xbf16>, memref<?xi32>
  kvcache.attention %kv2, %layer, %q, %offsets, %q : !kv2, memref<?x8x2048xbf16>, memref<?xi32>, memref<?x8x2048xbf16>
  return
}
