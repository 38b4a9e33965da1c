// RUN: kvcache-opt %s -split-input-file -verify-diagnostics

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_wrong_heads(%kv: !kv, %l: index, %k: memref<?x4x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'key' has 4 heads (dim 1) but the cache has 8 kv heads (kv_blocks dim 4)}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x4x128xbf16>, memref<?x4x128xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_wrong_head_dim(%kv: !kv, %l: index, %k: memref<?x8x64xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'key' head_dim (dim 2) is 64 but the cache's head_dim (kv_blocks dim 5) is 128}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x8x64xbf16>, memref<?x8x64xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_wrong_element(%kv: !kv, %l: index, %k: memref<?x8x128xf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'key' element type 'f16' must be the cache's, 'bf16'}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x8x128xf16>, memref<?x8x128xf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_key_value_differ(%kv: !kv, %l: index, %k: memref<?x8x128xbf16>, %v: memref<4x8x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operands 'key' and 'value' must have the same type}}
  kvcache.store %kv, %l, %k, %v, %o : !kv, memref<?x8x128xbf16>, memref<4x8x128xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_rank(%kv: !kv, %l: index, %k: memref<?x1024xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'key' must be a rank-3 memref or tensor [tokens, heads, head_dim]}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x1024xbf16>, memref<?x1024xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_offsets(%kv: !kv, %l: index, %k: memref<?x8x128xbf16>, %o: memref<?xi64>) {
  // expected-error@+1 {{operand 'input_row_offsets' must be a rank-1 memref or tensor of i32 [batch + 1]}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi64>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_gqa(%kv: !kv, %l: index, %q: memref<?x12x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{num_q_heads (12, 'q' dim 1) must be a multiple of num_kv_heads (8, kv_blocks dim 4)}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x12x128xbf16>, memref<?xi32>, memref<?x12x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_out_shape(%kv: !kv, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>, %out: memref<?x16x128xbf16>) {
  // expected-error@+1 {{operand 'out' must have the shape and element type of 'q'}}
  kvcache.attention %kv, %l, %q, %o, %out : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x16x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_q_element(%kv: !kv, %l: index, %q: memref<?x32x128xf32>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'q' element type 'f32' must be the cache's, 'bf16'}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x32x128xf32>, memref<?xi32>, memref<?x32x128xf32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_dynamic_heads(%kv: !kv, %l: index, %q: memref<?x?x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'q' dim 1 (heads) must be static}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x?x128xbf16>, memref<?xi32>, memref<?x?x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_scale(%kv: !kv, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{scale must be positive, got -1}}
  kvcache.attention %kv, %l, %q, %o, %q {scale = -1.0 : f32} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_layer_out_of_range(%kv: !kv, %k: memref<?x8x128xbf16>, %o: memref<?xi32>) {
  %l = arith.constant 7 : index
  // expected-error@+1 {{layer 7 is out of range for a cache of 4 layers (kv_blocks dim 2)}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_layer_one_past(%kv: !kv, %k: memref<?x8x128xbf16>, %o: memref<?xi32>) {
  %l = arith.constant 4 : index
  // expected-error@+1 {{layer 4 is out of range for a cache of 4 layers (kv_blocks dim 2)}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_layer_out_of_range(%kv: !kv, %q: memref<?x8x128xbf16>, %o: memref<?xi32>) {
  %l = arith.constant 7 : index
  // expected-error@+1 {{layer 7 is out of range for a cache of 4 layers (kv_blocks dim 2)}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x8x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_layer_negative(%kv: !kv, %q: memref<?x8x128xbf16>, %o: memref<?xi32>) {
  %l = arith.constant -1 : index
  // expected-error@+1 {{layer -1 is out of range for a cache of 4 layers (kv_blocks dim 2)}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x8x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_zero_q_heads(%kv: !kv, %l: index, %q: memref<?x0x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{num_q_heads ('q' dim 1) must be positive, got 0}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x0x128xbf16>, memref<?xi32>, memref<?x0x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_zero_heads(%kv: !kv, %l: index, %k: memref<?x0x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'key' has 0 heads (dim 1) but the cache has 8 kv heads (kv_blocks dim 4)}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x0x128xbf16>, memref<?x0x128xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_scale_inf(%kv: !kv, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{scale must be finite (as an f32), got inf}}
  kvcache.attention %kv, %l, %q, %o, %q {scale = 0x7F800000 : f32} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// -----

// A literal past f32's range parses as inf.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_scale_too_large(%kv: !kv, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{scale must be finite (as an f32), got inf}}
  kvcache.attention %kv, %l, %q, %o, %q {scale = 1.0e300 : f32} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_scale_nan(%kv: !kv, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{scale must be finite (as an f32), got nan}}
  kvcache.attention %kv, %l, %q, %o, %q {scale = 0x7FC00000 : f32} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_scale_zero(%kv: !kv, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{scale must be positive, got 0}}
  kvcache.attention %kv, %l, %q, %o, %q {scale = 0.0 : f32} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_q_elements_overflow(%kv: !kv, %l: index, %q: memref<1152921504606846976x32x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'q' element count overflows int64: the nonzero static dims of 'memref<1152921504606846976x32x128xbf16>' multiply past 2^63 - 1}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<1152921504606846976x32x128xbf16>, memref<?xi32>, memref<1152921504606846976x32x128xbf16>
  return
}

// -----

// 2^56 rows of 8 x 128 elements: 2^66 elements.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_key_elements_overflow(%kv: !kv, %l: index, %k: memref<72057594037927936x8x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'key' element count overflows int64}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<72057594037927936x8x128xbf16>, memref<72057594037927936x8x128xbf16>, memref<?xi32>
  return
}

// -----

// 2^52 rows of 8 x 128 bf16: 2^62 elements, 2^63 bytes.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_key_bytes_overflow(%kv: !kv, %l: index, %k: memref<4503599627370496x8x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'key' byte size overflows int64: 4611686018427387904 elements of 2 bytes ('memref<4503599627370496x8x128xbf16>')}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<4503599627370496x8x128xbf16>, memref<4503599627370496x8x128xbf16>, memref<?xi32>
  return
}

