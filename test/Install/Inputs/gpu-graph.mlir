// A store and a causal attention (GQA 4, head_dim 64, page 16): small
// kernels, so that lowering them stays quick.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @step(%kv: !kv, %layer: index, %k: memref<?x2x64xbf16>, %v: memref<?x2x64xbf16>, %q: memref<?x8x64xbf16>, %offsets: memref<?xi32>, %out: memref<?x8x64xbf16>) {
  kvcache.store %kv, %layer, %k, %v, %offsets : !kv, memref<?x2x64xbf16>, memref<?x2x64xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal} : !kv, memref<?x8x64xbf16>, memref<?xi32>, memref<?x8x64xbf16>
  return
}
