// RUN: kvcache-opt %s -split-input-file -verify-diagnostics

// One case per rule of the bundle type's verifier and of the ops' verifiers.
// Type errors are reported at the type's '<'.

// Unknown field name.
// expected-error@+1 {{unknown field 'kv_block'; the ABI's fields are kv_blocks, cache_lengths}}
!kv = !kvcache.inputs<kv_block: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// Duplicate field.
// expected-error@+1 {{duplicate field 'cache_lengths'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// Fields out of ABI order.
// expected-error@+1 {{field 'cache_lengths' is out of ABI order: it must come before 'lookup_table'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, lookup_table: memref<?x?xi32>, cache_lengths: memref<?xi32>, max_lengths: memref<?x2xi32>>

// -----

// Missing kv_blocks (checked before the other fields).
// expected-error@+1 {{missing required field 'kv_blocks'}}
!kv = !kvcache.inputs<cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// Missing kv_blocks, even when other fields are malformed.
// expected-error@+1 {{missing required field 'kv_blocks'}}
!kv = !kvcache.inputs<cache_lengths: memref<?xi64>>

// -----

// Missing cache_lengths.
// expected-error@+1 {{missing required field 'cache_lengths'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// Missing lookup_table.
// expected-error@+1 {{missing required field 'lookup_table'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, max_lengths: memref<?x2xi32>>

// -----

// Missing max_lengths.
// expected-error@+1 {{missing required field 'max_lengths'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>>

// -----

// kv_blocks is a buffer: a tensor is rejected.
// expected-error@+1 {{field 'kv_blocks' is a buffer and must be a ranked memref, got 'tensor<?x2x32x128x8x128xbf16>'}}
!kv = !kvcache.inputs<kv_blocks: tensor<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// kv_blocks as an unranked memref.
// expected-error@+1 {{field 'kv_blocks' is a buffer and must be a ranked memref, got 'memref<*xbf16>'}}
!kv = !kvcache.inputs<kv_blocks: memref<*xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// kv_blocks of rank 5.
// expected-error@+1 {{field 'kv_blocks' must have rank 6, got 5}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// kv_blocks with a dynamic page_size.
// expected-error@+1 {{field 'kv_blocks' dim 3 (page_size) must be static and positive, got ?}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x?x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// kv_blocks with zero layers.
// expected-error@+1 {{field 'kv_blocks' dim 2 (num_layers) must be static and positive, got 0}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x0x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// kv_blocks with kv_dim 3.
// expected-error@+1 {{field 'kv_blocks' dim 1 (kv_dim) must be 2 (K and V) or 1 (MLA), got 3}}
!kv = !kvcache.inputs<kv_blocks: memref<?x3x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// kv_blocks of i8.
// expected-error@+1 {{field 'kv_blocks' must have element type f32, f16, bf16 or f8E4M3FN, got 'i8'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xi8>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// kv_blocks of another 8-bit float.
// expected-error@+1 {{field 'kv_blocks' must have element type f32, f16, bf16 or f8E4M3FN, got 'f8E5M2'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xf8E5M2>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// MLA (kv_dim 1) with 8 kv heads.
// expected-error@+1 {{field 'kv_blocks' dim 4 (num_kv_heads) must be 1 on an MLA cache (kv_dim 1), got 8}}
!kv = !kvcache.inputs<kv_blocks: memref<?x1x4x64x8x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// cache_lengths of rank 2.
// expected-error@+1 {{field 'cache_lengths' must have rank 1, got 2}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?x1xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// cache_lengths of i64.
// expected-error@+1 {{field 'cache_lengths' must have element type i32 (signless), got 'i64'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi64>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// cache_lengths of ui32: i32 fields are signless (read as unsigned).
// expected-error@+1 {{field 'cache_lengths' must have element type i32 (signless), got 'ui32'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: tensor<?xui32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// lookup_table of rank 1.
// expected-error@+1 {{field 'lookup_table' must have rank 2, got 1}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?xi32>, max_lengths: memref<?x2xi32>>

// -----

// max_lengths of rank 1.
// expected-error@+1 {{field 'max_lengths' must have rank 2, got 1}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?xi32>>

// -----

// max_lengths with 3 columns.
// expected-error@+1 {{field 'max_lengths' dim 1 must be 2 (max_prompt_length, max_cache_length), got 3}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x3xi32>>

// -----

// max_lengths with a dynamic column count.
// expected-error@+1 {{field 'max_lengths' dim 1 must be 2 (max_prompt_length, max_cache_length), got ?}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: tensor<?x?xi32>>

// -----

// Static batch sizes that disagree.
// expected-error@+1 {{field 'lookup_table' dim 0 (batch) is 3 but 'cache_lengths' dim 0 (batch) is 4}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<4xi32>, lookup_table: memref<3x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// An unranked tensor for a tensor-kind field.
// expected-error@+1 {{field 'lookup_table' must be a ranked tensor or memref, got 'tensor<*xi32>'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: tensor<*xi32>, max_lengths: memref<?x2xi32>>

