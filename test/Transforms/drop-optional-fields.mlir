// RUN: kvcache-opt %s -split-input-file --kvcache-drop-optional-fields | FileCheck %s
// RUN: kvcache-opt %s -split-input-file --kvcache-drop-optional-fields=public-functions=true | FileCheck %s --check-prefix=PUBLIC

// The flatten/unflatten property holds on these modules too.
// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a -split-input-file --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b

// Field types are all different, so that the bundle types show what is kept.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>,
                      draft_attention_dispatch_metadata: tensor<4xi64>>

// Through calls and branches: @reads_metadata reads the metadata in one
// successor, so the class of its argument and both block arguments keeps it;
// @reads_lengths reads only a required field; @forwards passes its bundle
// on, through @forwards2, to @reads_metadata and keeps what that needs. The public @entry keeps its
// signature and converts at the call with get + pack.
// CHECK-DAG:   ![[REQ:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// CHECK-DAG:   ![[META:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-DAG:   ![[FULL:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>, draft_attention_dispatch_metadata: tensor<4xi64>>{{$}}

// CHECK-LABEL: func.func private @reads_metadata(
// CHECK-SAME:    %[[KV:.*]]: ![[META]], %[[C:.*]]: i1)
// CHECK-NEXT:    cf.cond_br %[[C]], ^bb1(%[[KV]] : ![[META]]), ^bb2(%[[KV]] : ![[META]])
// CHECK-NEXT:  ^bb1(%[[T:.*]]: ![[META]]):
// CHECK-NEXT:    kvcache.get %[[T]][attention_dispatch_metadata] : ![[META]]
// CHECK:       ^bb2(%[[E:.*]]: ![[META]]):
// CHECK-NEXT:    %[[F0:.*]] = kvcache.get %[[E]][kv_blocks] : ![[META]]
// CHECK-NEXT:    %[[F1:.*]] = kvcache.get %[[E]][cache_lengths] : ![[META]]
// CHECK-NEXT:    %[[F2:.*]] = kvcache.get %[[E]][lookup_table] : ![[META]]
// CHECK-NEXT:    %[[F3:.*]] = kvcache.get %[[E]][max_lengths] : ![[META]]
// CHECK-NEXT:    %[[P:.*]] = kvcache.pack %[[F0]], %[[F1]], %[[F2]], %[[F3]] : ![[REQ]]
// CHECK-NEXT:    call @reads_lengths(%[[P]]) : (![[REQ]]) -> tensor<?xi32>
func.func private @reads_metadata(%kv: !kv, %c: i1) -> tensor<4xi64> {
  cf.cond_br %c, ^then(%kv : !kv), ^else(%kv : !kv)
^then(%t: !kv):
  %meta = kvcache.get %t[attention_dispatch_metadata] : !kv
  return %meta : tensor<4xi64>
^else(%e: !kv):
  %lens = call @reads_lengths(%e) : (!kv) -> tensor<?xi32>
  %meta2 = kvcache.get %e[attention_dispatch_metadata] : !kv
  return %meta2 : tensor<4xi64>
}

// CHECK-LABEL: func.func private @reads_lengths(
// CHECK-SAME:    %{{.*}}: ![[REQ]]) -> tensor<?xi32>
func.func private @reads_lengths(%kv: !kv) -> tensor<?xi32> {
  %lens = kvcache.get %kv[cache_lengths] : !kv
  return %lens : tensor<?xi32>
}

// CHECK-LABEL: func.func private @forwards(
// CHECK-SAME:    %[[KV:.*]]: ![[META]], %{{.*}}: i1)
// CHECK-NEXT:    call @forwards2(%[[KV]], %{{.*}}) : (![[META]], i1) -> tensor<4xi64>
func.func private @forwards(%kv: !kv, %c: i1) -> tensor<4xi64> {
  %meta = call @forwards2(%kv, %c) : (!kv, i1) -> tensor<4xi64>
  return %meta : tensor<4xi64>
}

func.func private @forwards2(%kv: !kv, %c: i1) -> tensor<4xi64> {
  %meta = call @reads_metadata(%kv, %c) : (!kv, i1) -> tensor<4xi64>
  return %meta : tensor<4xi64>
}

