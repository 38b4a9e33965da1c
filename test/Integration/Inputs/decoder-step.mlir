// One decoder step of a small GQA model as a graph compiler emits it, on
// tensors: the Q and fused K/V projections (linalg.matmul), the K and V
// halves sliced out of the fused projection, the new rows stored into layer 1
// of the cache, causal attention over cache and prompt, and a gate on the
// result. Four q heads over two kv heads, head_dim 8, pages of 4 slots; six
// prompt tokens in three requests. decoder_step.py checks it.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x4x2x8xf32>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @decoder_step(%x: tensor<6x16xf32> {kvcache.name = "x"},
                        %wq: tensor<16x32xf32> {kvcache.name = "wq"},
                        %wkv: tensor<16x32xf32> {kvcache.name = "wkv"},
                        %rows: tensor<4xi32> {kvcache.name = "input_row_offsets"},
                        %gate: tensor<6x32xf32> {kvcache.name = "gate"})
    -> (tensor<6x32xf32> {kvcache.name = "out"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %layer = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<6x32xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<6x32xf32>) -> tensor<6x32xf32>
  %qflat = linalg.matmul ins(%x, %wq : tensor<6x16xf32>, tensor<16x32xf32>) outs(%acc : tensor<6x32xf32>) -> tensor<6x32xf32>
  %kvflat = linalg.matmul ins(%x, %wkv : tensor<6x16xf32>, tensor<16x32xf32>) outs(%acc : tensor<6x32xf32>) -> tensor<6x32xf32>
  %q = tensor.expand_shape %qflat [[0], [1, 2]] output_shape [6, 4, 8] : tensor<6x32xf32> into tensor<6x4x8xf32>
  %kvh = tensor.expand_shape %kvflat [[0], [1, 2, 3]] output_shape [6, 2, 2, 8] : tensor<6x32xf32> into tensor<6x2x2x8xf32>
  %k = tensor.extract_slice %kvh[0, 0, 0, 0] [6, 1, 2, 8] [1, 1, 1, 1] : tensor<6x2x2x8xf32> to tensor<6x2x8xf32>
  %v = tensor.extract_slice %kvh[0, 1, 0, 0] [6, 1, 2, 8] [1, 1, 1, 1] : tensor<6x2x2x8xf32> to tensor<6x2x8xf32>
  kvcache.store %kv, %layer, %k, %v, %rows : !kv, tensor<6x2x8xf32>, tensor<6x2x8xf32>, tensor<4xi32>
  %init = tensor.empty() : tensor<6x4x8xf32>
  %o = kvcache.attention %kv, %layer, %q, %rows, %init {causal} : !kv, tensor<6x4x8xf32>, tensor<4xi32>, tensor<6x4x8xf32> -> tensor<6x4x8xf32>
  %oflat = tensor.collapse_shape %o [[0], [1, 2]] : tensor<6x4x8xf32> into tensor<6x32xf32>
  %gated = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%oflat, %gate : tensor<6x32xf32>, tensor<6x32xf32>) outs(%empty : tensor<6x32xf32>) {
  ^bb0(%a: f32, %g: f32, %unused: f32):
    %m = arith.mulf %a, %g : f32
    linalg.yield %m : f32
  } -> tensor<6x32xf32>
  return %gated : tensor<6x32xf32>
}
