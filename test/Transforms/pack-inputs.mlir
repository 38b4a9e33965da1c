// RUN: kvcache-opt %s -split-input-file --kvcache-pack-inputs | FileCheck %s

// Pack then expand gives the flat module back; expanding first makes the
// property hold for any module, and here the input is flat already.
// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a -split-input-file --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b

// One run of annotated arguments becomes one bundle at the position of its
// kv_blocks; uses of the fields become kvcache.get; arguments without
// kvcache.field stay as they are.
// CHECK-DAG:   ![[KVT:.*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>
// CHECK-LABEL: func.func @one_run(
// CHECK-SAME:    %[[X:[^:]*]]: i32 {test.kept},
// CHECK-SAME:    %[[KV:[^:]*]]: ![[KVT]] {kvcache.device = 0 : i64},
// CHECK-SAME:    %[[Y:[^:]*]]: f32)
// CHECK-NEXT:    %[[TABLE:.*]] = kvcache.get %[[KV]][lookup_table] : ![[KVT]]
// CHECK-NEXT:    return %[[X]], %[[TABLE]], %[[Y]]
func.func @one_run(%x: i32 {test.kept},
                   %blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 0 : i64},
                   %lens: tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 0 : i64},
                   %table: tensor<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 0 : i64},
                   %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 0 : i64},
                   %y: f32) -> (i32, tensor<?x?xi32>, f32) {
  return %x, %table, %y : i32, tensor<?x?xi32>, f32
}

// -----

// A new run starts at every kv_blocks: two bundles back to back, with their
// own device and cache; optional fields come from the run.
// CHECK-DAG:   ![[KVT:.*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>
// CHECK-DAG:   ![[META:.*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>>
// CHECK-LABEL: func.func @two_runs(
// CHECK-SAME:    %[[A:[^:]*]]: ![[KVT]] {kvcache.device = 0 : i64},
// CHECK-SAME:    %[[B:[^:]*]]: ![[META]] {kvcache.cache = "draft", kvcache.device = 1 : i64})
// CHECK-SAME:    -> (tensor<?xi32>, tensor<4xi64>)
// CHECK-DAG:     %[[LENS:.*]] = kvcache.get %[[A]][cache_lengths] : ![[KVT]]
// CHECK-DAG:     %[[M:.*]] = kvcache.get %[[B]][attention_dispatch_metadata] : ![[META]]
// CHECK:         return %[[LENS]], %[[M]]
func.func @two_runs(%a0: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 0 : i64},
                    %a1: tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 0 : i64},
                    %a2: tensor<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 0 : i64},
                    %a3: tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 0 : i64},
                    %b0: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 1 : i64, kvcache.cache = "draft"},
                    %b1: tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 1 : i64, kvcache.cache = "draft"},
                    %b2: tensor<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 1 : i64, kvcache.cache = "draft"},
                    %b3: tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 1 : i64, kvcache.cache = "draft"},
                    %b4: tensor<4xi64> {kvcache.field = "attention_dispatch_metadata", kvcache.device = 1 : i64, kvcache.cache = "draft"})
    -> (tensor<?xi32>, tensor<4xi64>) {
  return %a1, %b4 : tensor<?xi32>, tensor<4xi64>
}

// -----

// The fields' other attributes go into kvcache.field_attrs on the bundle,
// keyed by field; a missing kvcache.device means device 0.
// CHECK-DAG:   ![[FP8:.*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x128xf8E4M3FN>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, kv_scales: memref<?x2x4x16x2x1xf32>>
// CHECK-LABEL: func.func @field_attrs(
// CHECK-SAME:    %{{[^:]*}}: ![[FP8]] {kvcache.device = 0 : i64, kvcache.field_attrs = {kv_blocks = {test.a = 1 : i32}, kv_scales = {test.b, test.c = "scales"}}})
// CHECK-NEXT:    return
func.func @field_attrs(%blocks: memref<?x2x4x16x2x128xf8E4M3FN> {kvcache.field = "kv_blocks", test.a = 1 : i32},
                       %lens: tensor<?xi32> {kvcache.field = "cache_lengths"},
                       %table: tensor<?x?xi32> {kvcache.field = "lookup_table"},
                       %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths"},
                       %scales: memref<?x2x4x16x2x1xf32> {kvcache.field = "kv_scales", test.b, test.c = "scales"}) {
  return
}

// -----

