// A tensor graph for a GPU target is bufferized before
// kvcache-check-device-placement runs, so that the check sees which memory
// each host op touches: a q projection (linalg.matmul) over a device-placed
// input, into the output argument its result became, is refused on both
// GPU targets, naming the op and the argument; no bundle is written. The
// CPU target compiles the same graph.
//
// RUN: rm -rf %t
// RUN: not kvcache-compile %s --target=sm_90a -o %t/gpu 2>&1 | FileCheck %s
// RUN: not kvcache-compile %s --target=sim -o %t/sim 2>&1 | FileCheck %s
// RUN: not ls %t/gpu/manifest.json %t/sim/manifest.json
// RUN: kvcache-compile %s --target=cpu -o %t/cpu
// RUN: FileCheck %s --input-file=%t/cpu/manifest.json --check-prefix=CPU

// CHECK-DAG: tensor-device-placement.mlir:[[#@LINE+10]]:11: error: 'linalg.fill' op writes 'q' (device-placed: the GPU target runs only kvcache ops on device memory); lower the op to a GPU kernel first, or compile for the CPU
// CHECK-DAG: tensor-device-placement.mlir:[[#@LINE+10]]:8: error: 'linalg.matmul' op reads 'x' (device-placed: the GPU target runs only kvcache ops on device memory)
// CHECK-DAG: tensor-device-placement.mlir:[[#@LINE+3]]:1: note: 'q' is argument 2 of '@project'
// CHECK-DAG: tensor-device-placement.mlir:[[#@LINE+2]]:20: note: 'x' is argument 0 of '@project'

func.func @project(%x: tensor<4x64xbf16> {kvcache.name = "x"},
                   %w: tensor<64x128xbf16> {kvcache.name = "w"})
    -> (tensor<4x128xbf16> {kvcache.name = "q"}) {
  %zero = arith.constant 0.0 : bf16
  %empty = tensor.empty() : tensor<4x128xbf16>
  %init = linalg.fill ins(%zero : bf16) outs(%empty : tensor<4x128xbf16>) -> tensor<4x128xbf16>
  %q = linalg.matmul ins(%x, %w : tensor<4x64xbf16>, tensor<64x128xbf16>)
                     outs(%init : tensor<4x128xbf16>) -> tensor<4x128xbf16>
  return %q : tensor<4x128xbf16>
}

// CPU: {"index": 2, "name": "q", "kind": "memref", "element_type": "bf16", "rank": 2, "shape": [4, 128], "role": "output", "placement": "device"}
