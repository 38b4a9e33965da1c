// Data parallel x tensor parallel, DP=2 x TP=4: eight devices, device(0) to
// device(7), replica-major (shard s of replica r is device r * 4 + s), and a
// target and a draft cache on the same devices. The flat signature is cache
// after cache in the order of their first declaration, device after device
// within a cache, each device's fields in ABI order, whatever order the
// declarations come in.
//
// RUN: kvcache-opt %s --kvcache-expand-inputs | FileCheck %s
// RUN: kvcache-opt %s --kvcache-expand-inputs --kvcache-pack-inputs | FileCheck %s --check-prefix=PACK
//
// RUN: kvcache-opt %s --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b

!target = !kvcache.inputs<kv_blocks: memref<?x2x8x16x2x64xbf16>,
                          cache_lengths: tensor<?xi32>,
                          lookup_table: tensor<?x?xi32>,
                          max_lengths: tensor<?x2xi32>,
                          attention_dispatch_metadata: tensor<4xi64>>
!draft = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x64xbf16>,
                         cache_lengths: tensor<?xi32>,
                         lookup_table: tensor<?x?xi32>,
                         max_lengths: tensor<?x2xi32>>

// The target cache is declared first: its 8 x 5 arguments come first, then
// the draft cache's 8 x 4.
// CHECK-LABEL: func.func @dp2_tp4(
// CHECK-SAME:    %[[X:[^:]*]]: i32,
// CHECK-SAME:    %[[T0BLOCKS:[^:]*]]: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[T5LENS:[^:]*]]: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 2 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 2 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %[[D2TABLE:[^:]*]]: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 2 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 2 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 3 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 3 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 3 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 3 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 4 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 4 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 4 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 4 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 6 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 6 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 6 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 6 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 7 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 7 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 7 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %[[D7MAX:[^:]*]]: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 7 : i64, kvcache.field = "max_lengths"})
// CHECK-SAME:    -> (i32, tensor<?xi32>, tensor<?x?xi32>, memref<?x2x8x16x2x64xbf16>, tensor<?x2xi32>)
// CHECK-NOT:     kvcache.
// CHECK:         return %[[X]], %[[T5LENS]], %[[D2TABLE]], %[[T0BLOCKS]], %[[D7MAX]] :

// Packing the flat signature gives one bundle per cache and device, in the
// same order, each with its device and cache.
// PACK-DAG:    ![[T:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x8x16x2x64xbf16>, {{.*}}, attention_dispatch_metadata: tensor<4xi64>>{{$}}
// PACK-DAG:    ![[D:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x64xbf16>, {{.*}}, max_lengths: tensor<?x2xi32>>{{$}}
// PACK-LABEL: func.func @dp2_tp4(
// PACK-SAME:    %{{[^:]*}}: i32,
// PACK-SAME:    %{{[^:]*}}: ![[T]] {kvcache.cache = "target", kvcache.device = 0 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[T]] {kvcache.cache = "target", kvcache.device = 1 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[T]] {kvcache.cache = "target", kvcache.device = 2 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[T]] {kvcache.cache = "target", kvcache.device = 3 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[T]] {kvcache.cache = "target", kvcache.device = 4 : i64},
// PACK-SAME:    %[[T5:[^:]*]]: ![[T]] {kvcache.cache = "target", kvcache.device = 5 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[T]] {kvcache.cache = "target", kvcache.device = 6 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[T]] {kvcache.cache = "target", kvcache.device = 7 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[D]] {kvcache.cache = "draft", kvcache.device = 0 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[D]] {kvcache.cache = "draft", kvcache.device = 1 : i64},
// PACK-SAME:    %[[D2:[^:]*]]: ![[D]] {kvcache.cache = "draft", kvcache.device = 2 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[D]] {kvcache.cache = "draft", kvcache.device = 3 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[D]] {kvcache.cache = "draft", kvcache.device = 4 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[D]] {kvcache.cache = "draft", kvcache.device = 5 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[D]] {kvcache.cache = "draft", kvcache.device = 6 : i64},
// PACK-SAME:    %{{[^:]*}}: ![[D]] {kvcache.cache = "draft", kvcache.device = 7 : i64})
// PACK-DAG:     kvcache.get %[[T5]][cache_lengths] : ![[T]]
// PACK-DAG:     kvcache.get %[[D2]][lookup_table] : ![[D]]
func.func @dp2_tp4(%x: i32)
    -> (i32, tensor<?xi32>, tensor<?x?xi32>, memref<?x2x8x16x2x64xbf16>, tensor<?x2xi32>) {
  %t5 = kvcache.inputs_per_device device(5) cache("target") : !target
  %d3 = kvcache.inputs_per_device device(3) cache("draft") : !draft
  %t0 = kvcache.inputs_per_device device(0) cache("target") : !target
  %d6 = kvcache.inputs_per_device device(6) cache("draft") : !draft
  %t7 = kvcache.inputs_per_device device(7) cache("target") : !target
  %d0 = kvcache.inputs_per_device device(0) cache("draft") : !draft
  %t2 = kvcache.inputs_per_device device(2) cache("target") : !target
  %d2 = kvcache.inputs_per_device device(2) cache("draft") : !draft
  %t1 = kvcache.inputs_per_device device(1) cache("target") : !target
  %d7 = kvcache.inputs_per_device device(7) cache("draft") : !draft
  %t6 = kvcache.inputs_per_device device(6) cache("target") : !target
  %d1 = kvcache.inputs_per_device device(1) cache("draft") : !draft
  %t3 = kvcache.inputs_per_device device(3) cache("target") : !target
  %d5 = kvcache.inputs_per_device device(5) cache("draft") : !draft
  %t4 = kvcache.inputs_per_device device(4) cache("target") : !target
  %d4 = kvcache.inputs_per_device device(4) cache("draft") : !draft
  %lens = kvcache.get %t5[cache_lengths] : !target
  %table = kvcache.get %d2[lookup_table] : !draft
  %blocks = kvcache.get %t0[kv_blocks] : !target
  %maxlens = kvcache.get %d7[max_lengths] : !draft
  return %x, %lens, %table, %blocks, %maxlens : i32, tensor<?xi32>, tensor<?x?xi32>, memref<?x2x8x16x2x64xbf16>, tensor<?x2xi32>
}