// -----

// A vector for a tensor-kind field.
// expected-error@+1 {{field 'attention_dispatch_metadata' must be a ranked tensor or memref, got 'vector<4xi64>'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: vector<4xi64>>

// -----

// kv_scales on a bf16 cache.
// expected-error@+1 {{'kv_scales' requires an 8-bit float cache (kv_blocks element f8E4M3FN)}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x32x128x8x1xf32>>

// -----

// An fp8 cache without kv_scales.
// expected-error@+1 {{an 8-bit float cache requires 'kv_scales'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// kv_scales with another num_layers than kv_blocks.
// expected-error@+1 {{field 'kv_scales' dim 2 (num_layers) must match 'kv_blocks' (4), got 8}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x8x16x8x1xf32>>

// -----

// kv_scales with another static total_num_pages than kv_blocks.
// expected-error@+1 {{field 'kv_scales' dim 0 (total_num_pages) must match 'kv_blocks' (64), got 32}}
!kv = !kvcache.inputs<kv_blocks: memref<64x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<32x2x4x16x8x1xf32>>

// -----

// kv_scales whose last dim does not divide head_dim.
// expected-error@+1 {{field 'kv_scales' dim 5 (head_dim / granularity) must be static and divide head_dim 128, got 3}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x3xf32>>

// -----

// kv_scales as a tensor.
// expected-error@+1 {{field 'kv_scales' is a buffer and must be a ranked memref, got 'tensor<?x2x4x16x8x1xf32>'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: tensor<?x2x4x16x8x1xf32>>

// -----

// kv_scales of f16.
// expected-error@+1 {{field 'kv_scales' must have element type f32, got 'f16'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf16>>

// -----

// kv_scales of rank 5.
// expected-error@+1 {{field 'kv_scales' must have rank 6, got 5}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8xf32>>

// -----

// MLA-sized dispatch metadata on an MHA cache.
// expected-error@+1 {{field 'attention_dispatch_metadata' dim 0 must be 4 on an MHA cache, got 3}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>>

// -----

// MHA-sized dispatch metadata on an MLA cache.
// expected-error@+1 {{field 'attention_dispatch_metadata' dim 0 must be 3 on an MLA cache, got 4}}
!kv = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// -----

// Dispatch metadata of i32.
// expected-error@+1 {{field 'attention_dispatch_metadata' must have element type i64 (signless), got 'i32'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi32>>

// -----

// Draft dispatch metadata of the wrong size.
// expected-error@+1 {{field 'draft_attention_dispatch_metadata' dim 0 must be 4 on an MHA cache, got 3}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>, draft_attention_dispatch_metadata: tensor<3xi64>>

// -----

// mla_num_partitions on an MHA cache.
// expected-error@+1 {{'mla_num_partitions' requires an MLA cache (kv_blocks dim 1, kv_dim, == 1)}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, mla_num_partitions: memref<1xi64>>

// -----

// draft_mla_num_partitions without the draft dispatch metadata.
// expected-error@+1 {{'draft_mla_num_partitions' requires 'draft_attention_dispatch_metadata'}}
!kv = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>, draft_mla_num_partitions: memref<1xi64>>

// -----

// mla_num_partitions of size 2.
// expected-error@+1 {{field 'mla_num_partitions' dim 0 must be 1 (one partition count), got 2}}
!kv = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, mla_num_partitions: memref<2xi64>>

// -----

// get of an absent field, custom form: a parse error.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @get_absent(%kv: !kv) {
  // expected-error@+1 {{field 'kv_scales' is not present in}}
  %s = kvcache.get %kv[kv_scales] : !kv
  return
}

// -----

// get of an unknown field.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @get_unknown(%kv: !kv) {
  // expected-error@+1 {{unknown field 'page_table'}}
  %s = kvcache.get %kv[page_table] : !kv
  return
}

// -----

// get of an absent field, generic form: the verifier.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @get_absent_generic(%kv: !kv) {
  // expected-error@+1 {{'kvcache.get' op field 'attention_dispatch_metadata' is not present in}}
  %s = "kvcache.get"(%kv) <{field = #kvcache.field<attention_dispatch_metadata>}> : (!kv) -> memref<4xi64>
  return
}

// -----

// get with the wrong result type, generic form.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @get_wrong_type(%kv: !kv) {
  // expected-error@+1 {{'kvcache.get' op result type must be the type of field 'lookup_table', 'memref<?x?xi32>', got 'tensor<?x?xi32>'}}
  %t = "kvcache.get"(%kv) <{field = #kvcache.field<lookup_table>}> : (!kv) -> tensor<?x?xi32>
  return
}

// -----

// pack with too few operands, custom form.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @pack_count(%a: memref<?x2x32x128x8x128xbf16>, %b: memref<?xi32>, %c: memref<?x?xi32>, %d: memref<?x2xi32>) {
  // expected-error@+1 {{expected 4 operands, one per present field of}}
  %kv = kvcache.pack %a, %b, %c : !kv
  return
}

