// kvcache-bufferize-graph, the first stage of kvcache-compile's pipelines
// after pruning: tensors become identity-layout memrefs, the results of a
// public function become output arguments (kvcache.name from the result,
// else result<N>; kvcache.role = "output") that a static allocation is
// hoisted into, a private function keeps returning its buffer, whose
// caller frees it, and an input the graph writes to is copied first.
//
// RUN: kvcache-opt %s --kvcache-bufferize-graph | FileCheck %s
//
// A memref graph is left as it is, including an allocation it never frees.
// RUN: kvcache-opt %S/Inputs/device-placement-matmul.mlir > %t.before
// RUN: kvcache-opt %S/Inputs/device-placement-matmul.mlir --kvcache-bufferize-graph > %t.after
// RUN: diff %t.before %t.after

#rows = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[X:[^:]*]]: memref<4x8xf32> {kvcache.name = "x"},
// CHECK-SAME: %[[ROWS:[^:]*]]: memref<?x8xf32> {kvcache.name = "rows"},
// CHECK-SAME: %[[OUT:[^:]*]]: memref<4x8xf32> {kvcache.name = "scaled", kvcache.role = "output"},
// CHECK-SAME: %[[SUM:[^:]*]]: memref<4x8xf32> {kvcache.name = "result1", kvcache.role = "output"}) {
// The input is the generic's destination, but it is not written: the
// result goes to its own buffer, the output argument.
// CHECK-NOT: memref.alloc
// CHECK: linalg.generic {{.*}} ins(%[[X]] : memref<4x8xf32>) outs(%[[OUT]] : memref<4x8xf32>)
// CHECK: %[[HELPER:.*]] = call @helper(%[[ROWS]]) : (memref<?x8xf32>) -> memref<4x8xf32>
// CHECK: linalg.copy ins(%[[HELPER]] : memref<4x8xf32>) outs(%[[SUM]] : memref<4x8xf32>)
// CHECK: %[[BASE:[^,]*]], {{.*}} = memref.extract_strided_metadata %[[HELPER]]
// CHECK: memref.dealloc %[[BASE]]
// CHECK: return{{$}}
func.func @scale(%x: tensor<4x8xf32> {kvcache.name = "x"},
                 %rows: tensor<?x8xf32> {kvcache.name = "rows"})
    -> (tensor<4x8xf32> {kvcache.name = "scaled"}, tensor<4x8xf32>) {
  %two = arith.constant 2.0 : f32
  %scaled = linalg.generic {indexing_maps = [#rows, #rows],
                            iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%x : tensor<4x8xf32>) {
  ^bb0(%in: f32, %unused: f32):
    %r = arith.mulf %in, %two : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  %first = func.call @helper(%rows) : (tensor<?x8xf32>) -> tensor<4x8xf32>
  return %scaled, %first : tensor<4x8xf32>, tensor<4x8xf32>
}

// What deallocation clones is copied with linalg.copy, like every copy the
// bufferization makes (memref.copy of a strided view would call into MLIR's
// runtime utilities).
// CHECK-LABEL: func.func private @helper(
// CHECK-SAME: %[[ROWS:[^:]*]]: memref<?x8xf32>) -> memref<4x8xf32>
// CHECK: %[[HEAD:.*]] = memref.subview %[[ROWS]][0, 0] [4, 8] [1, 1]
// CHECK: %[[COPY:.*]] = memref.alloc() : memref<4x8xf32>
// CHECK: linalg.copy ins(%[[HEAD]] : memref<4x8xf32, strided<[8, 1]>>) outs(%[[COPY]] : memref<4x8xf32>)
// CHECK: return %[[COPY]]
func.func private @helper(%rows: tensor<?x8xf32>) -> tensor<4x8xf32> {
  %head = tensor.extract_slice %rows[0, 0] [4, 8] [1, 1]
      : tensor<?x8xf32> to tensor<4x8xf32>
  return %head : tensor<4x8xf32>
}

// An output argument the user marked stays writable: the graph writes it in
// place.
// CHECK-LABEL: func.func @accumulate(
// CHECK-SAME: %[[ACC:[^:]*]]: memref<8xf32> {kvcache.name = "acc", kvcache.role = "inout"},
// CHECK-SAME: %[[RESULT:[^:]*]]: memref<8xf32> {kvcache.name = "result0", kvcache.role = "output"})
// CHECK-NOT: memref.alloc
// CHECK: linalg.generic {{.*}} outs(%[[ACC]] : memref<8xf32>)
// CHECK: linalg.copy ins(%[[ACC]] : memref<8xf32>) outs(%[[RESULT]] : memref<8xf32>)
func.func @accumulate(%acc: tensor<8xf32> {kvcache.name = "acc", kvcache.role = "inout"})
    -> tensor<8xf32> {
  %one = arith.constant 1.0 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      outs(%acc : tensor<8xf32>) {
  ^bb0(%a: f32):
    %s = arith.addf %a, %one : f32
    linalg.yield %s : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}
