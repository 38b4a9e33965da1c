// What a public function of a tensor graph cannot return is a compile error
// at the function, naming the result; every function is checked, so one run
// reports them all, and no bundle is written.
//
// RUN: rm -rf %t && not kvcache-compile %s --target=cpu -o %t 2>&1 | FileCheck %s
// RUN: not ls %t/manifest.json %t/libkernels.so
//
// A result that is not a tensor has nowhere to go either (the bundle is
// refused after bufferization, when the manifest is read).
// RUN: not kvcache-compile %S/Inputs/tensor-returns-scalar.mlir --target=cpu -o %t/scalar 2>&1 | FileCheck %s --check-prefix=SCALAR
// RUN: not ls %t/scalar/manifest.json

// SCALAR: tensor-returns-scalar.mlir:[[#]]:1: error: public function '@norm' returns 'f32' (result 0); entry functions may return only statically shaped tensors, which become output arguments (or write outputs to arguments marked kvcache.role = "output")

// CHECK: tensor-errors.mlir:[[@LINE+1]]:1: error: result 0 of public function '@ragged' has type 'tensor<?x8xf32>'; results become output arguments that the caller allocates, so their shapes must be static (write a dynamically shaped output into an argument marked kvcache.role = "output", e.g. with bufferization.materialize_in_destination)
func.func @ragged(%x: tensor<?x8xf32> {kvcache.name = "x"}) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}

// CHECK: tensor-errors.mlir:[[@LINE+1]]:1: error: result 1 of public function '@unranked' has type 'tensor<*xf32>'; results become output arguments
func.func @unranked(%x: tensor<8xf32> {kvcache.name = "x"}, %y: tensor<*xf32> {kvcache.name = "y"})
    -> (tensor<8xf32>, tensor<*xf32>) {
  return %x, %y : tensor<8xf32>, tensor<*xf32>
}

// CHECK: error: result 0 of public function '@badly_named' has kvcache.name = 7 : i64; expected a non-empty string
func.func @badly_named(%x: tensor<8xf32> {kvcache.name = "x"})
    -> (tensor<8xf32> {kvcache.name = 7}) {
  return %x : tensor<8xf32>
}

// CHECK: error: result 0 of public function '@input_result' has kvcache.role = "input"; a result is always an output
func.func @input_result(%x: tensor<8xf32> {kvcache.name = "x"})
    -> (tensor<8xf32> {kvcache.role = "input"}) {
  return %x : tensor<8xf32>
}

// Private functions return what they like: nothing is reported.
// CHECK-NOT: error
func.func private @helper(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, index) {
  %c0 = arith.constant 0 : index
  %rows = tensor.dim %x, %c0 : tensor<?x8xf32>
  return %x, %rows : tensor<?x8xf32>, index
}