// Runs separated by other arguments; the calls to a packed private function
// pack their flat operands, and a packed bodiless function changes too.
// CHECK-DAG:   ![[KVT:.*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>
// CHECK-LABEL: func.func private @callee(
// CHECK-SAME:    %[[N:[^:]*]]: index,
// CHECK-SAME:    %[[A:[^:]*]]: ![[KVT]] {kvcache.device = 0 : i64},
// CHECK-SAME:    %[[C:[^:]*]]: i1,
// CHECK-SAME:    %[[B:[^:]*]]: ![[KVT]] {kvcache.device = 1 : i64})
// CHECK-SAME:    -> (memref<?x2x4x16x2x64xbf16>, tensor<?x2xi32>)
// CHECK-DAG:     %[[BLOCKS:.*]] = kvcache.get %[[A]][kv_blocks] : ![[KVT]]
// CHECK-DAG:     %[[MAXLENS:.*]] = kvcache.get %[[B]][max_lengths] : ![[KVT]]
// CHECK:         return %[[BLOCKS]], %[[MAXLENS]]
func.func private @callee(%n: index,
                          %a0: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 0 : i64},
                          %a1: tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 0 : i64},
                          %a2: tensor<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 0 : i64},
                          %a3: tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 0 : i64},
                          %c: i1,
                          %b0: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 1 : i64},
                          %b1: tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 1 : i64},
                          %b2: tensor<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 1 : i64},
                          %b3: tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 1 : i64})
    -> (memref<?x2x4x16x2x64xbf16>, tensor<?x2xi32>) {
  return %a0, %b3 : memref<?x2x4x16x2x64xbf16>, tensor<?x2xi32>
}

// CHECK-LABEL: func.func private @external(
// CHECK-SAME:    ![[KVT]] {kvcache.device = 2 : i64})
func.func private @external(memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks", kvcache.device = 2 : i64},
                            tensor<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 2 : i64},
                            tensor<?x?xi32> {kvcache.field = "lookup_table", kvcache.device = 2 : i64},
                            tensor<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 2 : i64})

// CHECK-LABEL: func.func @caller(
// CHECK-SAME:    %[[P0:[^:]*]]: memref<?x2x4x16x2x64xbf16>, %[[P1:[^:]*]]: tensor<?xi32>, %[[P2:[^:]*]]: tensor<?x?xi32>, %[[P3:[^:]*]]: tensor<?x2xi32>, %[[N:[^:]*]]: index, %[[C:[^:]*]]: i1)
// CHECK-NEXT:    %[[PA:.*]] = kvcache.pack %[[P0]], %[[P1]], %[[P2]], %[[P3]] : ![[KVT]]
// CHECK-NEXT:    %[[PB:.*]] = kvcache.pack %[[P0]], %[[P1]], %[[P2]], %[[P3]] : ![[KVT]]
// CHECK-NEXT:    call @callee(%[[N]], %[[PA]], %[[C]], %[[PB]]) : (index, ![[KVT]], i1, ![[KVT]]) -> (memref<?x2x4x16x2x64xbf16>, tensor<?x2xi32>)
// CHECK-NEXT:    %[[PE:.*]] = kvcache.pack %[[P0]], %[[P1]], %[[P2]], %[[P3]] : ![[KVT]]
// CHECK-NEXT:    call @external(%[[PE]]) : (![[KVT]]) -> ()
func.func @caller(%p0: memref<?x2x4x16x2x64xbf16>, %p1: tensor<?xi32>,
                  %p2: tensor<?x?xi32>, %p3: tensor<?x2xi32>, %n: index, %c: i1) {
  %r:2 = call @callee(%n, %p0, %p1, %p2, %p3, %c, %p0, %p1, %p2, %p3)
      : (index, memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>, i1,
         memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>)
      -> (memref<?x2x4x16x2x64xbf16>, tensor<?x2xi32>)
  call @external(%p0, %p1, %p2, %p3)
      : (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>) -> ()
  return
}

// -----

// Fields used in a later block and in a region: the gets sit in the entry
// block and dominate every use.
// CHECK-LABEL: func.func @uses_in_blocks(
// CHECK-SAME:    %[[KV:[^:]*]]: !{{.*}} {kvcache.device = 0 : i64}, %[[C:[^:]*]]: i1)
// CHECK-NEXT:    %[[LENS:.*]] = kvcache.get %[[KV]][cache_lengths]
// CHECK-NEXT:    cf.cond_br %[[C]], ^bb1, ^bb2
// CHECK:       ^bb1:
// CHECK-NEXT:    return %[[LENS]]
// CHECK:       ^bb2:
// CHECK-NEXT:    scf.execute_region
// CHECK-NEXT:      scf.yield %[[LENS]]
func.func @uses_in_blocks(%blocks: memref<?x2x4x16x2x64xbf16> {kvcache.field = "kv_blocks"},
                          %lens: tensor<?xi32> {kvcache.field = "cache_lengths"},
                          %table: tensor<?x?xi32> {kvcache.field = "lookup_table"},
                          %maxlens: tensor<?x2xi32> {kvcache.field = "max_lengths"},
                          %c: i1) -> tensor<?xi32> {
  cf.cond_br %c, ^a, ^b
^a:
  return %lens : tensor<?xi32>
^b:
  %r = scf.execute_region -> tensor<?xi32> {
    scf.yield %lens : tensor<?xi32>
  }
  return %r : tensor<?xi32>
}

// -----

// Nothing annotated: nothing changes.
// CHECK-LABEL: func.func @plain(%{{.*}}: memref<?x2x4x16x2x64xbf16>, %{{.*}}: tensor<?xi32>)
// CHECK-NOT:     kvcache
func.func @plain(%blocks: memref<?x2x4x16x2x64xbf16>, %lens: tensor<?xi32>) {
  return
}
