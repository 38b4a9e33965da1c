// An argument that feeds two kinds of compute-op operand cannot be checked
// as either: kvcache-compile rejects it, naming both.
// RUN: not kvcache-compile %s --target=cpu -o %t 2>&1 | FileCheck %s

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x4x1x4xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

// CHECK: error: argument 0 of function '@step' feeds both 'query' and 'out'; an argument may feed one kind of compute-op operand
func.func @step(%rows: memref<?x1x4xf32> {kvcache.name = "rows", kvcache.role = "inout"},
                %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %layer = arith.constant 0 : index
  kvcache.attention %kv, %layer, %rows, %offsets, %rows : !kv, memref<?x1x4xf32>, memref<?xi32>, memref<?x1x4xf32>
  return
}
