// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs | FileCheck %s

// The property that ties flatten and unflatten together: packing the flat
// module and expanding it again gives the flat module back, text for text.
// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a -split-input-file --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b

// Field types are all different, so that the flat signatures show the order.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>>

// CHECK-LABEL: func.func @empty()
// CHECK-NEXT:    return
func.func @empty() {
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>>

// A bundle argument becomes its fields in ABI order, device 0 of the unnamed
// cache; kvcache.get becomes the field.
// CHECK-LABEL: func.func @argument(
// CHECK-SAME:    %[[BLOCKS:.*]]: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[LENS:.*]]: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %[[TABLE:.*]]: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %[[MAXLENS:.*]]: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %[[META:.*]]: tensor<4xi64> {kvcache.device = 0 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %[[X:.*]]: i32)
// CHECK-SAME:    -> (tensor<?x?xi32>, i32)
// CHECK-NOT:     kvcache.
// CHECK:         return %[[TABLE]], %[[X]] : tensor<?x?xi32>, i32
func.func @argument(%kv: !kv, %x: i32) -> (tensor<?x?xi32>, i32) {
  %table = kvcache.get %kv[lookup_table] : !kv
  return %table, %x : tensor<?x?xi32>, i32
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>>

// A bundle argument hands its kvcache.device and kvcache.cache to its fields,
// its other attributes to every field, and each entry of kvcache.field_attrs
// back to its field. Attributes of other arguments and of results stay.
// CHECK-LABEL: func.func @attributes(
// CHECK-SAME:    %{{.*}}: i1 {test.flag},
// CHECK-SAME:    %{{.*}}: memref<?x2x4x16x2x64xbf16> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "kv_blocks", test.shared = 1 : i32},
// CHECK-SAME:    %{{.*}}: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "cache_lengths", test.shared = 1 : i32},
// CHECK-SAME:    %{{.*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "lookup_table", test.own = "table", test.shared = 1 : i32},
// CHECK-SAME:    %{{.*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "max_lengths", test.shared = 1 : i32},
// CHECK-SAME:    %{{.*}}: tensor<4xi64> {kvcache.cache = "draft", kvcache.device = 5 : i64, kvcache.field = "attention_dispatch_metadata", test.own = "metadata", test.shared = 1 : i32})
// CHECK-SAME:    -> (i1 {test.result})
func.func @attributes(%flag: i1 {test.flag},
                      %kv: !kv {kvcache.device = 5 : i64,
                                kvcache.cache = "draft",
                                test.shared = 1 : i32,
                                kvcache.field_attrs = {
                                  lookup_table = {test.own = "table"},
                                  attention_dispatch_metadata = {test.own = "metadata"}}})
    -> (i1 {test.result}) {
  return %flag : i1
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// Private and public functions, calls, call results and returns.
// CHECK-LABEL: func.func private @callee(
// CHECK-SAME:    %[[A0:.*]]: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[A1:.*]]: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %[[A2:.*]]: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %[[A3:.*]]: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"})
// CHECK-SAME:    -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>)
// CHECK:         return %[[A0]], %[[A1]], %[[A2]], %[[A3]]
func.func private @callee(%kv: !kv) -> !kv {
  return %kv : !kv
}

// CHECK-LABEL: func.func @caller(
// CHECK-SAME:    %[[B0:[^:]*]]: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[B1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[B2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[B3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}})
// CHECK-SAME:    -> tensor<?xi32>
// CHECK:         %[[R:.*]]:4 = call @callee(%[[B0]], %[[B1]], %[[B2]], %[[B3]])
// CHECK-SAME:      : (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>) -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>)
// CHECK:         return %[[R]]#1 : tensor<?xi32>
func.func @caller(%kv: !kv) -> tensor<?xi32> {
  %r = call @callee(%kv) : (!kv) -> !kv
  %lens = kvcache.get %r[cache_lengths] : !kv
  return %lens : tensor<?xi32>
}

// A bodiless function's signature is expanded and annotated too.
// CHECK-LABEL: func.func private @external(
// CHECK-SAME:    memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"})
// CHECK-SAME:    -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>)
func.func private @external(!kv) -> !kv

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// An unused bundle still becomes its fields: the flat signature is the ABI.
// CHECK-LABEL: func.func @unused(
// CHECK-SAME:    memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"})
// CHECK-NEXT:    return
func.func @unused(%kv: !kv) {
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// One bundle in two result positions: its fields twice, in order.
// CHECK-LABEL: func.func @returned_twice(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}})
// CHECK-SAME:    -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>, memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>)
// CHECK:         return %[[A0]], %[[A1]], %[[A2]], %[[A3]], %[[A0]], %[[A1]], %[[A2]], %[[A3]] :
func.func @returned_twice(%kv: !kv) -> (!kv, !kv) {
  return %kv, %kv : !kv, !kv
}

// Two bundles in one signature, returned swapped.
// CHECK-LABEL: func.func @two_bundles(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}},
// CHECK-SAME:    %[[B0:[^:]*]]: memref<{{[^>]*}}> {kvcache.device = 1 : i64, kvcache.field = "kv_blocks"}, %[[B1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[B2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[B3:[^:]*]]: tensor<?x2xi32> {kvcache.device = 1 : i64, kvcache.field = "max_lengths"})
// CHECK:         return %[[B0]], %[[B1]], %[[B2]], %[[B3]], %[[A0]], %[[A1]], %[[A2]], %[[A3]] :
func.func @two_bundles(%a: !kv, %b: !kv {kvcache.device = 1 : i64}) -> (!kv, !kv) {
  return %b, %a : !kv, !kv
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// Recursion: the call and the signature change together.
// CHECK-LABEL: func.func private @recursive(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[N:[^:]*]]: i32)
// CHECK:         %[[R:.*]]:4 = call @recursive(%[[A0]], %[[A1]], %[[A2]], %[[A3]], %[[N]])
// CHECK:         return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3 :
func.func private @recursive(%kv: !kv, %n: i32) -> !kv {
  %r = call @recursive(%kv, %n) : (!kv, i32) -> !kv
  return %r : !kv
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// cf.cond_br and the arguments of a non-entry block; a get in that block.
// CHECK-LABEL: func.func @cond_br(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[C:[^:]*]]: i1)
// CHECK:         cf.cond_br %[[C]], ^[[T:bb[0-9]+]](%[[A0]], %[[A1]], %[[A2]], %[[A3]] : {{.*}}), ^[[F:bb[0-9]+]]
// CHECK:       ^[[T]](%{{.*}}: memref<?x2x4x16x2x64xbf16>, %[[T1:[^:]*]]: tensor<?xi32>, %{{.*}}: tensor<?x?xi32>, %{{.*}}: tensor<?x2xi32>):
// CHECK-NEXT:    return %[[T1]] : tensor<?xi32>
// CHECK:       ^[[F]]:
// CHECK-NEXT:    return %[[A1]] : tensor<?xi32>
func.func @cond_br(%kv: !kv, %c: i1) -> tensor<?xi32> {
  cf.cond_br %c, ^then(%kv : !kv), ^else
^then(%t: !kv):
  %lens = kvcache.get %t[cache_lengths] : !kv
  return %lens : tensor<?xi32>
^else:
  %lens2 = kvcache.get %kv[cache_lengths] : !kv
  return %lens2 : tensor<?xi32>
}

// cf.br around a loop: the bundle is a block argument of the loop header.
// CHECK-LABEL: func.func @br_loop(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[C:[^:]*]]: i1)
// CHECK:         cf.br ^[[H:bb[0-9]+]](%[[A0]], %[[A1]], %[[A2]], %[[A3]] : memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>)
// CHECK:       ^[[H]](%[[H0:[^:]*]]: memref<{{[^>]*}}>, %[[H1:[^:]*]]: tensor<?xi32>, %[[H2:[^:]*]]: tensor<?x?xi32>, %[[H3:[^:]*]]: tensor<?x2xi32>):
// CHECK-NEXT:    cf.cond_br %[[C]], ^[[H]](%[[H0]], %[[H1]], %[[H2]], %[[H3]] : {{.*}}), ^[[X:bb[0-9]+]]
// CHECK:       ^[[X]]:
// CHECK-NEXT:    return %[[H0]], %[[H1]], %[[H2]], %[[H3]] :
func.func @br_loop(%kv: !kv, %c: i1) -> !kv {
  cf.br ^header(%kv : !kv)
^header(%h: !kv):
  cf.cond_br %c, ^header(%h : !kv), ^exit
^exit:
  return %h : !kv
}

// cf.switch: the default and every case forward the fields.
// CHECK-LABEL: func.func @switch(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[FLAG:[^:]*]]: i32)
// CHECK:         cf.switch %[[FLAG]] : i32, [
// CHECK-NEXT:      default: ^[[D:bb[0-9]+]](%[[A0]], %[[A1]], %[[A2]], %[[A3]] : {{.*}}),
// CHECK-NEXT:      0: ^[[Z:bb[0-9]+]](%[[A0]], %[[A1]], %[[A2]], %[[A3]] : {{.*}}),
// CHECK-NEXT:      1: ^[[O:bb[0-9]+]]
// CHECK-NEXT:    ]
// CHECK:       ^[[Z]](%{{.*}}: memref<{{[^>]*}}>, %[[Z1:[^:]*]]: tensor<?xi32>, %{{.*}}: tensor<?x?xi32>, %{{.*}}: tensor<?x2xi32>):
// CHECK-NEXT:    return %[[Z1]] : tensor<?xi32>
// CHECK:       ^[[O]]:
// CHECK-NEXT:    return %[[A1]] : tensor<?xi32>
// CHECK:       ^[[D]](%{{.*}}: memref<{{[^>]*}}>, %{{.*}}: tensor<?xi32>, %[[D2:[^:]*]]: tensor<?x?xi32>, %{{.*}}: tensor<?x2xi32>):
// CHECK:         tensor.dim %[[D2]]
func.func @switch(%kv: !kv, %flag: i32) -> tensor<?xi32> {
  cf.switch %flag : i32, [
    default: ^default(%kv : !kv),
    0: ^zero(%kv : !kv),
    1: ^one
  ]
^zero(%z: !kv):
  %lens = kvcache.get %z[cache_lengths] : !kv
  return %lens : tensor<?xi32>
^one:
  %lens1 = kvcache.get %kv[cache_lengths] : !kv
  return %lens1 : tensor<?xi32>
^default(%d: !kv):
  %table = kvcache.get %d[lookup_table] : !kv
  %c0 = arith.constant 0 : index
  %n = tensor.dim %table, %c0 : tensor<?x?xi32>
  %empty = tensor.empty(%n) : tensor<?xi32>
  return %empty : tensor<?xi32>
}

// Operations in unreachable blocks are not legalized by the conversion
// driver, so the pass erases those blocks rather than leave a cast behind.
// CHECK-LABEL: func.func @unreachable(
// CHECK-SAME:    %{{.*}}: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %{{.*}}: tensor<?x?xi32> {kvcache{{[^}]*}}}, %{{.*}}: tensor<?x2xi32> {kvcache{{[^}]*}}})
// CHECK-NEXT:    return %[[A1]] : tensor<?xi32>
// CHECK-NEXT:  }
func.func @unreachable(%kv: !kv) -> tensor<?xi32> {
  %lens = kvcache.get %kv[cache_lengths] : !kv
  return %lens : tensor<?xi32>
^dead(%k: !kv):
  %lens2 = kvcache.get %k[cache_lengths] : !kv
  cf.br ^dead(%k : !kv)
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// scf.if results and yields.
// CHECK-LABEL: func.func @if(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}},
// CHECK-SAME:    %[[B0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[B1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[B2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[B3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[C:[^:]*]]: i1)
// CHECK:         %[[R:.*]]:4 = scf.if %[[C]] -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>) {
// CHECK-NEXT:      scf.yield %[[A0]], %[[A1]], %[[A2]], %[[A3]] :
// CHECK-NEXT:    } else {
// CHECK-NEXT:      scf.yield %[[B0]], %[[B1]], %[[B2]], %[[B3]] :
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[R]]#2 : tensor<?x?xi32>
func.func @if(%a: !kv, %b: !kv, %c: i1) -> tensor<?x?xi32> {
  %r = scf.if %c -> !kv {
    scf.yield %a : !kv
  } else {
    scf.yield %b : !kv
  }
  %table = kvcache.get %r[lookup_table] : !kv
  return %table : tensor<?x?xi32>
}

// scf.for iter_args, the loop body's arguments, yields and results.
// CHECK-LABEL: func.func @for(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}},
// CHECK-SAME:    %[[B0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[B1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[B2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[B3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[N:[^:]*]]: index)
// CHECK:         %[[R:.*]]:5 = scf.for %{{.*}} = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[I0:.*]] = %[[A0]], %[[I1:.*]] = %[[A1]], %[[I2:.*]] = %[[A2]], %[[I3:.*]] = %[[A3]], %[[ACC:.*]] = %{{.*}}) -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>, index) {
// CHECK:           scf.yield %[[B0]], %[[B1]], %[[B2]], %[[B3]], %{{.*}} :
// CHECK:         return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3, %[[R]]#4 :
func.func @for(%a: !kv, %b: !kv, %n: index) -> (!kv, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%it = %a, %acc = %c0) -> (!kv, index) {
    %next = arith.addi %acc, %i : index
    scf.yield %b, %next : !kv, index
  }
  return %r#0, %r#1 : !kv, index
}

// scf.while: inits, the arguments of both regions, condition, yield, results.
// CHECK-LABEL: func.func @while(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[N:[^:]*]]: index)
// CHECK:         %[[R:.*]]:5 = scf.while (%[[W0:[^ ]*]] = %[[A0]], %[[W1:[^ ]*]] = %[[A1]], %[[W2:[^ ]*]] = %[[A2]], %[[W3:[^ ]*]] = %[[A3]], %[[I:[^ ]*]] = %{{.*}}) : (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>, index) -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>, index) {
// CHECK:           scf.condition(%{{.*}}) %[[W0]], %[[W1]], %[[W2]], %[[W3]], %[[I]] :
// CHECK-NEXT:    } do {
// CHECK-NEXT:    ^bb0(%[[D0:[^:]*]]: memref<{{[^>]*}}>, %[[D1:[^:]*]]: tensor<?xi32>, %[[D2:[^:]*]]: tensor<?x?xi32>, %[[D3:[^:]*]]: tensor<?x2xi32>, %[[J:[^:]*]]: index):
// CHECK:           scf.yield %[[D0]], %[[D1]], %[[D2]], %[[D3]], %{{.*}} :
// CHECK:         return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3 :
func.func @while(%kv: !kv, %n: index) -> !kv {
  %c0 = arith.constant 0 : index
  %r:2 = scf.while (%w = %kv, %i = %c0) : (!kv, index) -> (!kv, index) {
    %more = arith.cmpi slt, %i, %n : index
    scf.condition(%more) %w, %i : !kv, index
  } do {
  ^bb0(%d: !kv, %j: index):
    %c1 = arith.constant 1 : index
    %next = arith.addi %j, %c1 : index
    scf.yield %d, %next : !kv, index
  }
  return %r#0 : !kv
}

// scf.execute_region, with one block and with several.
// CHECK-LABEL: func.func @execute_region(
// CHECK-SAME:    %[[A0:[^:]*]]: memref<{{[^>]*}}> {kvcache{{[^}]*}}}, %[[A1:[^:]*]]: tensor<?xi32> {kvcache{{[^}]*}}}, %[[A2:[^:]*]]: tensor<?x?xi32> {kvcache{{[^}]*}}}, %[[A3:[^:]*]]: tensor<?x2xi32> {kvcache{{[^}]*}}}, %[[C:[^:]*]]: i1)
// CHECK:         %[[R:.*]]:4 = scf.execute_region -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>) {
// CHECK-NEXT:      scf.yield %[[A0]], %[[A1]], %[[A2]], %[[A3]] :
// CHECK-NEXT:    }
// CHECK:         %[[S:.*]]:4 = scf.execute_region -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>) {
// CHECK-NEXT:      cf.cond_br %[[C]], ^bb1(%[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3 : {{.*}}), ^bb2
// CHECK-NEXT:    ^bb1(%[[E0:[^:]*]]: memref<{{[^>]*}}>, %[[E1:[^:]*]]: tensor<?xi32>, %[[E2:[^:]*]]: tensor<?x?xi32>, %[[E3:[^:]*]]: tensor<?x2xi32>):
// CHECK-NEXT:      scf.yield %[[E0]], %[[E1]], %[[E2]], %[[E3]] :
// CHECK-NEXT:    ^bb2:
// CHECK-NEXT:      scf.yield %[[A0]], %[[A1]], %[[A2]], %[[A3]] :
// CHECK-NEXT:    }
// CHECK-NEXT:    return %[[S]]#0, %[[S]]#1, %[[S]]#2, %[[S]]#3 :
func.func @execute_region(%kv: !kv, %c: i1) -> !kv {
  %r = scf.execute_region -> !kv {
    scf.yield %kv : !kv
  }
  %s = scf.execute_region -> !kv {
    cf.cond_br %c, ^then(%r : !kv), ^else
  ^then(%e: !kv):
    scf.yield %e : !kv
  ^else:
    scf.yield %kv : !kv
  }
  return %s : !kv
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>

// kvcache.pack disappears: its operands are the fields.
// CHECK-LABEL: func.func @pack(
// CHECK-SAME:    %[[A:[^:]*]]: memref<{{[^>]*}}>, %[[B:[^:]*]]: tensor<?xi32>, %[[C:[^:]*]]: tensor<?x?xi32>, %[[D:[^:]*]]: tensor<?x2xi32>)
// CHECK-SAME:    -> (memref<?x2x4x16x2x64xbf16>, tensor<?xi32>, tensor<?x?xi32>, tensor<?x2xi32>, tensor<?x?xi32>)
// CHECK-NOT:     kvcache.
// CHECK:         return %[[A]], %[[B]], %[[C]], %[[D]], %[[C]] :
func.func @pack(%a: memref<?x2x4x16x2x64xbf16>, %b: tensor<?xi32>,
                %c: tensor<?x?xi32>, %d: tensor<?x2xi32>) -> (!kv, tensor<?x?xi32>) {
  %kv = kvcache.pack %a, %b, %c, %d : !kv
  %table = kvcache.get %kv[lookup_table] : !kv
  return %kv, %table : !kv, tensor<?x?xi32>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>>
!fp8 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x128xf8E4M3FN>,
                       cache_lengths: tensor<?xi32>,
                       lookup_table: tensor<?x?xi32>,
                       max_lengths: tensor<?x2xi32>,
                       kv_scales: memref<?x2x4x16x2x1xf32>>

// Declarations become arguments appended after the existing ones: caches in
// the order of their first declaration (here the unnamed cache, then
// "draft"), devices ascending within a cache, fields in ABI order. Two
// declarations of the same cache and device share one set of arguments, also
// when one is nested in a region.
// CHECK-LABEL: func.func @declarations(
// CHECK-SAME:    %[[X:[^:]*]]: i32 {test.kept},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[D0LENS:[^:]*]]: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x4x16x2x64xbf16> {kvcache.device = 2 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[D2LENS:[^:]*]]: tensor<?xi32> {kvcache.device = 2 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 2 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 2 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x4x16x2x128xf8E4M3FN> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[DRAFTLENS:[^:]*]]: tensor<?xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x4x16x2x1xf32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "kv_scales"})
// CHECK-SAME:    -> (tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>)
// CHECK:         %[[R:.*]] = scf.if
// CHECK-NEXT:      scf.yield %[[D2LENS]]
// CHECK:         return %[[D2LENS]], %[[D0LENS]], %[[DRAFTLENS]], %[[D2LENS]], %[[R]] :
func.func @declarations(%x: i32 {test.kept}, %c: i1)
    -> (tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>) {
  %d2 = kvcache.inputs_per_device device(2) : !kv
  %draft = kvcache.inputs_per_device device(1) cache("draft") : !fp8
  %d0 = kvcache.inputs_per_device device(0) : !kv
  %again = kvcache.inputs_per_device device(2) : !kv
  %r = scf.if %c -> tensor<?xi32> {
    %nested = kvcache.inputs_per_device device(2) : !kv
    %l = kvcache.get %nested[cache_lengths] : !kv
    scf.yield %l : tensor<?xi32>
  } else {
    %l = kvcache.get %d0[cache_lengths] : !kv
    scf.yield %l : tensor<?xi32>
  }
  %l2 = kvcache.get %d2[cache_lengths] : !kv
  %l0 = kvcache.get %d0[cache_lengths] : !kv
  %ld = kvcache.get %draft[cache_lengths] : !fp8
  %la = kvcache.get %again[cache_lengths] : !kv
  return %l2, %l0, %ld, %la, %r : tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>, tensor<?xi32>
}

// A function with bundle arguments and declarations: the flat bundle
// arguments stay in place, the declarations come after every argument.
// CHECK-LABEL: func.func @arguments_and_declarations(
// CHECK-SAME:    %{{[^:]*}}: memref<{{[^>]*}}> {kvcache.device = 3 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 3 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 3 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 3 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: index,
// CHECK-SAME:    %{{[^:]*}}: memref<{{[^>]*}}> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"})
// CHECK-NEXT:    return
func.func @arguments_and_declarations(%kv: !kv {kvcache.device = 3 : i64}, %n: index) {
  %d0 = kvcache.inputs_per_device device(0) : !kv
  return
}
