// A Llama-3-8B-shaped decode step: 32 query heads, 8 kv heads, head_dim 128,
// page size 128, 32 layers, bf16. The graph declares its cache inputs, and
// every layer stores its new K/V rows and attends over the paged cache.
// (A real model computes q, key and value per layer; the example reuses one
// set so that the cache plumbing stays in view.)
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>

func.func private @attention_layer(%kv: !kv, %layer: index,
                                   %q: memref<?x32x128xbf16>,
                                   %key: memref<?x8x128xbf16>,
                                   %value: memref<?x8x128xbf16>,
                                   %offsets: memref<?xi32>,
                                   %out: memref<?x32x128xbf16>) {
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

func.func @decode_step(
    %q: memref<?x32x128xbf16> {kvcache.name = "q"},
    %key: memref<?x8x128xbf16> {kvcache.name = "key"},
    %value: memref<?x8x128xbf16> {kvcache.name = "value"},
    %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
    %out: memref<?x32x128xbf16> {kvcache.name = "out", kvcache.role = "output"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  scf.for %layer = %c0 to %c32 step %c1 {
    func.call @attention_layer(%kv, %layer, %q, %key, %value, %offsets, %out)
        : (!kv, index, memref<?x32x128xbf16>, memref<?x8x128xbf16>,
           memref<?x8x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>) -> ()
  }
  return
}
