// A Llama-3-8B-shaped decode step: 32 query heads, 8 kv heads, head_dim 128,
// page size 128, 32 layers, bf16. The graph declares its cache inputs (a
// target cache on one device) and hands the bundle to a per-layer function
// that calls a hand-written kernel with MAX's kernel ABI.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>

// The kernel takes the kernel ABI: no dispatch metadata.
func.func private @paged_attention(memref<?x2x32x128x8x128xbf16>, memref<?xi32>,
                                   memref<?x?xi32>, memref<?x2xi32>, index,
                                   memref<?x32x128xbf16>, memref<?xi32>,
                                   memref<?x32x128xbf16>)

func.func private @attention_layer(%kv: !kv, %layer: index,
                                   %q: memref<?x32x128xbf16>,
                                   %offsets: memref<?xi32>,
                                   %out: memref<?x32x128xbf16>) {
  %blocks = kvcache.get %kv[kv_blocks] : !kv
  %lengths = kvcache.get %kv[cache_lengths] : !kv
  %table = kvcache.get %kv[lookup_table] : !kv
  %max = kvcache.get %kv[max_lengths] : !kv
  call @paged_attention(%blocks, %lengths, %table, %max, %layer, %q, %offsets,
                        %out)
      : (memref<?x2x32x128x8x128xbf16>, memref<?xi32>, memref<?x?xi32>,
         memref<?x2xi32>, index, memref<?x32x128xbf16>, memref<?xi32>,
         memref<?x32x128xbf16>) -> ()
  return
}

func.func @decode_step(%q: memref<?x32x128xbf16> {kvcache.name = "q"},
                       %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                       %out: memref<?x32x128xbf16> {kvcache.name = "out"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  scf.for %layer = %c0 to %c32 step %c1 {
    func.call @attention_layer(%kv, %layer, %q, %offsets, %out)
        : (!kv, index, memref<?x32x128xbf16>, memref<?xi32>,
           memref<?x32x128xbf16>) -> ()
  }
  return
}
