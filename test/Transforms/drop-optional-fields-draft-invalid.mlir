// A draft attention reads the draft model's fields: dropping them under it,
// by name or for the kernel ABI, is an error naming the attention and the
// field.
// RUN: kvcache-opt %s -verify-diagnostics --kvcache-drop-optional-fields=kernel-abi=true
// RUN: not kvcache-opt %s --kvcache-drop-optional-fields=fields=draft_attention_dispatch_metadata 2>&1 | FileCheck %s

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>, draft_attention_dispatch_metadata: memref<4xi64>>

func.func private @draft_layer(%kv: !kv, %l: index, %q: memref<?x4x8xf32>, %o: memref<?xi32>) {
  // CHECK: :[[@LINE+2]]:3: error: 'kvcache.attention' op with 'draft' reads field 'draft_attention_dispatch_metadata', which was asked to be dropped
  // expected-error @+1 {{'kvcache.attention' op with 'draft' reads field 'draft_attention_dispatch_metadata', which was asked to be dropped}}
  kvcache.attention %kv, %l, %q, %o, %q {draft} : !kv, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>
  return
}
