// A decode step for test/Integration/*/flatten-first.test: the compute ops
// sit in a private function that takes the bundle, so flattening first
// leaves a kvcache.pack of its flat arguments in front of them. Shapes fit
// kvcache-run --generate with --num-q-heads 8 --num-kv-heads 2 --head-dim 128
// --page-size 16 --num-layers 1 --dtype bf16.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x128xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>

func.func private @layer(%kv: !kv, %layer: index,
                         %q: memref<?x8x128xbf16>,
                         %key: memref<?x2x128xbf16>,
                         %value: memref<?x2x128xbf16>,
                         %offsets: memref<?xi32>,
                         %out: memref<?x8x128xbf16>) {
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x128xbf16>, memref<?x2x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !kv, memref<?x8x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>
  return
}

func.func @decode(%q: memref<?x8x128xbf16> {kvcache.name = "q"},
                  %key: memref<?x2x128xbf16> {kvcache.name = "key"},
                  %value: memref<?x2x128xbf16> {kvcache.name = "value"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x8x128xbf16>
                      {kvcache.name = "out", kvcache.role = "output"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %c0 = arith.constant 0 : index
  func.call @layer(%kv, %c0, %q, %key, %value, %offsets, %out)
      : (!kv, index, memref<?x8x128xbf16>, memref<?x2x128xbf16>,
         memref<?x2x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>) -> ()
  return
}