// -----

// A zero token count does not hide strides that overflow: 2^62 heads of 128.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_q_stride_overflow(%kv: !kv, %l: index, %q: memref<0x4611686018427387904x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'q' element count overflows int64}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<0x4611686018427387904x128xbf16>, memref<?xi32>, memref<0x4611686018427387904x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_offsets_bytes_overflow(%kv: !kv, %l: index, %q: memref<?x8x128xbf16>, %o: memref<4611686018427387904xi32>) {
  // expected-error@+1 {{operand 'input_row_offsets' byte size overflows int64: 4611686018427387904 elements of 4 bytes}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x8x128xbf16>, memref<4611686018427387904xi32>, memref<?x8x128xbf16>
  return
}

// -----

// An 8-bit float cache quantises 16- and 32-bit float rows, nothing else.
!fp8 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>>
func.func @store_fp8_from_fp8(%kv: !fp8, %l: index, %k: memref<?x8x128xf8E4M3FN>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'key' element type 'f8E4M3FN' must be f32, f16 or bf16 on an 8-bit float cache (kv_blocks 'f8E4M3FN')}}
  kvcache.store %kv, %l, %k, %k, %o : !fp8, memref<?x8x128xf8E4M3FN>, memref<?x8x128xf8E4M3FN>, memref<?xi32>
  return
}

// -----

!fp8 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>>
func.func @store_fp8_mixed(%kv: !fp8, %l: index, %k: memref<?x8x128xbf16>, %v: memref<?x8x128xf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operands 'key' and 'value' must have the same type, got 'memref<?x8x128xbf16>' and 'memref<?x8x128xf16>'}}
  kvcache.store %kv, %l, %k, %v, %o : !fp8, memref<?x8x128xbf16>, memref<?x8x128xf16>, memref<?xi32>
  return
}

// -----

!fp8 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>>
func.func @attention_fp8_q_fp8(%kv: !fp8, %l: index, %q: memref<?x32x128xf8E4M3FN>, %o: memref<?xi32>) {
  // expected-error@+1 {{operand 'q' must hold f32, f16 or bf16, got 'f8E4M3FN'}}
  kvcache.attention %kv, %l, %q, %o, %q : !fp8, memref<?x32x128xf8E4M3FN>, memref<?xi32>, memref<?x32x128xf8E4M3FN>
  return
}

// -----

