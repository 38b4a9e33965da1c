// kvcache-opt registers the upstream dialects a graph compiler emits, with
// their bufferization models, and the passes that bufferize them.
// RUN: kvcache-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS
// RUN: kvcache-opt %s -split-input-file --convert-elementwise-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s
// RUN: kvcache-opt %s -split-input-file --convert-elementwise-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-deallocation-pipeline | FileCheck %s --check-prefix=DEALLOC
// The stock mlir-opt with the plugin gives the same.
// RUN: %mlir-opt --load-dialect-plugin=%kvcache_plugin %s -split-input-file --convert-elementwise-to-linalg --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-deallocation-pipeline | FileCheck %s --check-prefix=DEALLOC

// The list is sorted.
// DIALECTS: Available Dialects: {{(.*,)?}}affine,{{(.*,)?}}arith,{{(.*,)?}}bufferization,{{(.*,)?}}cf,{{(.*,)?}}func,{{(.*,)?}}kvcache,{{(.*,)?}}linalg,{{(.*,)?}}math,{{(.*,)?}}memref,{{(.*,)?}}scf,{{(.*,)?}}tensor,{{(.*,)?}}vector{{(,|$)}}

#elementwise = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A projection to query heads: matmul, split into heads, bias, relu.
// CHECK-LABEL: func.func @project(
// CHECK-SAME: %[[X:[^:]*]]: memref<4x64xf32, strided<[?, ?], offset: ?>>,
// CHECK-SAME: %[[W:[^:]*]]: memref<64x256xf32, strided<[?, ?], offset: ?>>,
// CHECK-SAME: %[[BIAS:[^:]*]]: memref<4x2x128xf32, strided<[?, ?, ?], offset: ?>>)
// CHECK-SAME: -> memref<4x2x128xf32>
// CHECK: %[[ACC:.*]] = memref.alloc() {{.*}} : memref<4x256xf32>
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%[[ACC]] : memref<4x256xf32>)
// CHECK: linalg.matmul ins(%[[X]], %[[W]] : {{.*}}) outs(%[[ACC]] : memref<4x256xf32>)
// CHECK: %[[HEADS:.*]] = memref.expand_shape %[[ACC]] {{\[}}[0], [1, 2]] output_shape [4, 2, 128] : memref<4x256xf32> into memref<4x2x128xf32>
// CHECK: linalg.generic {{.*}} ins(%[[HEADS]], %[[BIAS]] : {{.*}}) outs(%[[HEADS]] : memref<4x2x128xf32>)
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[HEADS]] : memref<4x2x128xf32>) outs(%[[HEADS]] : memref<4x2x128xf32>)
// CHECK: arith.maximumf
// CHECK-NOT: memref.copy
// CHECK: return %[[HEADS]] : memref<4x2x128xf32>
func.func @project(%x: tensor<4x64xf32>, %w: tensor<64x256xf32>,
                   %bias: tensor<4x2x128xf32>) -> tensor<4x2x128xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x256xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x256xf32>) -> tensor<4x256xf32>
  %proj = linalg.matmul ins(%x, %w : tensor<4x64xf32>, tensor<64x256xf32>)
                        outs(%init : tensor<4x256xf32>) -> tensor<4x256xf32>
  %heads = tensor.expand_shape %proj [[0], [1, 2]] output_shape [4, 2, 128]
      : tensor<4x256xf32> into tensor<4x2x128xf32>
  %biased = arith.addf %heads, %bias : tensor<4x2x128xf32>
  %relu = linalg.generic {indexing_maps = [#elementwise, #elementwise],
                          iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%biased : tensor<4x2x128xf32>) outs(%heads : tensor<4x2x128xf32>) {
  ^bb0(%in: f32, %unused: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x2x128xf32>
  return %relu : tensor<4x2x128xf32>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// A decoder step whose projection is on tensors and whose kvcache ops are
// the memref forms, bridged by hand (the tensor forms are still to come):
// bufferized, then deallocated; the projection's buffer is freed after the
// attention that reads it, the returned `out` is not.
// CHECK-LABEL: func.func @decode(
// CHECK-SAME: %{{[^:]*}}: !kv,
// CHECK: linalg.matmul
// CHECK: %[[Q:.*]] = memref.expand_shape
// CHECK: kvcache.store
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<4x32x128xbf16>
// CHECK: kvcache.attention %{{.*}}, %{{.*}}, %[[Q]], %{{.*}}, %[[OUT]]
// CHECK: return %[[OUT]] : memref<4x32x128xbf16>
// DEALLOC-LABEL: func.func @decode(
// DEALLOC-SAME: %{{[^:]*}}: memref<4x512xbf16>, %{{[^:]*}}: memref<512x4096xbf16>,
// DEALLOC: %[[PROJ:.*]] = memref.alloc() {{.*}} : memref<4x4096xbf16>
// DEALLOC: linalg.matmul ins({{.*}}) outs(%[[PROJ]] : memref<4x4096xbf16>)
// DEALLOC: %[[Q:.*]] = memref.expand_shape %[[PROJ]]
// DEALLOC: kvcache.store
// DEALLOC: %[[OUT:.*]] = memref.alloc() : memref<4x32x128xbf16>
// DEALLOC: kvcache.attention %{{.*}}, %{{.*}}, %[[Q]], %{{.*}}, %[[OUT]]
// DEALLOC-NEXT: memref.dealloc %[[PROJ]] : memref<4x4096xbf16>
// DEALLOC-NEXT: return %[[OUT]] : memref<4x32x128xbf16>
func.func @decode(%kv: !kv, %layer: index, %x: tensor<4x512xbf16>,
                  %wq: tensor<512x4096xbf16>, %key: memref<4x8x128xbf16>,
                  %value: memref<4x8x128xbf16>, %offsets: memref<?xi32>)
    -> tensor<4x32x128xbf16> {
  %zero = arith.constant 0.0 : bf16
  %empty = tensor.empty() : tensor<4x4096xbf16>
  %init = linalg.fill ins(%zero : bf16) outs(%empty : tensor<4x4096xbf16>) -> tensor<4x4096xbf16>
  %proj = linalg.matmul ins(%x, %wq : tensor<4x512xbf16>, tensor<512x4096xbf16>)
                        outs(%init : tensor<4x4096xbf16>) -> tensor<4x4096xbf16>
  %qt = tensor.expand_shape %proj [[0], [1, 2]] output_shape [4, 32, 128]
      : tensor<4x4096xbf16> into tensor<4x32x128xbf16>
  %q = bufferization.to_buffer %qt read_only : tensor<4x32x128xbf16> to memref<4x32x128xbf16>
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<4x8x128xbf16>, memref<4x8x128xbf16>, memref<?xi32>
  %out = memref.alloc() : memref<4x32x128xbf16>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<4x32x128xbf16>, memref<?xi32>, memref<4x32x128xbf16>
  %o = bufferization.to_tensor %out restrict : memref<4x32x128xbf16> to tensor<4x32x128xbf16>
  return %o : tensor<4x32x128xbf16>
}
