// The manifest records which compute-op operand each non-cache argument
// feeds (kvcache.operand, through calls), which kvcache-run keys its checks
// on: here the offsets are not named input_row_offsets, and `weights`, a
// rank-3 input that feeds no compute op, gets no operand.
//
// RUN: rm -rf %t && kvcache-compile %s --target=cpu -o %t
// RUN: FileCheck %s --input-file=%t/manifest.json

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x4x1x4xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

// CHECK: {"index": 0, "name": "q", {{.*}} "role": "input", "operand": "query", "placement": "device"},
// CHECK: {"index": 1, "name": "row_offsets", {{.*}} "role": "input", "operand": "row_offsets", "placement": "device"},
// CHECK: {"index": 2, "name": "weights", {{.*}} "role": "input", "placement": "device"},
// CHECK: {"index": 3, "name": "out", {{.*}} "role": "output", "operand": "out", "placement": "device"},
func.func private @attend(%kv: !kv, %q: memref<?x1x4xf32>, %offsets: memref<?xi32>, %out: memref<?x1x4xf32>) {
  %layer = arith.constant 0 : index
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x1x4xf32>, memref<?xi32>, memref<?x1x4xf32>
  return
}
func.func @step(%q: memref<?x1x4xf32> {kvcache.name = "q"},
                %offsets: memref<?xi32> {kvcache.name = "row_offsets"},
                %weights: memref<3x4x8xf32> {kvcache.name = "weights"},
                %out: memref<?x1x4xf32> {kvcache.name = "out", kvcache.role = "output"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  func.call @attend(%kv, %q, %offsets, %out) : (!kv, memref<?x1x4xf32>, memref<?xi32>, memref<?x1x4xf32>) -> ()
  return
}
