// End to end on the CPU: compile a graph that only stores the new K/V rows,
// run it with kvcache-run on inputs written with NumPy, and check with NumPy
// that each row landed at its page and slot (and nothing else moved).
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: kvcache-compile %s --target=cpu -o %t/bundle
// RUN: %python %S/Inputs/store_pages.py write %t/inputs
// RUN: kvcache-run %t/bundle --inputs %t/inputs --outputs %t/outputs
// RUN: %python %S/Inputs/store_pages.py check %t/inputs %t/outputs | FileCheck %s

// 10 rows x (key + value) x 2 heads x 8 lanes, all random: every element of
// the written slots changes.
// CHECK: stored 10 rows; 320 elements changed; the rest untouched

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x4x2x8xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

func.func @store(%layer: index {kvcache.name = "layer"},
                 %key: memref<?x2x8xf32> {kvcache.name = "key"},
                 %value: memref<?x2x8xf32> {kvcache.name = "value"},
                 %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?xi32>
  return
}
