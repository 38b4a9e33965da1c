// Fields dropped on request, in every function, public ones included.
// RUN: kvcache-opt %s -split-input-file --kvcache-drop-optional-fields=kernel-abi=true | FileCheck %s --check-prefix=KERNEL
// RUN: kvcache-opt %s -split-input-file --kvcache-drop-optional-fields=fields=attention_dispatch_metadata,mla_num_partitions | FileCheck %s --check-prefix=FIELDS

// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a -split-input-file --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b

!fp8 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x128xf8E4M3FN>,
                       cache_lengths: tensor<?xi32>,
                       lookup_table: tensor<?x?xi32>,
                       max_lengths: tensor<?x2xi32>,
                       kv_scales: memref<?x2x4x16x2x1xf32>,
                       attention_dispatch_metadata: tensor<4xi64>,
                       draft_attention_dispatch_metadata: tensor<4xi64>>
!mla = !kvcache.inputs<kv_blocks: memref<?x1x4x16x1x576xbf16>,
                       cache_lengths: tensor<?xi32>,
                       lookup_table: tensor<?x?xi32>,
                       max_lengths: tensor<?x2xi32>,
                       attention_dispatch_metadata: tensor<3xi64>,
                       draft_attention_dispatch_metadata: tensor<3xi64>,
                       mla_num_partitions: tensor<1xi64>,
                       draft_mla_num_partitions: tensor<1xi64>>

// kernel-abi=true turns the graph ABI into MAX's kernel ABI: the four
// dispatch fields go everywhere, bodiless and public functions included;
// kv_scales stays on the 8-bit float cache.
// KERNEL-DAG:   ![[FP8:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x128xf8E4M3FN>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, kv_scales: memref<?x2x4x16x2x1xf32>>{{$}}
// KERNEL-DAG:   ![[MLA:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x1x4x16x1x576xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// KERNEL-LABEL: func.func private @external(
// KERNEL-SAME:    ![[MLA]])
// KERNEL-LABEL: func.func private @private_fp8(
// KERNEL-SAME:    %{{.*}}: ![[FP8]])
// KERNEL-LABEL: func.func @entry(
// KERNEL-SAME:    %[[KV:.*]]: ![[FP8]], %[[M:.*]]: ![[MLA]]) -> (![[FP8]], ![[MLA]])
// KERNEL-NEXT:    call @external(%[[M]]) : (![[MLA]]) -> ()
// KERNEL-NEXT:    call @private_fp8(%[[KV]]) : (![[FP8]]) -> ()
// KERNEL-NEXT:    return %[[KV]], %[[M]] : ![[FP8]], ![[MLA]]

// fields= drops exactly the named fields everywhere; unread optional fields
// of private functions go as usual, and a kept draft_mla_num_partitions keeps
// the draft metadata it depends on.
// FIELDS-DAG:   ![[FP8DRAFT:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x128xf8E4M3FN>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, kv_scales: memref<?x2x4x16x2x1xf32>, draft_attention_dispatch_metadata: tensor<4xi64>>{{$}}
// FIELDS-DAG:   ![[FP8:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x128xf8E4M3FN>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, kv_scales: memref<?x2x4x16x2x1xf32>>{{$}}
// FIELDS-DAG:   ![[MLA:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x1x4x16x1x576xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, draft_attention_dispatch_metadata: tensor<3xi64>, draft_mla_num_partitions: tensor<1xi64>>{{$}}
// FIELDS-LABEL: func.func private @external(
// FIELDS-SAME:    ![[MLA]])
// FIELDS-LABEL: func.func private @private_fp8(
// FIELDS-SAME:    %{{.*}}: ![[FP8]])
// FIELDS-LABEL: func.func @entry(
// FIELDS-SAME:    %[[KV:.*]]: ![[FP8DRAFT]], %[[M:.*]]: ![[MLA]]) -> (![[FP8DRAFT]], ![[MLA]])
// FIELDS-NEXT:    call @external(%[[M]]) : (![[MLA]]) -> ()
// FIELDS:         %[[P:.*]] = kvcache.pack {{.*}} : ![[FP8]]
// FIELDS-NEXT:    call @private_fp8(%[[P]]) : (![[FP8]]) -> ()
func.func private @external(!mla)

func.func private @private_fp8(%kv: !fp8) {
  return
}

func.func @entry(%kv: !fp8, %mla: !mla) -> (!fp8, !mla) {
  call @external(%mla) : (!mla) -> ()
  call @private_fp8(%kv) : (!fp8) -> ()
  return %kv, %mla : !fp8, !mla
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>>

// A declaration in a public function loses the requested fields too; the
// reads of other fields stay.
// KERNEL-DAG:   ![[REQ:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// KERNEL-LABEL: func.func @graph(
// KERNEL-NEXT:    %[[KV:.*]] = kvcache.inputs_per_device device(0) : ![[REQ]]
// KERNEL-NEXT:    kvcache.get %[[KV]][lookup_table] : ![[REQ]]
// FIELDS-DAG:   ![[REQ:[a-z0-9_]+]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>{{$}}
// FIELDS-LABEL: func.func @graph(
// FIELDS-NEXT:    %[[KV:.*]] = kvcache.inputs_per_device device(0) : ![[REQ]]
func.func @graph() -> tensor<?x?xi32> {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %table = kvcache.get %kv[lookup_table] : !kv
  return %table : tensor<?x?xi32>
}
