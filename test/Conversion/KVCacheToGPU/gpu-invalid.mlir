// RUN: kvcache-opt %s --convert-kvcache-to-gpu --split-input-file -verify-diagnostics
// RUN: not kvcache-opt %s --convert-kvcache-to-gpu=chip=sm_70 --split-input-file 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not kvcache-opt %s --convert-kvcache-to-gpu=block-size=100 --split-input-file 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not kvcache-opt %s --convert-kvcache-to-gpu=splits-cap=0 --split-input-file 2>&1 | FileCheck %s --check-prefix=CAP
// RUN: not kvcache-opt %s --convert-kvcache-to-gpu=splits=-1 --split-input-file 2>&1 | FileCheck %s --check-prefix=SPLITS

// CHIP: convert-kvcache-to-gpu: chip must be sm_80 or newer, got 'sm_70'
// BLOCK: convert-kvcache-to-gpu: block-size must be a multiple of 32 in [32, 1024], got 100
// CAP: convert-kvcache-to-gpu: splits-cap must be >= 1, got 0
// SPLITS: convert-kvcache-to-gpu: splits must be >= 0, got -1

!kv = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
// An MLA value's lanes are written in 16-byte vectors too.
func.func @mla_value_dim(%kv: !kv, %layer: index, %q: memref<?x16x576xbf16>, %offsets: memref<?xi32>, %out: memref<?x16x500xbf16>) {
  // expected-error@+1 {{'kvcache.attention' op value_dim 500 ('out' dim 2) is not a multiple of 8 (one 16-byte vector of 'bf16'); convert-kvcache-to-gpu does not lower it yet}}
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.07 : f32} : !kv, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x500xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x2x16x2x1xf32>>
func.func @fp8(%kv: !kv, %layer: index, %q: memref<?x4x128xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op on an 8-bit float cache is not lowered to GPU kernels yet}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x4x128xbf16>, memref<?xi32>, memref<?x4x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x2x16x2x1xf32>>
func.func @fp8_store(%kv: !kv, %layer: index, %k: memref<?x2x128xf32>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.store' op on an 8-bit float cache is not lowered to GPU kernels yet}}
  kvcache.store %kv, %layer, %k, %k, %offsets : !kv, memref<?x2x128xf32>, memref<?x2x128xf32>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>, cache_lengths: tensor<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @tensor_field(%kv: !kv, %layer: index, %k: memref<?x2x8xf32>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.store' op reads field 'cache_lengths' as 'tensor<?xi32>'; convert-kvcache-to-gpu needs memref fields (bufferize the graph first)}}
  kvcache.store %kv, %layer, %k, %k, %offsets : !kv, memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x12xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @head_dim(%kv: !kv, %layer: index, %q: memref<?x4x12xbf16>, %offsets: memref<?xi32>) {
  // expected-error@+1 {{'kvcache.attention' op head_dim 12 is not a multiple of 8 (one 16-byte vector of 'bf16'); convert-kvcache-to-gpu does not lower it yet}}
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x4x12xbf16>, memref<?xi32>, memref<?x4x12xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @strided(%kv: !kv, %layer: index, %q: memref<?x4x64xbf16, strided<[512, 128, 1]>>, %offsets: memref<?xi32>, %out: memref<?x4x64xbf16>) {
  // expected-error@+1 {{'kvcache.attention' op 'q' has layout strided<[512, 128, 1]>; convert-kvcache-to-gpu needs contiguous rows (identity layout) for 16-byte accesses}}
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x4x64xbf16, strided<[512, 128, 1]>>, memref<?xi32>, memref<?x4x64xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x64xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
// expected-error@+1 {{'kvcache_runtime_num_sms' is the runtime hook convert-kvcache-to-gpu calls; it must be a func.func of type '() -> i32'}}
func.func private @kvcache_runtime_num_sms() -> i64
func.func @hook(%kv: !kv, %layer: index, %q: memref<?x4x64xbf16>, %offsets: memref<?xi32>) {
  kvcache.attention %kv, %layer, %q, %offsets, %q : !kv, memref<?x4x64xbf16>, memref<?xi32>, memref<?x4x64xbf16>
  return
}