// Here the draft cache is declared first, so it comes first; the unnamed
// default cache is a cache of its own, without kvcache.cache.
// CHECK-LABEL: func.func @draft_first(
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 2 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 2 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 2 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 2 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 3 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 3 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 3 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 3 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 4 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 4 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 4 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 4 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 6 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 6 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 6 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 6 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 7 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 7 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 7 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 7 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 0 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 1 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 2 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 5 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 6 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 7 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.device = 1 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 1 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 1 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 1 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.device = 2 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 2 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 2 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 2 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.device = 3 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 3 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 3 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 3 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.device = 4 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 4 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 4 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 4 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.device = 5 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 5 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 5 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 5 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.device = 6 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 6 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 6 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 6 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x2x16x2x64xbf16> {kvcache.device = 7 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 7 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 7 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 7 : i64, kvcache.field = "max_lengths"})
func.func @draft_first() {
  %d7 = kvcache.inputs_per_device device(7) cache("draft") : !draft
  %d6 = kvcache.inputs_per_device device(6) cache("draft") : !draft
  %d5 = kvcache.inputs_per_device device(5) cache("draft") : !draft
  %d4 = kvcache.inputs_per_device device(4) cache("draft") : !draft
  %d3 = kvcache.inputs_per_device device(3) cache("draft") : !draft
  %d2 = kvcache.inputs_per_device device(2) cache("draft") : !draft
  %d1 = kvcache.inputs_per_device device(1) cache("draft") : !draft
  %d0 = kvcache.inputs_per_device device(0) cache("draft") : !draft
  %t0 = kvcache.inputs_per_device device(0) cache("target") : !target
  %t1 = kvcache.inputs_per_device device(1) cache("target") : !target
  %t2 = kvcache.inputs_per_device device(2) cache("target") : !target
  %t3 = kvcache.inputs_per_device device(3) cache("target") : !target
  %t4 = kvcache.inputs_per_device device(4) cache("target") : !target
  %t5 = kvcache.inputs_per_device device(5) cache("target") : !target
  %t6 = kvcache.inputs_per_device device(6) cache("target") : !target
  %t7 = kvcache.inputs_per_device device(7) cache("target") : !target
  %u1 = kvcache.inputs_per_device device(1) : !draft
  %u0 = kvcache.inputs_per_device device(0) : !draft
  %u3 = kvcache.inputs_per_device device(3) : !draft
  %u2 = kvcache.inputs_per_device device(2) : !draft
  %u5 = kvcache.inputs_per_device device(5) : !draft
  %u4 = kvcache.inputs_per_device device(4) : !draft
  %u7 = kvcache.inputs_per_device device(7) : !draft
  %u6 = kvcache.inputs_per_device device(6) : !draft
  return
}

// Per-device bundles passed as arguments: each keeps its device and cache.
// CHECK-LABEL: func.func private @shard(
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 3 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x8x16x2x64xbf16> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.cache = "target", kvcache.device = 4 : i64, kvcache.field = "attention_dispatch_metadata"})
func.func private @shard(%a: !target {kvcache.device = 3 : i64, kvcache.cache = "target"},
                         %b: !target {kvcache.device = 4 : i64, kvcache.cache = "target"}) {
  return
}