// CHECK-LABEL: func.func @entry(
// CHECK-SAME:    %[[KV:.*]]: ![[FULL]], %{{.*}}: i1)
// CHECK-NEXT:    %[[F0:.*]] = kvcache.get %[[KV]][kv_blocks] : ![[FULL]]
// CHECK-NEXT:    %[[F1:.*]] = kvcache.get %[[KV]][cache_lengths] : ![[FULL]]
// CHECK-NEXT:    %[[F2:.*]] = kvcache.get %[[KV]][lookup_table] : ![[FULL]]
// CHECK-NEXT:    %[[F3:.*]] = kvcache.get %[[KV]][max_lengths] : ![[FULL]]
// CHECK-NEXT:    %[[F5:.*]] = kvcache.get %[[KV]][attention_dispatch_metadata] : ![[FULL]]
// CHECK-NEXT:    %[[P:.*]] = kvcache.pack %[[F0]], %[[F1]], %[[F2]], %[[F3]], %[[F5]] : ![[META]]
// CHECK-NEXT:    call @forwards(%[[P]], %{{.*}}) : (![[META]], i1) -> tensor<4xi64>

// With public-functions=true the public signature is pruned too, and the
// call needs no conversion.
// PUBLIC-DAG:   ![[PMETA:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>>{{$}}
// PUBLIC-LABEL: func.func @entry(
// PUBLIC-SAME:    %[[KV:.*]]: ![[PMETA]], %{{.*}}: i1)
// PUBLIC-NEXT:    call @forwards(%[[KV]], %{{.*}}) : (![[PMETA]], i1) -> tensor<4xi64>
func.func @entry(%kv: !kv, %c: i1) -> tensor<4xi64> {
  %meta = call @forwards(%kv, %c) : (!kv, i1) -> tensor<4xi64>
  return %meta : tensor<4xi64>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>,
                      draft_attention_dispatch_metadata: tensor<4xi64>>

// A kept public callee and a bodiless callee keep their signatures, so the
// private functions that pass them their bundle keep every field: nothing
// here changes.
// CHECK-DAG:   ![[FULL:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>, draft_attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-LABEL: func.func @public_callee(
// CHECK-SAME:    %{{.*}}: ![[FULL]])
// CHECK-LABEL: func.func private @external(
// CHECK-SAME:    ![[FULL]])
// CHECK-LABEL: func.func private @calls_public(
// CHECK-SAME:    %[[KV:.*]]: ![[FULL]])
// CHECK-NEXT:    call @public_callee(%[[KV]]) : (![[FULL]]) -> ()
// CHECK-LABEL: func.func private @calls_external(
// CHECK-SAME:    %[[KV:.*]]: ![[FULL]])
// CHECK-NEXT:    call @external(%[[KV]]) : (![[FULL]]) -> ()
// CHECK-LABEL: func.func @entry(
// CHECK-SAME:    %[[KV:.*]]: ![[FULL]])
// CHECK-NEXT:    call @calls_public(%[[KV]])
// CHECK-NEXT:    call @calls_external(%[[KV]])
// CHECK-NOT:     kvcache.pack

// With public-functions=true only the bodiless callee pins its callers.
// PUBLIC-DAG:   ![[PREQ:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// PUBLIC-DAG:   ![[PFULL:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>, draft_attention_dispatch_metadata: tensor<4xi64>>{{$}}
// PUBLIC-LABEL: func.func @public_callee(
// PUBLIC-SAME:    %{{.*}}: ![[PREQ]])
// PUBLIC-LABEL: func.func private @external(
// PUBLIC-SAME:    ![[PFULL]])
// PUBLIC-LABEL: func.func private @calls_public(
// PUBLIC-SAME:    %{{.*}}: ![[PREQ]])
// PUBLIC-LABEL: func.func private @calls_external(
// PUBLIC-SAME:    %{{.*}}: ![[PFULL]])
// PUBLIC-LABEL: func.func @entry(
// PUBLIC-SAME:    %{{.*}}: ![[PFULL]])
func.func @public_callee(%kv: !kv) {
  return
}

func.func private @external(!kv)

func.func private @calls_public(%kv: !kv) {
  call @public_callee(%kv) : (!kv) -> ()
  return
}

func.func private @calls_external(%kv: !kv) {
  call @external(%kv) : (!kv) -> ()
  return
}

func.func @entry(%kv: !kv) {
  call @calls_public(%kv) : (!kv) -> ()
  call @calls_external(%kv) : (!kv) -> ()
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>,
                      draft_attention_dispatch_metadata: tensor<4xi64>>

// Structured and unstructured control flow link values into one class:
// scf.if (which joins %kv and %other), scf.for, scf.while,
// scf.execute_region and cf.switch; one read at the end keeps the field in
// all of them.
// CHECK-DAG:   ![[REQ:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// CHECK-DAG:   ![[META:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-LABEL: func.func private @regions(
// CHECK-SAME:    %{{.*}}: ![[META]], %{{.*}}: ![[META]], %{{.*}}: i1, %{{.*}}: index, %{{.*}}: i32)
// CHECK:         scf.if %{{.*}} -> (![[META]])
// CHECK:         scf.for {{.*}} -> (![[META]])
// CHECK-NEXT:      scf.yield %{{.*}} : ![[META]]
// CHECK:         scf.while ({{.*}}) : (![[META]], index) -> (![[META]], index)
// CHECK:           scf.condition(%{{.*}}) %{{.*}}, %{{.*}} : ![[META]], index
// CHECK:         ^bb0(%{{.*}}: ![[META]], %{{.*}}: index):
// CHECK:           scf.yield %{{.*}}, %{{.*}} : ![[META]], index
// CHECK:         scf.execute_region -> ![[META]]
// CHECK-NEXT:      scf.yield %{{.*}} : ![[META]]
// CHECK:         cf.br ^bb1(%{{.*}} : ![[META]])
// CHECK:       ^bb1(%{{.*}}: ![[META]]):
// CHECK-NEXT:    cf.switch
// CHECK-NEXT:      default: ^bb3(%{{.*}} : ![[META]]),
// CHECK-NEXT:      0: ^bb2(%{{.*}} : ![[META]])
// CHECK:       ^bb2(%{{.*}}: ![[META]]):
// CHECK:       ^bb3(%{{.*}}: ![[META]]):
func.func private @regions(%kv: !kv, %other: !kv, %c: i1, %n: index, %flag: i32) -> tensor<4xi64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %if = scf.if %c -> !kv {
    scf.yield %kv : !kv
  } else {
    scf.yield %other : !kv
  }
  %for = scf.for %i = %c0 to %n step %c1 iter_args(%it = %if) -> !kv {
    scf.yield %it : !kv
  }
  %while:2 = scf.while (%w = %for, %i = %c0) : (!kv, index) -> (!kv, index) {
    %more = arith.cmpi slt, %i, %n : index
    scf.condition(%more) %w, %i : !kv, index
  } do {
  ^bb0(%d: !kv, %j: index):
    %next = arith.addi %j, %c1 : index
    scf.yield %d, %next : !kv, index
  }
  %exec = scf.execute_region -> !kv {
    scf.yield %while#0 : !kv
  }
  // LLVM 22's cf.switch parser rejects result numbers (%r#0) among its
  // operands, so the switch forwards a block argument: the expanded module
  // must parse again.
  cf.br ^dispatch(%exec : !kv)
^dispatch(%x: !kv):
  cf.switch %flag : i32, [
    default: ^default(%x : !kv),
    0: ^zero(%x : !kv)
  ]
^zero(%z: !kv):
  %meta = kvcache.get %z[attention_dispatch_metadata] : !kv
  return %meta : tensor<4xi64>
^default(%dd: !kv):
  %meta2 = kvcache.get %dd[attention_dispatch_metadata] : !kv
  return %meta2 : tensor<4xi64>
}

// Nothing read: only the required fields remain, in the region too.
// CHECK-LABEL: func.func private @reads_nothing(
// CHECK-SAME:    %{{.*}}: ![[REQ]], %{{.*}}: i1)
// CHECK-NEXT:    scf.if %{{.*}} -> (![[REQ]])
func.func private @reads_nothing(%kv: !kv, %c: i1) -> i1 {
  %r = scf.if %c -> !kv {
    scf.yield %kv : !kv
  } else {
    scf.yield %kv : !kv
  }
  return %c : i1
}

func.func @entry(%kv: !kv, %other: !kv, %c: i1, %n: index, %flag: i32) -> tensor<4xi64> {
  %meta = call @regions(%kv, %other, %c, %n, %flag) : (!kv, !kv, i1, index, i32) -> tensor<4xi64>
  %b = call @reads_nothing(%other, %c) : (!kv, i1) -> i1
  return %meta : tensor<4xi64>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>,
                      draft_attention_dispatch_metadata: tensor<4xi64>>

// Recursion, a bundle returned twice, two bundles in one signature and an
// unused bundle. @twice returns its argument in two positions that the
// caller reads differently: its one class keeps what either needs, and the
// call converts each result to what its own uses need.
// CHECK-DAG:   ![[REQ:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// CHECK-DAG:   ![[META:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-DAG:   ![[DRAFT:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, draft_attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-DAG:   ![[FULL:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>, draft_attention_dispatch_metadata: tensor<4xi64>>{{$}}

// The argument is never read; the result is another call's result, which the
// caller needs in full.
// CHECK-LABEL: func.func private @recursive(
// CHECK-SAME:    %[[KV:.*]]: ![[REQ]], %[[N:.*]]: i32) -> ![[FULL]]
// CHECK-NEXT:    call @recursive(%[[KV]], %[[N]]) : (![[REQ]], i32) -> ![[FULL]]
func.func private @recursive(%kv: !kv, %n: i32) -> !kv {
  %r = call @recursive(%kv, %n) : (!kv, i32) -> !kv
  return %r : !kv
}

// CHECK-LABEL: func.func private @twice(
// CHECK-SAME:    %[[KV:.*]]: ![[FULL]]) -> (![[FULL]], ![[FULL]])
// CHECK-NEXT:    return %[[KV]], %[[KV]] : ![[FULL]], ![[FULL]]
func.func private @twice(%kv: !kv) -> (!kv, !kv) {
  return %kv, %kv : !kv, !kv
}

// CHECK-LABEL: func.func private @two(
// CHECK-SAME:    %{{.*}}: ![[META]], %{{.*}}: ![[REQ]]) -> tensor<4xi64>
func.func private @two(%a: !kv, %b: !kv) -> tensor<4xi64> {
  %meta = kvcache.get %a[attention_dispatch_metadata] : !kv
  return %meta : tensor<4xi64>
}

// CHECK-LABEL: func.func private @unused(
// CHECK-SAME:    %{{.*}}: ![[REQ]])
func.func private @unused(%kv: !kv) {
  return
}

// CHECK-LABEL: func.func @entry(
// CHECK-SAME:    %[[KV:.*]]: ![[FULL]], %{{.*}}: i32)
// CHECK:         %[[R:.*]] = call @recursive(%{{.*}}, %{{.*}}) : (![[REQ]], i32) -> ![[FULL]]
// CHECK-NEXT:    %[[T:.*]]:2 = call @twice(%[[R]]) : (![[FULL]]) -> (![[FULL]], ![[FULL]])
// CHECK:         %[[T0:.*]] = kvcache.pack {{.*}} : ![[META]]
// CHECK:         %[[T1:.*]] = kvcache.pack {{.*}} : ![[DRAFT]]
// CHECK-NEXT:    %[[D:.*]] = kvcache.get %[[T1]][draft_attention_dispatch_metadata] : ![[DRAFT]]
// CHECK:         %[[B:.*]] = kvcache.pack {{.*}} : ![[REQ]]
// CHECK-NEXT:    %[[M:.*]] = call @two(%[[T0]], %[[B]]) : (![[META]], ![[REQ]]) -> tensor<4xi64>
// CHECK:         %[[U:.*]] = kvcache.pack {{.*}} : ![[REQ]]
// CHECK-NEXT:    call @unused(%[[U]]) : (![[REQ]]) -> ()
// CHECK-NEXT:    return %[[D]], %[[M]]
func.func @entry(%kv: !kv, %n: i32) -> (tensor<4xi64>, tensor<4xi64>) {
  %r = call @recursive(%kv, %n) : (!kv, i32) -> !kv
  %t:2 = call @twice(%r) : (!kv) -> (!kv, !kv)
  %draft = kvcache.get %t#1[draft_attention_dispatch_metadata] : !kv
  %meta = call @two(%t#0, %t#1) : (!kv, !kv) -> tensor<4xi64>
  call @unused(%kv) : (!kv) -> ()
  return %draft, %meta : tensor<4xi64>, tensor<4xi64>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>,
                      draft_attention_dispatch_metadata: tensor<4xi64>>

// A call result that keeps more than its uses need is converted right after
// the call; uses in nested regions read the converted bundle.
// CHECK-DAG:   ![[REQ:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// CHECK-DAG:   ![[META:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-LABEL: func.func private @uses_result(
// CHECK-SAME:    %[[KV:.*]]: ![[META]], %{{.*}}: i1)
// CHECK-NEXT:    %[[R:.*]] = call @keeps_metadata(%[[KV]]) : (![[META]]) -> ![[META]]
// CHECK-NEXT:    %[[F0:.*]] = kvcache.get %[[R]][kv_blocks] : ![[META]]
// CHECK-NEXT:    %[[F1:.*]] = kvcache.get %[[R]][cache_lengths] : ![[META]]
// CHECK-NEXT:    %[[F2:.*]] = kvcache.get %[[R]][lookup_table] : ![[META]]
// CHECK-NEXT:    %[[F3:.*]] = kvcache.get %[[R]][max_lengths] : ![[META]]
// CHECK-NEXT:    %[[P:.*]] = kvcache.pack %[[F0]], %[[F1]], %[[F2]], %[[F3]] : ![[REQ]]
// CHECK-NEXT:    scf.if
// CHECK-NEXT:      kvcache.get %[[P]][cache_lengths] : ![[REQ]]
// CHECK:         } else {
// CHECK-NEXT:      kvcache.get %[[P]][cache_lengths] : ![[REQ]]
func.func private @keeps_metadata(%kv: !kv) -> !kv {
  %meta = kvcache.get %kv[attention_dispatch_metadata] : !kv
  return %kv : !kv
}

func.func private @uses_result(%kv: !kv, %c: i1) -> tensor<?xi32> {
  %r = call @keeps_metadata(%kv) : (!kv) -> !kv
  %lens = scf.if %c -> tensor<?xi32> {
    %l = kvcache.get %r[cache_lengths] : !kv
    scf.yield %l : tensor<?xi32>
  } else {
    %l = kvcache.get %r[cache_lengths] : !kv
    scf.yield %l : tensor<?xi32>
  }
  return %lens : tensor<?xi32>
}

func.func @entry(%kv: !kv, %c: i1) -> tensor<?xi32> {
  %lens = call @uses_result(%kv, %c) : (!kv, i1) -> tensor<?xi32>
  return %lens : tensor<?xi32>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>,
                      draft_attention_dispatch_metadata: tensor<4xi64>>

// A declaration is part of its function's flat signature: a public function
// keeps it whole, unless public-functions=true.
// CHECK-DAG:   ![[FULL:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>, draft_attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-LABEL: func.func @graph(
// CHECK-NEXT:    kvcache.inputs_per_device device(0) : ![[FULL]]
// PUBLIC-DAG:   ![[PMETA:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>>{{$}}
// PUBLIC-LABEL: func.func @graph(
// PUBLIC-NEXT:    kvcache.inputs_per_device device(0) : ![[PMETA]]
func.func @graph() -> (tensor<?xi32>, tensor<4xi64>) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %lens = kvcache.get %kv[cache_lengths] : !kv
  %meta = kvcache.get %kv[attention_dispatch_metadata] : !kv
  return %lens, %meta : tensor<?xi32>, tensor<4xi64>
}
