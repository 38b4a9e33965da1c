// RUN: kvcache-opt %s --kvcache-drop-optional-fields --mlir-print-local-scope | FileCheck %s

// A draft attention reads the draft model's split-count fields, a target
// attention the target's: a function that runs only the draft model keeps
// the draft fields alone. On an MLA cache the draft partition count comes
// first and keeps the draft metadata it needs (ABI.md). Dropping them under
// a draft attention is an error (drop-optional-fields-draft-invalid.mlir).
!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>, draft_attention_dispatch_metadata: memref<4xi64>>

// CHECK-LABEL: func.func private @draft_layer
// CHECK-SAME:    max_lengths: memref<?x2xi32>, draft_attention_dispatch_metadata: memref<4xi64>>,
func.func private @draft_layer(%kv: !kv, %l: index, %q: memref<?x4x8xf32>, %o: memref<?xi32>) {
  kvcache.attention %kv, %l, %q, %o, %q {draft} : !kv, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>
  return
}

// CHECK-LABEL: func.func private @both_layers
// CHECK-SAME:    max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>, draft_attention_dispatch_metadata: memref<4xi64>>,
func.func private @both_layers(%kv: !kv, %l: index, %q: memref<?x4x8xf32>, %o: memref<?xi32>) {
  kvcache.attention %kv, %l, %q, %o, %q {draft} : !kv, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>
  return
}

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x10xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>, draft_attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>, draft_mla_num_partitions: memref<1xi64>>

// CHECK-LABEL: func.func private @mla_draft
// CHECK-SAME:    max_lengths: memref<?x2xi32>, draft_attention_dispatch_metadata: memref<3xi64>, draft_mla_num_partitions: memref<1xi64>>,
func.func private @mla_draft(%kv: !mla, %l: index, %q: memref<?x4x10xf32>, %o: memref<?xi32>, %out: memref<?x4x6xf32>) {
  kvcache.attention %kv, %l, %q, %o, %out {scale = 0.3 : f32, draft} : !mla, memref<?x4x10xf32>, memref<?xi32>, memref<?x4x6xf32>
  return
}

func.func @step(%kv: !kv, %mla: !mla, %l: index, %q: memref<?x4x8xf32>, %mq: memref<?x4x10xf32>, %o: memref<?xi32>, %out: memref<?x4x6xf32>) {
  call @draft_layer(%kv, %l, %q, %o) : (!kv, index, memref<?x4x8xf32>, memref<?xi32>) -> ()
  call @both_layers(%kv, %l, %q, %o) : (!kv, index, memref<?x4x8xf32>, memref<?xi32>) -> ()
  call @mla_draft(%mla, %l, %mq, %o, %out) : (!mla, index, memref<?x4x10xf32>, memref<?xi32>, memref<?x4x6xf32>) -> ()
  return
}
