// The GPU targets run only the kvcache ops on device memory; the graph's
// other ops are host code. An op that reads or writes a device-placed value
// (here the row offsets, through a view, and an output) is refused, naming
// the op and the value, by kvcache-check-device-placement before anything is
// lowered, so that neither target needs ptxas to say so; no bundle is
// written. The CPU target, whose "device" is the host, compiles the
// same graph.
//
// RUN: rm -rf %t
// RUN: not kvcache-compile %s --target=sm_90a -o %t/gpu 2>&1 | FileCheck %s
// RUN: not kvcache-compile %s --target=sim -o %t/sim 2>&1 | FileCheck %s
// RUN: not ls %t/gpu/manifest.json %t/sim/manifest.json
// RUN: kvcache-compile %s --target=cpu -o %t/cpu
// RUN: FileCheck %s --input-file=%t/cpu/manifest.json --check-prefix=CPU
// RUN: ls %t/cpu/libkernels.so
//
// A q projection (linalg.matmul) over a device-placed hidden state.
// RUN: not kvcache-compile %S/Inputs/device-placement-matmul.mlir --target=sm_90a -o %t/matmul 2>&1 | FileCheck %s --check-prefix=MATMUL
// RUN: not kvcache-compile %S/Inputs/device-placement-matmul.mlir --target=sim -o %t/matmul 2>&1 | FileCheck %s --check-prefix=MATMUL
// The same check in the stock mlir-opt, with the plugin:
// RUN: not %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin %S/Inputs/device-placement-matmul.mlir \
// RUN:   --pass-pipeline='builtin.module(kvcache-check-device-placement)' 2>&1 | FileCheck %s --check-prefix=MATMUL

// MATMUL: device-placement-matmul.mlir:[[#]]:3: error: 'linalg.matmul' op reads 'hidden' (device-placed: the GPU target runs only kvcache ops on device memory); lower the op to a GPU kernel first, or compile for the CPU
// MATMUL: device-placement-matmul.mlir:[[#]]:{{[0-9]+}}: note: 'hidden' is argument 0 of '@decode'

// CPU: "name": "rows", {{.*}} "role": "output"

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x128xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

func.func @decode(%q: memref<?x8x128xbf16> {kvcache.name = "q"},
                  %key: memref<?x2x128xbf16> {kvcache.name = "key"},
                  %value: memref<?x2x128xbf16> {kvcache.name = "value"},
                  // CHECK-DAG: device-placement.mlir:[[@LINE+1]]:{{[0-9]+}}: note: 'input_row_offsets' is argument 3 of '@decode'
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x8x128xbf16> {kvcache.name = "out", kvcache.role = "output"},
                  // CHECK-DAG: device-placement.mlir:[[@LINE+1]]:{{[0-9]+}}: note: 'rows' is argument 5 of '@decode'
                  %rows: memref<1xi32> {kvcache.name = "rows", kvcache.role = "output"},
                  %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %c0 = arith.constant 0 : index
  %last = memref.dim %offsets, %c0 : memref<?xi32>
  %tail = memref.subview %offsets[1] [1] [1]
      : memref<?xi32> to memref<1xi32, strided<[1], offset: 1>>
  // CHECK-DAG: device-placement.mlir:[[@LINE+1]]:12: error: 'memref.load' op reads 'input_row_offsets' (device-placed: the GPU target runs only kvcache ops on device memory); lower the op to a GPU kernel first, or compile for the CPU
  %first = memref.load %tail[%c0] : memref<1xi32, strided<[1], offset: 1>>
  %twice = arith.addi %first, %first : i32
  // CHECK-DAG: device-placement.mlir:[[@LINE+1]]:3: error: 'memref.store' op writes 'rows' (device-placed
  memref.store %twice, %rows[%c0] : memref<1xi32>
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x128xbf16>, memref<?x2x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !kv, memref<?x8x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>
  return
}