!fp8 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>>
func.func @attention_fp8_out_element(%kv: !fp8, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>, %out: memref<?x32x128xf32>) {
  // expected-error@+1 {{operand 'out' must have the shape and element type of 'q'}}
  kvcache.attention %kv, %l, %q, %o, %out : !fp8, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xf32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_mixed_forms(%kv: !kv, %l: index, %q: tensor<?x32x128xbf16>, %o: tensor<?xi32>, %out: memref<?x32x128xbf16>) {
  // expected-error@+1 {{operands 'q' and 'out' must both be memrefs or both be tensors, got 'tensor<?x32x128xbf16>' and 'memref<?x32x128xbf16>'}}
  kvcache.attention %kv, %l, %q, %o, %out : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, memref<?x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_mixed_forms(%kv: !kv, %l: index, %k: tensor<?x8x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{operands 'key' and 'input_row_offsets' must both be memrefs or both be tensors, got 'tensor<?x8x128xbf16>' and 'memref<?xi32>'}}
  kvcache.store %kv, %l, %k, %k, %o : !kv, tensor<?x8x128xbf16>, tensor<?x8x128xbf16>, memref<?xi32>
  return
}

// -----

// The tensor form returns its result; the memref form has none.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_tensor_no_result(%kv: !kv, %l: index, %q: tensor<?x32x128xbf16>, %o: tensor<?xi32>) {
  // expected-error@+1 {{expected the number of tensor results (0) to be equal to the number of output tensors (1)}}
  kvcache.attention %kv, %l, %q, %o, %q : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_result_type(%kv: !kv, %l: index, %q: tensor<?x32x128xbf16>, %o: tensor<?xi32>) {
  // expected-error@+1 {{expected type of operand #4 ('tensor<?x32x128xbf16>') to match type of corresponding result ('tensor<4x32x128xbf16>')}}
  %r = kvcache.attention %kv, %l, %q, %o, %q : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16> -> tensor<4x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention_tensor_rank(%kv: !kv, %l: index, %q: tensor<?x4096xbf16>, %o: tensor<?xi32>) {
  // expected-error@+1 {{operand 'q' must be a rank-3 memref or tensor [tokens, heads, head_dim], got 'tensor<?x4096xbf16>'}}
  %r = kvcache.attention %kv, %l, %q, %o, %q : !kv, tensor<?x4096xbf16>, tensor<?xi32>, tensor<?x4096xbf16> -> tensor<?x4096xbf16>
  return
}

// -----

// An MLA row is the key and the value at once.
!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @mla_store_value(%kv: !mla, %l: index, %latent: memref<?x1x576xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.store' op operand 'value' must be absent on an MLA cache (kv_dim 1): 'key' holds the latent rows, which are the values too}}
  kvcache.store %kv, %l, %latent, %latent, %o : !mla, memref<?x1x576xbf16>, memref<?x1x576xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_no_value(%kv: !kv, %l: index, %key: memref<?x8x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.store' op operand 'value' is required on a cache with kv_dim 2 (K and V); only an MLA cache (kv_dim 1) stores latent rows alone}}
  kvcache.store %kv, %l, %key, %o : !kv, memref<?x8x128xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_operand_count(%kv: !kv, %l: index, %key: memref<?x8x128xbf16>) {
  // expected-error@+1 {{expected bundle, layer, key, [value,] input_row_offsets: 4 or 5 operands, got 3}}
  kvcache.store %kv, %l, %key : !kv, memref<?x8x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store_type_count(%kv: !kv, %l: index, %key: memref<?x8x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{expected 3 types after the bundle's, one per rows operand, got 2}}
  kvcache.store %kv, %l, %key, %key, %o : !kv, memref<?x8x128xbf16>, memref<?xi32>
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @mla_no_scale(%kv: !mla, %l: index, %q: memref<?x16x576xbf16>, %o: memref<?xi32>, %out: memref<?x16x512xbf16>) {
  // expected-error@+1 {{'kvcache.attention' op on an MLA cache needs 'scale': the default 1 / sqrt(head_dim) is not the absorbed form's scale, which the model gives}}
  kvcache.attention %kv, %l, %q, %o, %out : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x512xbf16>
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @mla_value_dim(%kv: !mla, %l: index, %q: memref<?x16x576xbf16>, %o: memref<?xi32>, %out: memref<?x16x640xbf16>) {
  // expected-error@+1 {{'kvcache.attention' op operand 'out' value_dim (dim 2) is 640 but must be in [1, 576] on an MLA cache: the value is the first value_dim lanes of the latent row (kv_blocks dim 5 is 576)}}
  kvcache.attention %kv, %l, %q, %o, %out {scale = 0.07 : f32} : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x640xbf16>
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @mla_value_dim_zero(%kv: !mla, %l: index, %q: memref<?x16x576xbf16>, %o: memref<?xi32>, %out: memref<?x16x0xbf16>) {
  // expected-error@+1 {{'kvcache.attention' op operand 'out' value_dim (dim 2) is 0 but must be in [1, 576]}}
  kvcache.attention %kv, %l, %q, %o, %out {scale = 0.07 : f32} : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x0xbf16>
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @mla_out_heads(%kv: !mla, %l: index, %q: memref<?x16x576xbf16>, %o: memref<?xi32>, %out: memref<?x8x512xbf16>) {
  // expected-error@+1 {{'kvcache.attention' op operand 'out' must have the tokens, heads and element type of 'q', 'memref<?x16x576xbf16>', got 'memref<?x8x512xbf16>'}}
  kvcache.attention %kv, %l, %q, %o, %out {scale = 0.07 : f32} : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x8x512xbf16>
  return
}

// -----

// value_dim is an MLA notion: an ordinary cache's out has q's shape.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @mha_value_dim(%kv: !kv, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>, %out: memref<?x32x64xbf16>) {
  // expected-error@+1 {{'kvcache.attention' op operand 'out' head_dim (dim 2) is 64 but the cache's head_dim (kv_blocks dim 5) is 128}}
  kvcache.attention %kv, %l, %q, %o, %out : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x64xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>
func.func @draft_without_draft_metadata(%kv: !kv, %l: index, %q: memref<?x32x128xbf16>, %o: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op with 'draft' reads field 'draft_attention_dispatch_metadata', which the bundle does not hold}}
  kvcache.attention %kv, %l, %q, %o, %q {draft} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, draft_attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>>
func.func @mla_draft_without_partitions(%kv: !mla, %l: index, %q: memref<?x16x576xbf16>, %o: memref<?xi32>, %out: memref<?x16x512xbf16>) {
  // expected-error@+1 {{'kvcache.attention' op with 'draft' reads field 'draft_mla_num_partitions', which the bundle does not hold}}
  kvcache.attention %kv, %l, %q, %o, %out {scale = 0.07 : f32, draft} : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x512xbf16>
  return
}
