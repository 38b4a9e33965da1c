// RUN: kvcache-opt %s | kvcache-opt | FileCheck %s
// RUN: kvcache-opt %s --mlir-print-op-generic | kvcache-opt | FileCheck %s

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// CHECK-LABEL: func.func @decode
func.func @decode(%key: memref<?x8x128xbf16>, %value: memref<?x8x128xbf16>,
                  %q: memref<?x32x128xbf16>, %offsets: memref<?xi32>,
                  %out: memref<?x32x128xbf16>, %layer: index) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  // CHECK: kvcache.store %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  // CHECK: kvcache.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {causal, scale = 1.250000e-01 : f32} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.125 : f32, causal} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  // CHECK: kvcache.attention %{{.*}} : !kv, memref<?x32x128xbf16>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// An 8-bit float cache stores and attends from 16- and 32-bit floats.
!fp8 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x4xf32>>

// CHECK-LABEL: func.func @fp8
func.func @fp8(%key: memref<?x8x128xf32>, %value: memref<?x8x128xf32>,
               %kh: memref<?x8x128xf16>, %q: memref<?x32x128xbf16>,
               %offsets: memref<?xi32>, %out: memref<?x32x128xbf16>,
               %layer: index) {
  %kv = kvcache.inputs_per_device device(0) : !fp8
  // CHECK: kvcache.store {{.*}} : !kv{{[0-9]*}}, memref<?x8x128xf32>, memref<?x8x128xf32>, memref<?xi32>
  kvcache.store %kv, %layer, %key, %value, %offsets : !fp8, memref<?x8x128xf32>, memref<?x8x128xf32>, memref<?xi32>
  // CHECK: kvcache.store {{.*}} : !kv{{[0-9]*}}, memref<?x8x128xf16>, memref<?x8x128xf16>, memref<?xi32>
  kvcache.store %kv, %layer, %kh, %kh, %offsets : !fp8, memref<?x8x128xf16>, memref<?x8x128xf16>, memref<?xi32>
  // CHECK: kvcache.attention {{.*}} : !kv{{[0-9]*}}, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !fp8, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// The tensor forms: attention in destination-passing style, store with no
// result.
// CHECK-LABEL: func.func @tensor_forms
func.func @tensor_forms(%key: tensor<?x8x128xbf16>, %value: tensor<?x8x128xbf16>,
                        %q: tensor<?x32x128xbf16>, %offsets: tensor<?xi32>,
                        %init: tensor<?x32x128xbf16>, %layer: index) -> tensor<?x32x128xbf16> {
  %kv = kvcache.inputs_per_device device(0) : !kv
  // CHECK: kvcache.store %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : !kv, tensor<?x8x128xbf16>, tensor<?x8x128xbf16>, tensor<?xi32>
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, tensor<?x8x128xbf16>, tensor<?x8x128xbf16>, tensor<?xi32>
  // CHECK: %[[O:.*]] = kvcache.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {causal} : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16> -> tensor<?x32x128xbf16>
  %o = kvcache.attention %kv, %layer, %q, %offsets, %init {causal} : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16> -> tensor<?x32x128xbf16>
  // CHECK: return %[[O]]
  return %o : tensor<?x32x128xbf16>
}

// An MLA cache: the store takes latent rows and no value; the attention's
// out has value_dim lanes (the latent's first 512 of 576).
!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x64x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>, draft_attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>, draft_mla_num_partitions: memref<1xi64>>

// CHECK-LABEL: func.func @mla
func.func @mla(%latent: memref<?x1x576xbf16>, %q: memref<?x16x576xbf16>,
               %offsets: memref<?xi32>, %out: memref<?x16x512xbf16>,
               %layer: index) {
  %kv = kvcache.inputs_per_device device(0) : !mla
  // CHECK: kvcache.store %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}} : !kv{{[0-9]*}}, memref<?x1x576xbf16>, memref<?xi32>
  kvcache.store %kv, %layer, %latent, %offsets : !mla, memref<?x1x576xbf16>, memref<?xi32>
  // CHECK: kvcache.attention {{.*}} {scale = 6.250000e-02 : f32} : !kv{{[0-9]*}}, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x512xbf16>
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.0625 : f32} : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x512xbf16>
  // CHECK: kvcache.attention {{.*}} {causal, draft, scale = 6.250000e-02 : f32} : !kv{{[0-9]*}}, memref<?x16x576xbf16>
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.0625 : f32, causal, draft} : !mla, memref<?x16x576xbf16>, memref<?xi32>, memref<?x16x512xbf16>
  return
}

// The generic form of a store has no operand-segment attribute: four rows
// operands with a value, three without.
// CHECK-LABEL: func.func @store_generic
func.func @store_generic(%kv: !kv, %mla: !mla, %key: memref<?x8x128xbf16>,
                         %latent: memref<?x1x576xbf16>, %offsets: memref<?xi32>,
                         %layer: index) {
  // CHECK: kvcache.store {{.*}} : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  "kvcache.store"(%kv, %layer, %key, %key, %offsets) : (!kv, index, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>) -> ()
  // CHECK: kvcache.store {{.*}} : !kv{{[0-9]+}}, memref<?x1x576xbf16>, memref<?xi32>
  "kvcache.store"(%mla, %layer, %latent, %offsets) : (!mla, index, memref<?x1x576xbf16>, memref<?xi32>) -> ()
  return
}
