// kvcache-opt registers the upstream dialects a graph compiler emits, with
// their bufferization models, and the passes that bufferize them.
// RUN: kvcache-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS
// RUN: kvcache-opt %s -split-input-file --convert-elementwise-to-linalg --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s

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

