// A decoder step that projects q from the hidden state on the host: refused
// on the GPU targets (test/Compile/device-placement.mlir).
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x128xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

func.func @decode(%hidden: memref<4x1024xbf16> {kvcache.name = "hidden"},
                  %wq: memref<1024x1024xbf16> {kvcache.name = "wq"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<4x8x128xbf16> {kvcache.name = "out", kvcache.role = "output"},
                  %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %q = memref.alloc() : memref<4x1024xbf16>
  linalg.matmul ins(%hidden, %wq : memref<4x1024xbf16>, memref<1024x1024xbf16>)
                outs(%q : memref<4x1024xbf16>)
  %heads = memref.expand_shape %q [[0], [1, 2]] output_shape [4, 8, 128]
      : memref<4x1024xbf16> into memref<4x8x128xbf16>
  kvcache.attention %kv, %layer, %heads, %offsets, %out
      : !kv, memref<4x8x128xbf16>, memref<?xi32>, memref<4x8x128xbf16>
  return
}
