// Cache arguments are named by the ABI: `<field>` for device 0 of the default
// cache, `d<N>.<field>` for its other devices, `<cache>.d<N>.<field>` for a
// named cache. The dispatch metadata lives on the host for an ordinary cache
// and on the device for MLA (kv_dim 1).
//
// RUN: rm -rf %t && kvcache-compile %s --target=cpu -o %t
// RUN: FileCheck %s --input-file=%t/manifest.json
// RUN: nm -D --defined-only %t/libkernels.so | FileCheck %s --check-prefix=SYMBOLS

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x4x1x4xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

// CHECK-LABEL: {"name": "step", "entry": "kvcache_entry_step",
// CHECK-NEXT:   "arguments": [
// CHECK-NEXT:     {"index": 0, "name": "layer", {{.*}} "role": "input", "operand": "layer", "placement": "host"},
// CHECK-NEXT:     {"index": 1, "name": "key", {{.*}}},
// CHECK-NEXT:     {"index": 2, "name": "value", {{.*}}},
// CHECK-NEXT:     {"index": 3, "name": "input_row_offsets", {{.*}}},
// CHECK-NEXT:     {"index": 4, "name": "kv_blocks", {{.*}} "role": "cache", "field": "kv_blocks", "device": 0, "cache": "", "placement": "device"},
// CHECK-NEXT:     {"index": 5, "name": "cache_lengths", {{.*}} "field": "cache_lengths", "device": 0, "cache": "", "placement": "device"},
// CHECK-NEXT:     {"index": 6, "name": "lookup_table", {{.*}} "field": "lookup_table", "device": 0, "cache": "", "placement": "device"},
// CHECK-NEXT:     {"index": 7, "name": "max_lengths", {{.*}} "field": "max_lengths", "device": 0, "cache": "", "placement": "host"},
// CHECK-NEXT:     {"index": 8, "name": "d1.kv_blocks", {{.*}} "field": "kv_blocks", "device": 1, "cache": "", "placement": "device"},
// CHECK-NEXT:     {"index": 9, "name": "d1.cache_lengths", {{.*}} "device": 1, "cache": ""
// CHECK-NEXT:     {"index": 10, "name": "d1.lookup_table", {{.*}} "device": 1, "cache": ""
// CHECK-NEXT:     {"index": 11, "name": "d1.max_lengths", {{.*}} "device": 1, "cache": ""
// CHECK-NEXT:     {"index": 12, "name": "draft.d0.kv_blocks", {{.*}} "field": "kv_blocks", "device": 0, "cache": "draft", "placement": "device"},
// CHECK-NEXT:     {"index": 13, "name": "draft.d0.cache_lengths", {{.*}} "device": 0, "cache": "draft"
// CHECK-NEXT:     {"index": 14, "name": "draft.d0.lookup_table", "kind": "memref", "element_type": "i32", "rank": 2, "shape": [-1, -1], "role": "cache", "field": "lookup_table", "device": 0, "cache": "draft", "placement": "device"},
// CHECK-NEXT:     {"index": 15, "name": "draft.d0.max_lengths", {{.*}} "device": 0, "cache": "draft", "placement": "host"}
// CHECK-NEXT:   ]},
func.func @step(%layer: index {kvcache.name = "layer"},
                %key: memref<?x1x4xf32> {kvcache.name = "key"},
                %value: memref<?x1x4xf32> {kvcache.name = "value"},
                %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"}) {
  %kv0 = kvcache.inputs_per_device device(0) : !kv
  %kv1 = kvcache.inputs_per_device device(1) : !kv
  %draft = kvcache.inputs_per_device device(0) cache("draft") : !kv
  kvcache.store %kv0, %layer, %key, %value, %offsets
      : !kv, memref<?x1x4xf32>, memref<?x1x4xf32>, memref<?xi32>
  kvcache.store %kv1, %layer, %key, %value, %offsets
      : !kv, memref<?x1x4xf32>, memref<?x1x4xf32>, memref<?xi32>
  kvcache.store %draft, %layer, %key, %value, %offsets
      : !kv, memref<?x1x4xf32>, memref<?x1x4xf32>, memref<?xi32>
  return
}

// A flat signature written by hand (as kvcache-pack-inputs reads it; device 0
// when unsaid): the MLA cache's dispatch metadata is placed on the device, the
// ordinary cache's on the host, and mla_num_partitions always on the host.
// CHECK-LABEL: {"name": "flat", "entry": "kvcache_entry_flat",
// CHECK-NEXT:   "arguments": [
// CHECK-NEXT:     {"index": 0, "name": "mla.d0.kv_blocks", {{.*}} "shape": [-1, 1, 1, 4, 1, 4], "role": "cache", "field": "kv_blocks", "device": 0, "cache": "mla", "placement": "device"},
// CHECK-NEXT:     {"index": 1, "name": "mla.d0.cache_lengths",
// CHECK-NEXT:     {"index": 2, "name": "mla.d0.lookup_table",
// CHECK-NEXT:     {"index": 3, "name": "mla.d0.max_lengths", {{.*}} "placement": "host"},
// CHECK-NEXT:     {"index": 4, "name": "mla.d0.attention_dispatch_metadata", {{.*}} "shape": [3], "role": "cache", "field": "attention_dispatch_metadata", "device": 0, "cache": "mla", "placement": "device"},
// CHECK-NEXT:     {"index": 5, "name": "mla.d0.mla_num_partitions", {{.*}} "field": "mla_num_partitions", "device": 0, "cache": "mla", "placement": "host"},
// CHECK-NEXT:     {"index": 6, "name": "d2.kv_blocks", {{.*}} "placement": "device"},
// CHECK-NEXT:     {"index": 7, "name": "d2.cache_lengths",
// CHECK-NEXT:     {"index": 8, "name": "d2.lookup_table",
// CHECK-NEXT:     {"index": 9, "name": "d2.max_lengths",
// CHECK-NEXT:     {"index": 10, "name": "d2.attention_dispatch_metadata", {{.*}} "shape": [4], "role": "cache", "field": "attention_dispatch_metadata", "device": 2, "cache": "", "placement": "host"}
// CHECK-NEXT:   ]}]}
func.func @flat(
    %mla_blocks: memref<?x1x1x4x1x4xf32> {kvcache.field = "kv_blocks", kvcache.cache = "mla"},
    %mla_lens: memref<?xi32> {kvcache.field = "cache_lengths", kvcache.cache = "mla"},
    %mla_table: memref<?x?xi32> {kvcache.field = "lookup_table", kvcache.cache = "mla"},
    %mla_max: memref<?x2xi32> {kvcache.field = "max_lengths", kvcache.cache = "mla"},
    %mla_meta: memref<3xi64> {kvcache.field = "attention_dispatch_metadata", kvcache.cache = "mla"},
    %mla_parts: memref<1xi64> {kvcache.field = "mla_num_partitions", kvcache.cache = "mla"},
    %blocks: memref<?x2x1x4x1x4xf32> {kvcache.field = "kv_blocks", kvcache.device = 2 : i64},
    %lens: memref<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 2 : i64},
    %table: memref<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 2 : i64},
    %max: memref<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 2 : i64},
    %meta: memref<4xi64> {kvcache.field = "attention_dispatch_metadata", kvcache.device = 2 : i64}) {
  return
}

// SYMBOLS-DAG: T kvcache_entry_step
// SYMBOLS-DAG: T kvcache_entry_flat
