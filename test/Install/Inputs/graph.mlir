!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @step() -> memref<?x?xi32> {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %t = kvcache.get %kv[lookup_table] : !kv
  return %t : memref<?x?xi32>
}
