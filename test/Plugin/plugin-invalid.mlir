// The type verifier's errors come through the stock mlir-opt too.
// RUN: not %mlir-opt --load-dialect-plugin=%kvcache_plugin %s 2>&1 | FileCheck %s

// CHECK: plugin-invalid.mlir:[[# @LINE + 2]]:22: error: 'mla_num_partitions' requires an MLA cache (kv_blocks dim 1, kv_dim, == 1)
// CHECK-NOT: error:
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, mla_num_partitions: memref<1xi64>>

func.func private @f(!kv)
