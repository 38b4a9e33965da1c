// RUN: kvcache-opt %s --convert-kvcache-to-gpu --split-input-file | FileCheck %s

// MLA caches on GPU kernels (CUDA cores): the kernels are named for their
// value width, and the host's split count is mla_num_partitions[0], a host
// field; an MLA cache's dispatch metadata is device memory, which the host
// code never reads (without mla_num_partitions the launch takes its own
// rule). The store kernel takes the latent rows in both its key and value
// slots and writes kv 0 only (GPU-Sim/mla.test checks the pool).
!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x40xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>>
// CHECK-LABEL: func.func @counted(
// CHECK-NOT:     attention_dispatch_metadata
// CHECK:         %[[NP:.*]] = kvcache.get %{{.*}}[mla_num_partitions]
// CHECK-NOT:     attention_dispatch_metadata
// CHECK:         memref.load %[[NP]][%c0{{.*}}] : memref<1xi64>
// CHECK-NOT:     attention_dispatch_metadata
// CHECK:         gpu.launch_func {{.*}} @kvcache_kernels::@kvcache_decode_f32_d40_p16_kv1_q16_mla_v32
// CHECK:         gpu.launch_func {{.*}} @kvcache_kernels::@kvcache_combine_f32_d40_p16_kv1_q16_mla_v32
// CHECK:         gpu.launch_func {{.*}} @kvcache_kernels::@kvcache_prefill_f32_d40_p16_kv1_q16_mla_v32
// CHECK-SAME:      %arg4 : memref<?x16x32xf32>
// CHECK:         return
func.func @counted(%kv: !mla, %layer: index, %q: memref<?x16x40xf32>, %offsets: memref<?xi32>, %out: memref<?x16x32xf32>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.2 : f32} : !mla, memref<?x16x40xf32>, memref<?xi32>, memref<?x16x32xf32>
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x40xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>>
// CHECK-LABEL: func.func @device_metadata(
// CHECK-NOT:     kvcache.get %{{.*}}[attention_dispatch_metadata]
// CHECK:         func.call @kvcache_runtime_num_sms()
// CHECK-NOT:     kvcache.get %{{.*}}[attention_dispatch_metadata]
// CHECK:         return
func.func @device_metadata(%kv: !mla, %layer: index, %q: memref<?x16x40xf32>, %offsets: memref<?xi32>, %out: memref<?x16x32xf32>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.2 : f32} : !mla, memref<?x16x40xf32>, memref<?xi32>, memref<?x16x32xf32>
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x40xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
// CHECK-LABEL: func.func @store(
// CHECK-SAME:    %[[LATENT:[^:]*]]: memref<?x1x40xf32>
// CHECK:         gpu.launch_func {{.*}} @kvcache_kernels::@kvcache_store_f32_d40_p16_kv1 {{.*}} %[[LATENT]] : memref<?x1x40xf32>, %[[LATENT]] : memref<?x1x40xf32>
func.func @store(%kv: !mla, %layer: index, %latent: memref<?x1x40xf32>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %latent, %offsets : !mla, memref<?x1x40xf32>, memref<?xi32>
  return
}
