// RUN: kvcache-opt %s -split-input-file --allow-unregistered-dialect --kvcache-expand-inputs | FileCheck %s
//
// Operations kvcache-expand-inputs does not know stay as they are: a bundle
// they take is rebuilt from the flat values with kvcache.pack, a bundle they
// define is read with kvcache.get where a rewritten op needs its fields.
// Unflatten still inverts flatten, text for text.
// RUN: kvcache-opt %s -split-input-file --allow-unregistered-dialect --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a -split-input-file --allow-unregistered-dialect --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// Ops of other dialects that take a bundle get a pack too.
// CHECK-LABEL: func.func @unknown_use(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}})
// CHECK-NEXT:    %[[KV:.*]] = kvcache.pack %[[A0]], %[[A1]], %[[A2]], %[[A3]] : !kv
// CHECK-NEXT:    "test.use"(%[[KV]]) : (!kv) -> ()
func.func @unknown_use(%kv: !kv) {
  "test.use"(%kv) : (!kv) -> ()
  return
}

// A bundle that such an op defines is read field by field where a rewritten
// op needs its fields; the gets nothing reads are gone.
// CHECK-LABEL: func.func @unknown_result()
// CHECK-SAME:    -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>)
// CHECK-NEXT:    %[[KV:.*]] = "test.make"() : () -> !kv
// CHECK-NEXT:    %[[F0:.*]] = kvcache.get %[[KV]][kv_blocks] : !kv
// CHECK-NEXT:    %[[F1:.*]] = kvcache.get %[[KV]][cache_lengths] : !kv
// CHECK-NEXT:    %[[F2:.*]] = kvcache.get %[[KV]][lookup_table] : !kv
// CHECK-NEXT:    %[[F3:.*]] = kvcache.get %[[KV]][max_lengths] : !kv
// CHECK-NEXT:    return %[[F0]], %[[F1]], %[[F2]], %[[F3]] :
func.func @unknown_result() -> !kv {
  %kv = "test.make"() : () -> !kv
  return %kv : !kv
}

// CHECK-LABEL: func.func @unknown_result_read()
// CHECK-NEXT:    %[[KV:.*]] = "test.make"() : () -> !kv
// CHECK-NEXT:    %[[T:.*]] = kvcache.get %[[KV]][lookup_table] : !kv
// CHECK-NEXT:    return %[[T]] : tensor<?x?xi32>
func.func @unknown_result_read() -> tensor<?x?xi32> {
  %kv = "test.make"() : () -> !kv
  %t = kvcache.get %kv[lookup_table] : !kv
  return %t : tensor<?x?xi32>
}

// Between two unknown ops nothing changes.
// CHECK-LABEL: func.func @unknown_to_unknown()
// CHECK-NEXT:    %[[KV:.*]] = "test.make"() : () -> !kv
// CHECK-NEXT:    "test.use"(%[[KV]]) : (!kv) -> ()
func.func @unknown_to_unknown() {
  %kv = "test.make"() : () -> !kv
  "test.use"(%kv) : (!kv) -> ()
  return
}

// The region of an unknown op keeps its bundle block argument and its
// terminator; a pack feeds the terminator, a get reads the argument.
// CHECK-LABEL: func.func @unknown_region(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}})
// CHECK-NEXT:    %[[KV:.*]] = kvcache.pack %[[A0]], %[[A1]], %[[A2]], %[[A3]] : !kv
// CHECK-NEXT:    "test.region"() ({
// CHECK-NEXT:    ^bb0(%[[ARG:.*]]: !kv):
// CHECK-NEXT:      %[[T:.*]] = kvcache.get %[[ARG]][lookup_table] : !kv
// CHECK-NEXT:      "test.sink"(%[[T]])
// CHECK-NEXT:      "test.terminator"(%[[KV]]) : (!kv) -> ()
func.func @unknown_region(%kv: !kv) {
  "test.region"() ({
  ^bb0(%arg: !kv):
    %t = kvcache.get %arg[lookup_table] : !kv
    "test.sink"(%t) : (tensor<?x?xi32>) -> ()
    "test.terminator"(%kv) : (!kv) -> ()
  }) : () -> ()
  return
}

// Branches in such a region stay, with the block arguments they feed.
// CHECK-LABEL: func.func @branch_in_unknown_region(
// CHECK:         %[[KV:.*]] = kvcache.pack
// CHECK-NEXT:    "test.region"() ({
// CHECK-NEXT:      cf.cond_br %{{.*}}, ^bb1(%[[KV]] : !kv), ^bb2
// CHECK-NEXT:    ^bb1(%[[X:.*]]: !kv):
// CHECK-NEXT:      "test.use"(%[[X]]) : (!kv) -> ()
func.func @branch_in_unknown_region(%kv: !kv, %c: i1) {
  "test.region"() ({
    cf.cond_br %c, ^bb1(%kv : !kv), ^bb2
  ^bb1(%x: !kv):
    "test.use"(%x) : (!kv) -> ()
    "test.terminator"() : () -> ()
  ^bb2:
    "test.terminator"() : () -> ()
  }) : () -> ()
  return
}

// Structured control flow the pass does not rewrite is an unknown op too.
// CHECK-LABEL: func.func @index_switch(
// CHECK:         %[[KV:.*]] = kvcache.pack
// CHECK-NEXT:    %[[R:.*]] = scf.index_switch %{{.*}} -> !kv
// CHECK-NEXT:    default {
// CHECK-NEXT:      scf.yield %[[KV]] : !kv
// CHECK-NEXT:    }
// CHECK-NEXT:    %[[F0:.*]] = kvcache.get %[[R]][kv_blocks] : !kv
// CHECK:         return %[[F0]],
func.func @index_switch(%kv: !kv, %i: index) -> !kv {
  %r = scf.index_switch %i -> !kv
  default {
    scf.yield %kv : !kv
  }
  return %r : !kv
}

// A pack written by hand that an unknown op takes: the pack is rebuilt.
// CHECK-LABEL: func.func @own_pack(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<?x2x4x16x2x64xbf16>, %[[A1:[^:]*]]: tensor<?xi32>, %[[A2:[^:]*]]: tensor<?x?xi32>, %[[A3:[^:]*]]: tensor<?x2xi32>)
// CHECK-NEXT:    %[[KV:.*]] = kvcache.pack %[[A0]], %[[A1]], %[[A2]], %[[A3]] : !kv
// CHECK-NEXT:    "test.use"(%[[KV]]) : (!kv) -> ()
func.func @own_pack(%a: memref<?x2x4x16x2x64xbf16>, %b: tensor<?xi32>,
                    %c: tensor<?x?xi32>, %d: tensor<?x2xi32>) {
  %kv = kvcache.pack %a, %b, %c, %d : !kv
  "test.use"(%kv) : (!kv) -> ()
  return
}
