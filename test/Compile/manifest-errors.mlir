// What a runtime could not bind by name is a compile error, at the argument
// (or function) it is about. Every public function is checked, so one run
// reports them all; nothing is written but the directory.
//
// RUN: rm -rf %t && not kvcache-compile %s --target=cpu -o %t 2>&1 | FileCheck %s
// RUN: not ls %t/manifest.json %t/libkernels.so

// CHECK: manifest-errors.mlir:[[@LINE+3]]:22: error: argument 2 of function '@duplicate' is named 'x', like argument 0; the runtime binds arguments by name, so they must be distinct
// CHECK: manifest-errors.mlir:[[@LINE+1]]:22: note: argument 0 is here
func.func @duplicate(%a: memref<4xf32> {kvcache.name = "x"}, %b: memref<4xf32> {kvcache.name = "y"},
                     %c: memref<4xf32> {kvcache.name = "x"}) {
  return
}

// A user argument may not take a cache argument's name either.
// CHECK: error: argument 1 of function '@shadows_cache' is named 'kv_blocks', like argument 0
func.func @shadows_cache(%blocks: memref<?x2x1x4x1x4xf32> {kvcache.field = "kv_blocks"},
                         %other: memref<4xf32> {kvcache.name = "kv_blocks"}) {
  return
}

// CHECK: manifest-errors.mlir:[[@LINE+2]]:{{[0-9]+}}: error: argument 1 of function '@unnamed' has no kvcache.name (a non-empty string); the runtime binds every argument of a public function by name
func.func @unnamed(%a: memref<4xf32> {kvcache.name = "a"},
                   %b: memref<4xf32>) {
  return
}

// CHECK: error: argument 0 of function '@empty_name' has no kvcache.name
func.func @empty_name(%a: index {kvcache.name = ""}) {
  return
}

// CHECK: error: argument 0 of function '@slash' is named 'a/b'; names must not contain '/'
func.func @slash(%a: index {kvcache.name = "a/b"}) {
  return
}

// CHECK: error: argument 0 of function '@element_type' ('bytes') has element type 'i8'; bundles support f32, f16, bf16, f8E4M3FN, i32, i64 and index
// CHECK: error: argument 1 of function '@element_type' ('doubles') has element type 'f64'; bundles support
func.func @element_type(%a: memref<4xi8> {kvcache.name = "bytes"},
                        %b: memref<4xf64> {kvcache.name = "doubles"}) {
  return
}

// CHECK: error: argument 0 of function '@scalar_type' ('count') has type 'i32'; scalar arguments must be index, i64 or f32
func.func @scalar_type(%a: i32 {kvcache.name = "count"}) {
  return
}

// CHECK: error: argument 0 of function '@layout' ('strided') has type 'memref<4xf32, strided<[2]>>'; entry memrefs must have the identity layout
func.func @layout(%a: memref<4xf32, strided<[2]>> {kvcache.name = "strided"}) {
  return
}

// CHECK: error: argument 0 of function '@role' ('r') has kvcache.role = "scratch"; expected "input", "output" or "inout"
func.func @role(%a: memref<4xf32> {kvcache.name = "r", kvcache.role = "scratch"}) {
  return
}

// CHECK: error: argument 0 of function '@bad_field' has kvcache.field = "pages", which names no ABI field
func.func @bad_field(%a: memref<4xf32> {kvcache.field = "pages"}) {
  return
}

// The dispatch metadata's placement depends on the cache's kind, read off
// its kv_blocks.
// CHECK: error: argument 0 of function '@orphan_metadata' ('attention_dispatch_metadata') is placed by the cache's kind (MHA or MLA), but the function has no kv_blocks of the same cache and device with a static kv_dim (dim 1)
func.func @orphan_metadata(%a: memref<4xi64> {kvcache.field = "attention_dispatch_metadata"}) {
  return
}

// CHECK: manifest-errors.mlir:[[@LINE+2]]:1: error: public function '@returns' returns 'index' (result 0); entry functions may return only statically shaped tensors, which become output arguments (or write outputs to arguments marked kvcache.role = "output")
// CHECK-NOT: see current operation
func.func @returns(%a: index {kvcache.name = "a"}) -> index {
  return %a : index
}

// Private functions are not entry points: nothing is checked.
// CHECK-NOT: private_anything
func.func private @private_anything(%a: i32, %b: tensor<4xf32>) -> i32 {
  return %a : i32
}
