// A decode step for the installed kvcache-compile (tools.test).
!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

func.func @decode(%q: memref<?x4x8xf32> {kvcache.name = "q"},
                  %key: memref<?x2x8xf32> {kvcache.name = "key"},
                  %value: memref<?x2x8xf32> {kvcache.name = "value"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x4x8xf32> {kvcache.name = "out", kvcache.role = "output"},
                  %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !kv, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>
  return
}
