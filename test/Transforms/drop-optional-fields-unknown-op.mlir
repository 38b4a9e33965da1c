// RUN: kvcache-opt %s -split-input-file --allow-unregistered-dialect --kvcache-drop-optional-fields | FileCheck %s

// kvcache-expand-inputs keeps these operations (it packs the bundles they
// take and reads the ones they define), so the flatten/unflatten property
// holds here too.
// RUN: kvcache-opt %s -split-input-file --allow-unregistered-dialect --kvcache-drop-optional-fields --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a -split-input-file --allow-unregistered-dialect --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>>

// An op the pass does not model (scf.index_switch) keeps every field of the
// bundles it takes, returns, and receives from its regions' terminators: the
// yielded value must keep the type of the op's result.
// CHECK-DAG:   ![[REQ:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// CHECK-DAG:   ![[FULL:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-LABEL: func.func private @index_switch(
// CHECK-SAME:    %[[KV:.*]]: ![[FULL]], %{{.*}}: index) -> ![[FULL]]
// CHECK-NEXT:    %[[R:.*]] = scf.index_switch %{{.*}} -> ![[FULL]]
// CHECK-NEXT:    default {
// CHECK-NEXT:      scf.yield %[[KV]] : ![[FULL]]
func.func private @index_switch(%kv: !kv, %i: index) -> !kv {
  %r = scf.index_switch %i -> !kv
  default {
    scf.yield %kv : !kv
  }
  return %r : !kv
}

// CHECK-LABEL: func.func private @unknown_use(
// CHECK-SAME:    %[[KV:.*]]: ![[FULL]])
// CHECK-NEXT:    "test.use"(%[[KV]]) : (![[FULL]]) -> ()
func.func private @unknown_use(%kv: !kv) {
  "test.use"(%kv) : (!kv) -> ()
  return
}

// CHECK-LABEL: func.func private @unknown_user_of_a_pruned_class(
// CHECK-SAME:    %[[KV:.*]]: ![[REQ]])
func.func private @unknown_user_of_a_pruned_class(%kv: !kv) {
  return
}

func.func @entry(%kv: !kv, %i: index) {
  %r = call @index_switch(%kv, %i) : (!kv, index) -> !kv
  call @unknown_use(%kv) : (!kv) -> ()
  call @unknown_user_of_a_pruned_class(%r) : (!kv) -> ()
  return
}
