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
