// RUN: kvcache-opt %s --convert-kvcache-to-loops --split-input-file -verify-diagnostics

// An 8-bit float cache is lowered (loops.mlir), but its fields must be
// memrefs too.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x2x16x2x1xf32>>
func.func @fp8_tensor_field(%kv: !kv, %layer: index, %q: memref<?x4x128xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op reads field 'lookup_table' as 'tensor<?x?xi32>'; convert-kvcache-to-loops needs memref fields (bufferize the graph first)}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x4x128xbf16>, memref<?xi32>, memref<?x4x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>, cache_lengths: tensor<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @tensor_field(%kv: !kv, %layer: index, %k: memref<?x2x8xf32>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.store' op reads field 'cache_lengths' as 'tensor<?xi32>'; convert-kvcache-to-loops needs memref fields (bufferize the graph first)}}
  kvcache.store %kv, %layer, %k, %k, %offsets : !kv, memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?xi32>
  return
}
