// A tensor graph compiled to a CPU bundle: kvcache-compile bufferizes it,
// the returned tensors become output arguments (named by the result's
// kvcache.name, else result<N>; role output), linalg and the 16-bit float
// arithmetic are lowered on the CPU with no call to a soft-float builtin,
// and the bundle gives NumPy's answer. The inputs are not written: `bias` is
// also the destination of the bf16 result, which gets a buffer of its own.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: kvcache-compile %s --target=cpu -o %t/bundle
// RUN: FileCheck %s --input-file=%t/bundle/manifest.json
// RUN: FileCheck %s --input-file=%t/bundle/graph.ll --check-prefix=IR
// RUN: nm -D --undefined-only %t/bundle/libkernels.so | FileCheck %s --check-prefix=IR
// RUN: %python %S/Inputs/tensor_bundle.py write %t/inputs
// RUN: kvcache-run %t/bundle --entry project --inputs %t/inputs --outputs %t/outputs
// RUN: kvcache-run %t/bundle --entry half --inputs %t/inputs --outputs %t/outputs
// RUN: %python %S/Inputs/tensor_bundle.py check %t/inputs %t/outputs | FileCheck %s --check-prefix=RESULTS

//      CHECK: {"name": "project", "entry": "kvcache_entry_project",
// CHECK-NEXT:   "arguments": [
// CHECK-NEXT:     {"index": 0, "name": "x", "kind": "memref", "element_type": "f32", "rank": 2, "shape": [4, 8], "role": "input", "placement": "device"},
// CHECK-NEXT:     {"index": 1, "name": "w", "kind": "memref", "element_type": "f32", "rank": 2, "shape": [8, 16], "role": "input", "placement": "device"},
// CHECK-NEXT:     {"index": 2, "name": "bias", "kind": "memref", "element_type": "bf16", "rank": 2, "shape": [4, 16], "role": "input", "placement": "device"},
// CHECK-NEXT:     {"index": 3, "name": "y", "kind": "memref", "element_type": "f32", "rank": 2, "shape": [4, 16], "role": "output", "placement": "device"},
// CHECK-NEXT:     {"index": 4, "name": "result1", "kind": "memref", "element_type": "bf16", "rank": 2, "shape": [4, 16], "role": "output", "placement": "device"}
// CHECK-NEXT:   ]},
// CHECK-NEXT:  {"name": "half", "entry": "kvcache_entry_half",
// CHECK-NEXT:   "arguments": [
// CHECK-NEXT:     {"index": 0, "name": "a", "kind": "memref", "element_type": "f32", "rank": 1, "shape": [512], "role": "input", "placement": "device"},
// CHECK-NEXT:     {"index": 1, "name": "h", "kind": "memref", "element_type": "f16", "rank": 1, "shape": [512], "role": "input", "placement": "device"},
// CHECK-NEXT:     {"index": 2, "name": "result0", "kind": "memref", "element_type": "f16", "rank": 1, "shape": [512], "role": "output", "placement": "device"}
// CHECK-NEXT:   ]}]}

// No __truncsfbf2, __extendbfsf2, __truncsfhf2 or __extendhfsf2, in the IR
// or among the library's undefined symbols.
// IR-NOT: {{__(trunc|extend)[a-z]+f2}}

// RESULTS: project: y and result1 equal NumPy's (64 + 64 elements), bias unchanged
// RESULTS: half: result0 equals NumPy's float16 bit for bit (512 elements)

#rows = affine_map<(d0, d1) -> (d0, d1)>
#lanes = affine_map<(d0) -> (d0)>

// A projection in f32, then bf16 arithmetic on it.
func.func @project(%x: tensor<4x8xf32> {kvcache.name = "x"},
                   %w: tensor<8x16xf32> {kvcache.name = "w"},
                   %bias: tensor<4x16xbf16> {kvcache.name = "bias"})
    -> (tensor<4x16xf32> {kvcache.name = "y"}, tensor<4x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<4x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<4x16xf32>) -> tensor<4x16xf32>
  %proj = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>)
                        outs(%init : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y, %sum = linalg.generic {indexing_maps = [#rows, #rows, #rows, #rows],
                             iterator_types = ["parallel", "parallel"]}
      ins(%proj, %bias : tensor<4x16xf32>, tensor<4x16xbf16>)
      outs(%empty, %bias : tensor<4x16xf32>, tensor<4x16xbf16>) {
  ^bb0(%p: f32, %b: bf16, %unused: f32, %unused_bf16: bf16):
    %narrow = arith.truncf %p : f32 to bf16
    %s = arith.addf %narrow, %b : bf16
    %square = arith.mulf %s, %s : bf16
    %wide = arith.extf %square : bf16 to f32
    linalg.yield %wide, %s : f32, bf16
  } -> (tensor<4x16xf32>, tensor<4x16xbf16>)
  return %y, %sum : tensor<4x16xf32>, tensor<4x16xbf16>
}

// f16 arithmetic, over the whole range (subnormals, overflow, NaN).
func.func @half(%a: tensor<512xf32> {kvcache.name = "a"},
                %h: tensor<512xf16> {kvcache.name = "h"}) -> tensor<512xf16> {
  %empty = tensor.empty() : tensor<512xf16>
  %r = linalg.generic {indexing_maps = [#lanes, #lanes, #lanes],
                       iterator_types = ["parallel"]}
      ins(%a, %h : tensor<512xf32>, tensor<512xf16>)
      outs(%empty : tensor<512xf16>) {
  ^bb0(%av: f32, %hv: f16, %unused: f16):
    %narrow = arith.truncf %av : f32 to f16
    %s = arith.addf %narrow, %hv : f16
    %p = arith.mulf %s, %hv : f16
    linalg.yield %p : f16
  } -> tensor<512xf16>
  return %r : tensor<512xf16>
}