// -----

// pack with too many operands, generic form.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @pack_count_generic(%a: memref<?x2x32x128x8x128xbf16>, %b: memref<?xi32>, %c: memref<?x?xi32>, %d: memref<?x2xi32>) {
  // expected-error@+1 {{'kvcache.pack' op expects 4 operands, one per present field of the bundle type, got 5}}
  %kv = "kvcache.pack"(%a, %b, %c, %d, %d) : (memref<?x2x32x128x8x128xbf16>, memref<?xi32>, memref<?x?xi32>, memref<?x2xi32>, memref<?x2xi32>) -> !kv
  return
}

// -----

// pack with a wrongly typed operand, generic form.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @pack_operand_type(%a: memref<?x2x32x128x8x128xbf16>, %b: memref<?xi32>, %c: memref<?x?xi32>, %d: memref<?x2xi32>) {
  // expected-error@+1 {{'kvcache.pack' op operand #2 ('lookup_table') must have type 'memref<?x?xi32>', got 'memref<?xi32>'}}
  %kv = "kvcache.pack"(%a, %b, %b, %d) : (memref<?x2x32x128x8x128xbf16>, memref<?xi32>, memref<?xi32>, memref<?x2xi32>) -> !kv
  return
}

// -----

// inputs_per_device with a negative device.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @negative_device() {
  // expected-error@+1 {{'kvcache.inputs_per_device' op attribute 'device' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %kv = kvcache.inputs_per_device device(-1) : !kv
  return
}

// -----

// inputs_per_device with an empty cache name.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @empty_cache_name() {
  // expected-error@+1 {{'kvcache.inputs_per_device' op cache name must not be empty; omit cache(...) for the default cache}}
  %kv = kvcache.inputs_per_device device(0) cache("") : !kv
  return
}

// -----

// inputs_per_device with a '.' in the cache name.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @dotted_cache_name() {
  // expected-error@+1 {{'kvcache.inputs_per_device' op cache name 'draft.v2' may hold only letters, digits, '_' and '-'}}
  %kv = kvcache.inputs_per_device device(0) cache("draft.v2") : !kv
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @get_field_twice(%kv: !kv) {
  // expected-error@+1 {{the field is given in brackets; remove 'field' from the attribute dictionary}}
  %t = kvcache.get %kv[lookup_table] {field = #kvcache.field<max_lengths>} : !kv
  return
}

// -----

// expected-error@+1 {{field 'cache_lengths' must have the identity (packed) layout}}
func.func @strided_field(%kv: !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32, strided<[2]>>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>) {
  return
}

// -----

// kv_blocks with zero kv heads.
// expected-error@+1 {{field 'kv_blocks' dim 4 (num_kv_heads) must be static and positive, got 0}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x0x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// 2^62 pages: the element count of kv_blocks overflows int64.
// expected-error@+1 {{field 'kv_blocks' element count overflows int64: the nonzero static dims of 'memref<4611686018427387904x2x4x16x8x128xbf16>' multiply past 2^63 - 1}}
!kv = !kvcache.inputs<kv_blocks: memref<4611686018427387904x2x4x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// 2^63 - 1 layers: a page's size (the stride of dim 0) overflows int64.
// expected-error@+1 {{field 'kv_blocks' element count overflows int64}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x9223372036854775807x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// Zero pages do not hide strides that overflow.
// expected-error@+1 {{field 'kv_blocks' element count overflows int64}}
!kv = !kvcache.inputs<kv_blocks: memref<0x2x1152921504606846976x16x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// 2^57 pages of 32 f32: 2^62 elements fit, their 2^64 bytes do not.
// expected-error@+1 {{field 'kv_blocks' byte size overflows int64: 4611686018427387904 elements of 4 bytes ('memref<144115188075855872x2x1x2x1x8xf32>')}}
!kv = !kvcache.inputs<kv_blocks: memref<144115188075855872x2x1x2x1x8xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// A tensor field whose byte size overflows int64.
// expected-error@+1 {{field 'lookup_table' byte size overflows int64: 4611686018427387904 elements of 4 bytes ('tensor<?x4611686018427387904xi32>')}}
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: tensor<?x4611686018427387904xi32>, max_lengths: memref<?x2xi32>>

// -----

// An unknown quoted field name with a control byte is printed escaped.
// expected-error@+1 {{unknown field 'kv\0Ablocks'; the ABI's fields are}}
!kv = !kvcache.inputs<"kv\0Ablocks": memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// -----

// A cache name with a control byte is printed escaped.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

func.func @control_byte_cache_name() {
  // expected-error@+1 {{'kvcache.inputs_per_device' op cache name 'draft\1B[2J' may hold only letters, digits, '_' and '-'}}
  %kv = kvcache.inputs_per_device device(0) cache("draft\1B[2J") : !kv
  return
}
