// RUN: kvcache-opt %s --kvcache-drop-optional-fields --mlir-print-local-scope | FileCheck %s
// RUN: kvcache-opt %s --pass-pipeline='builtin.module(kvcache-drop-optional-fields{kernel-abi=true})' --mlir-print-local-scope | FileCheck %s --check-prefix=KERNEL

// Attention reads the dispatch metadata (its split count), so the private
// function keeps it; the store alone would not. With kernel-abi the metadata
// goes and attention falls back to its own split rule.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>, draft_attention_dispatch_metadata: memref<4xi64>>

// CHECK-LABEL: func.func private @layer
// CHECK-SAME:    attention_dispatch_metadata: memref<4xi64>>
// CHECK-NOT:     draft_attention_dispatch_metadata
// KERNEL-LABEL: func.func private @layer
// KERNEL-SAME:    max_lengths: memref<?x2xi32>>,
func.func private @layer(%kv: !kv, %l: index, %q: memref<?x4x8xf32>, %o: memref<?xi32>) {
  kvcache.attention %kv, %l, %q, %o, %q : !kv, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>
  return
}

// CHECK-LABEL: func.func private @store_only
// CHECK-SAME:    max_lengths: memref<?x2xi32>>,
func.func private @store_only(%kv: !kv, %l: index, %k: memref<?x2x8xf32>, %o: memref<?xi32>) {
  kvcache.store %kv, %l, %k, %k, %o : !kv, memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?xi32>
  return
}

func.func @step(%l: index, %q: memref<?x4x8xf32>, %k: memref<?x2x8xf32>, %o: memref<?xi32>) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  call @store_only(%kv, %l, %k, %o) : (!kv, index, memref<?x2x8xf32>, memref<?xi32>) -> ()
  call @layer(%kv, %l, %q, %o) : (!kv, index, memref<?x4x8xf32>, memref<?xi32>) -> ()
  return
}

// An MLA attention reads the first split-count field its bundle holds:
// mla_num_partitions, so the target's dispatch metadata goes (draft
// attentions: drop-optional-fields-draft.mlir).
!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x10xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>, draft_attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>, draft_mla_num_partitions: memref<1xi64>>

// CHECK-LABEL: func.func private @mla_target
// CHECK-SAME:    max_lengths: memref<?x2xi32>, mla_num_partitions: memref<1xi64>>,
// KERNEL-LABEL: func.func private @mla_target
// KERNEL-SAME:    max_lengths: memref<?x2xi32>>,
func.func private @mla_target(%kv: !mla, %l: index, %q: memref<?x4x10xf32>, %o: memref<?xi32>, %out: memref<?x4x6xf32>) {
  kvcache.attention %kv, %l, %q, %o, %out {scale = 0.3 : f32} : !mla, memref<?x4x10xf32>, memref<?xi32>, memref<?x4x6xf32>
  return
}

// CHECK-LABEL: func.func private @mla_store
// CHECK-SAME:    max_lengths: memref<?x2xi32>>,
func.func private @mla_store(%kv: !mla, %l: index, %latent: memref<?x1x10xf32>, %o: memref<?xi32>) {
  kvcache.store %kv, %l, %latent, %o : !mla, memref<?x1x10xf32>, memref<?xi32>
  return
}

func.func @mla_step(%l: index, %q: memref<?x4x10xf32>, %latent: memref<?x1x10xf32>, %o: memref<?xi32>, %out: memref<?x4x6xf32>) {
  %kv = kvcache.inputs_per_device device(0) : !mla
  call @mla_store(%kv, %l, %latent, %o) : (!mla, index, memref<?x1x10xf32>, memref<?xi32>) -> ()
  call @mla_target(%kv, %l, %q, %o, %out) : (!mla, index, memref<?x4x10xf32>, memref<?xi32>, memref<?x4x6xf32>) -> ()
  return
}
