// The lowerings read the memref forms; a tensor form left in the graph is
// refused with the pass that would have lowered it and what to run first.
// RUN: kvcache-opt %s --convert-kvcache-to-loops --split-input-file -verify-diagnostics
// RUN: not kvcache-opt %s --convert-kvcache-to-gpu --split-input-file 2>&1 | FileCheck %s --check-prefix=GPU

// GPU-COUNT-2: op takes tensors; convert-kvcache-to-gpu lowers the memref form (bufferize the graph first: one-shot-bufferize)

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @attention(%kv: !kv, %q: tensor<?x4x64xf32>, %offsets: tensor<?xi32>) -> tensor<?x4x64xf32> {
  %c0 = arith.constant 0 : index
  // expected-error@+1 {{'kvcache.attention' op takes tensors; convert-kvcache-to-loops lowers the memref form (bufferize the graph first: one-shot-bufferize)}}
  %o = kvcache.attention %kv, %c0, %q, %offsets, %q : !kv, tensor<?x4x64xf32>, tensor<?xi32>, tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  return %o : tensor<?x4x64xf32>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @store(%kv: !kv, %k: tensor<?x2x64xf32>, %offsets: tensor<?xi32>) {
  %c0 = arith.constant 0 : index
  // expected-error@+1 {{'kvcache.store' op takes tensors; convert-kvcache-to-loops lowers the memref form (bufferize the graph first: one-shot-bufferize)}}
  kvcache.store %kv, %c0, %k, %k, %offsets : !kv, tensor<?x2x64xf32>, tensor<?x2x64xf32>, tensor<?xi32>
  return
}
