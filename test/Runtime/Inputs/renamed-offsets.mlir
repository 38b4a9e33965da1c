// A step whose row offsets are not named input_row_offsets and which takes
// an unrelated rank-3 input: kvcache-run must find the offsets (and the
// ragged activations) by the operands they feed, not by name or rank.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x4x1x4xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>
func.func @step(%q: memref<?x2x4xf32> {kvcache.name = "q"},
                %key: memref<?x1x4xf32> {kvcache.name = "key"},
                %value: memref<?x1x4xf32> {kvcache.name = "value"},
                %offsets: memref<?xi32> {kvcache.name = "row_offsets"},
                %weights: memref<3x4x8xf32> {kvcache.name = "weights"},
                %out: memref<?x2x4xf32> {kvcache.name = "out", kvcache.role = "output"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %layer = arith.constant 0 : index
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<?x1x4xf32>, memref<?x1x4xf32>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x2x4xf32>, memref<?xi32>, memref<?x2x4xf32>
  return
}
