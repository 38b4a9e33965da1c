// RUN: kvcache-opt %s | kvcache-opt | FileCheck %s
// RUN: kvcache-opt %s --mlir-print-op-generic | kvcache-opt | FileCheck %s
// RUN: kvcache-opt %s --canonicalize | FileCheck %s --check-prefix=CANON

// Round trip of every field combination the ABI allows, and of the three ops.
// Bundle types print under the aliases !kv, !kv1, ...; the CHECK-DAG lines
// bind each alias by its full definition, so the numbering does not matter.

// MHA, bf16, required fields only.
// CHECK-DAG: ![[MHA:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>{{$}}
// MHA with dispatch metadata.
// CHECK-DAG: ![[MHA_MD:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>{{$}}
// MHA with target and draft dispatch metadata.
// CHECK-DAG: ![[MHA_SPEC:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>, draft_attention_dispatch_metadata: memref<4xi64>>{{$}}
// FP8 with kv_scales.
// CHECK-DAG: ![[FP8:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>>{{$}}
// FP8 with kv_scales at granularity 32 and dispatch metadata.
// CHECK-DAG: ![[FP8_MD:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x4xf32>, attention_dispatch_metadata: memref<4xi64>>{{$}}
// MLA, bf16, with every MLA field.
// CHECK-DAG: ![[MLA:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>, draft_attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>, draft_mla_num_partitions: memref<1xi64>>{{$}}
// MLA, bf16, metadata and partitions without speculative decoding.
// CHECK-DAG: ![[MLA_NOSPEC:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>>{{$}}
// MLA, required fields only.
// CHECK-DAG: ![[MLA_REQ:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>{{$}}
// MLA FP8 with all nine fields.
// CHECK-DAG: ![[MLA_FP8:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x1x4x64x1x9xf32>, attention_dispatch_metadata: memref<3xi64>, draft_attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>, draft_mla_num_partitions: memref<1xi64>>{{$}}
// f32 and f16 caches.
// CHECK-DAG: ![[F32:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x2x16x4x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>{{$}}
// CHECK-DAG: ![[F16:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x2x16x4x64xf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>{{$}}
// Tensor forms of every tensor-kind field.
// CHECK-DAG: ![[TENSOR:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<4xi64>, draft_attention_dispatch_metadata: tensor<4xi64>>{{$}}
// CHECK-DAG: ![[MLA_TENSOR:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>, attention_dispatch_metadata: tensor<3xi64>, draft_attention_dispatch_metadata: tensor<3xi64>, mla_num_partitions: tensor<1xi64>, draft_mla_num_partitions: tensor<1xi64>>{{$}}
// Memrefs and tensors mixed.
// CHECK-DAG: ![[MIXED:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: tensor<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: tensor<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>, attention_dispatch_metadata: memref<4xi64>>{{$}}
// Static batch and page dimensions (agreeing), and static against dynamic.
// CHECK-DAG: ![[STATIC:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<1024x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<4xi32>, lookup_table: memref<4x24xi32>, max_lengths: memref<1x2xi32>, kv_scales: memref<1024x2x4x16x8x1xf32>>{{$}}
// CHECK-DAG: ![[HALF_STATIC:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<1024x2x4x16x8x128xf8E4M3FN>, cache_lengths: tensor<4xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<3x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>>{{$}}

!mha = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>,
                       cache_lengths: memref<?xi32>,
                       lookup_table: memref<?x?xi32>,
                       max_lengths: memref<?x2xi32>>
!mha_md = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>,
                          cache_lengths: memref<?xi32>,
                          lookup_table: memref<?x?xi32>,
                          max_lengths: memref<?x2xi32>,
                          attention_dispatch_metadata: memref<4xi64>>
!mha_spec = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>,
                            cache_lengths: memref<?xi32>,
                            lookup_table: memref<?x?xi32>,
                            max_lengths: memref<?x2xi32>,
                            attention_dispatch_metadata: memref<4xi64>,
                            draft_attention_dispatch_metadata: memref<4xi64>>
!fp8 = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>,
                       cache_lengths: memref<?xi32>,
                       lookup_table: memref<?x?xi32>,
                       max_lengths: memref<?x2xi32>,
                       kv_scales: memref<?x2x4x16x8x1xf32>>
!fp8_md = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>,
                          cache_lengths: memref<?xi32>,
                          lookup_table: memref<?x?xi32>,
                          max_lengths: memref<?x2xi32>,
                          kv_scales: memref<?x2x4x16x8x4xf32>,
                          attention_dispatch_metadata: memref<4xi64>>
!mla = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>,
                       cache_lengths: memref<?xi32>,
                       lookup_table: memref<?x?xi32>,
                       max_lengths: memref<?x2xi32>,
                       attention_dispatch_metadata: memref<3xi64>,
                       draft_attention_dispatch_metadata: memref<3xi64>,
                       mla_num_partitions: memref<1xi64>,
                       draft_mla_num_partitions: memref<1xi64>>
!mla_nospec = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>,
                              cache_lengths: memref<?xi32>,
                              lookup_table: memref<?x?xi32>,
                              max_lengths: memref<?x2xi32>,
                              attention_dispatch_metadata: memref<3xi64>,
                              mla_num_partitions: memref<1xi64>>
!mla_req = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>,
                           cache_lengths: memref<?xi32>,
                           lookup_table: memref<?x?xi32>,
                           max_lengths: memref<?x2xi32>>
!mla_fp8 = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xf8E4M3FN>,
                           cache_lengths: memref<?xi32>,
                           lookup_table: memref<?x?xi32>,
                           max_lengths: memref<?x2xi32>,
                           kv_scales: memref<?x1x4x64x1x9xf32>,
                           attention_dispatch_metadata: memref<3xi64>,
                           draft_attention_dispatch_metadata: memref<3xi64>,
                           mla_num_partitions: memref<1xi64>,
                           draft_mla_num_partitions: memref<1xi64>>
!f32 = !kvcache.inputs<kv_blocks: memref<?x2x2x16x4x64xf32>,
                       cache_lengths: memref<?xi32>,
                       lookup_table: memref<?x?xi32>,
                       max_lengths: memref<?x2xi32>>
!f16 = !kvcache.inputs<kv_blocks: memref<?x2x2x16x4x64xf16>,
                       cache_lengths: memref<?xi32>,
                       lookup_table: memref<?x?xi32>,
                       max_lengths: memref<?x2xi32>>
!tensor = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>,
                          cache_lengths: tensor<?xi32>,
                          lookup_table: tensor<?x?xi32>,
                          max_lengths: tensor<?x2xi32>,
                          attention_dispatch_metadata: tensor<4xi64>,
                          draft_attention_dispatch_metadata: tensor<4xi64>>
!mla_tensor = !kvcache.inputs<kv_blocks: memref<?x1x4x64x1x576xbf16>,
                              cache_lengths: tensor<?xi32>,
                              lookup_table: tensor<?x?xi32>,
                              max_lengths: tensor<?x2xi32>,
                              attention_dispatch_metadata: tensor<3xi64>,
                              draft_attention_dispatch_metadata: tensor<3xi64>,
                              mla_num_partitions: tensor<1xi64>,
                              draft_mla_num_partitions: tensor<1xi64>>
!mixed = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>,
                         cache_lengths: tensor<?xi32>,
                         lookup_table: memref<?x?xi32>,
                         max_lengths: tensor<?x2xi32>,
                         kv_scales: memref<?x2x4x16x8x1xf32>,
                         attention_dispatch_metadata: memref<4xi64>>
!static = !kvcache.inputs<kv_blocks: memref<1024x2x4x16x8x128xf8E4M3FN>,
                          cache_lengths: memref<4xi32>,
                          lookup_table: memref<4x24xi32>,
                          max_lengths: memref<1x2xi32>,
                          kv_scales: memref<1024x2x4x16x8x1xf32>>
!half_static = !kvcache.inputs<kv_blocks: memref<1024x2x4x16x8x128xf8E4M3FN>,
                               cache_lengths: tensor<4xi32>,
                               lookup_table: tensor<?x?xi32>,
                               max_lengths: tensor<3x2xi32>,
                               kv_scales: memref<?x2x4x16x8x1xf32>>

// The three ops on the plain MHA bundle.
// CHECK-LABEL: func.func @ops(
// CHECK-SAME: %[[A:[^:]*]]: memref<?x2x32x128x8x128xbf16>, %[[B:[^:]*]]: memref<?xi32>, %[[C:[^:]*]]: memref<?x?xi32>, %[[D:[^:]*]]: memref<?x2xi32>)
// CHECK: %[[KV:.*]] = kvcache.inputs_per_device device(0) : ![[MHA]]{{$}}
// CHECK: kvcache.inputs_per_device device(0) cache("draft") : ![[MHA]]{{$}}
// CHECK: kvcache.inputs_per_device device(3) cache("sliding-window_2") : ![[MHA]]{{$}}
// CHECK: %[[KV2:.*]] = kvcache.pack %[[A]], %[[B]], %[[C]], %[[D]] : ![[MHA]]{{$}}
// CHECK: %[[T:.*]] = kvcache.get %[[KV]][lookup_table] : ![[MHA]]{{$}}
// CHECK: kvcache.get %[[KV2]][max_lengths] : ![[MHA]]{{$}}
// CHECK: return %[[T]], %[[KV2]] : memref<?x?xi32>, ![[MHA]]
func.func @ops(%a: memref<?x2x32x128x8x128xbf16>, %b: memref<?xi32>,
               %c: memref<?x?xi32>, %d: memref<?x2xi32>)
    -> (memref<?x?xi32>, !mha) {
  %kv = kvcache.inputs_per_device device(0) : !mha
  kvcache.inputs_per_device device(0) cache("draft") : !mha
  kvcache.inputs_per_device device(3) cache("sliding-window_2") : !mha
  %kv2 = kvcache.pack %a, %b, %c, %d : !mha
  %t = kvcache.get %kv[lookup_table] : !mha
  %m = kvcache.get %kv2[max_lengths] : !mha
  return %t, %kv2 : memref<?x?xi32>, !mha
}

// CHECK-LABEL: func.func @mha_metadata(
// CHECK-SAME: %[[KV:.*]]: ![[MHA_MD]])
// CHECK: kvcache.get %[[KV]][attention_dispatch_metadata] : ![[MHA_MD]]{{$}}
func.func @mha_metadata(%kv: !mha_md) -> memref<4xi64> {
  %md = kvcache.get %kv[attention_dispatch_metadata] : !mha_md
  return %md : memref<4xi64>
}

// CHECK-LABEL: func.func @mha_speculative(
// CHECK-SAME: %[[KV:.*]]: ![[MHA_SPEC]])
// CHECK: kvcache.get %[[KV]][draft_attention_dispatch_metadata] : ![[MHA_SPEC]]{{$}}
func.func @mha_speculative(%kv: !mha_spec) -> memref<4xi64> {
  %md = kvcache.get %kv[draft_attention_dispatch_metadata] : !mha_spec
  return %md : memref<4xi64>
}

// CHECK-LABEL: func.func @fp8(
// CHECK-SAME: %{{.*}}: ![[FP8]], %{{.*}}: ![[FP8_MD]])
// CHECK: kvcache.get %{{.*}}[kv_scales] : ![[FP8]]{{$}}
// CHECK: kvcache.get %{{.*}}[kv_scales] : ![[FP8_MD]]{{$}}
func.func @fp8(%kv: !fp8, %kv_md: !fp8_md)
    -> (memref<?x2x4x16x8x1xf32>, memref<?x2x4x16x8x4xf32>) {
  %s = kvcache.get %kv[kv_scales] : !fp8
  %s2 = kvcache.get %kv_md[kv_scales] : !fp8_md
  return %s, %s2 : memref<?x2x4x16x8x1xf32>, memref<?x2x4x16x8x4xf32>
}

// CHECK-LABEL: func.func @mla(
// CHECK-SAME: %{{.*}}: ![[MLA]], %{{.*}}: ![[MLA_NOSPEC]], %{{.*}}: ![[MLA_REQ]])
// CHECK: kvcache.get %{{.*}}[mla_num_partitions] : ![[MLA]]{{$}}
// CHECK: kvcache.get %{{.*}}[draft_mla_num_partitions] : ![[MLA]]{{$}}
// CHECK: kvcache.get %{{.*}}[attention_dispatch_metadata] : ![[MLA_NOSPEC]]{{$}}
// CHECK: kvcache.get %{{.*}}[kv_blocks] : ![[MLA_REQ]]{{$}}
func.func @mla(%kv: !mla, %kv2: !mla_nospec, %kv3: !mla_req)
    -> (memref<1xi64>, memref<1xi64>, memref<3xi64>,
        memref<?x1x4x64x1x576xbf16>) {
  %p = kvcache.get %kv[mla_num_partitions] : !mla
  %dp = kvcache.get %kv[draft_mla_num_partitions] : !mla
  %md = kvcache.get %kv2[attention_dispatch_metadata] : !mla_nospec
  %blocks = kvcache.get %kv3[kv_blocks] : !mla_req
  return %p, %dp, %md, %blocks : memref<1xi64>, memref<1xi64>, memref<3xi64>,
                                 memref<?x1x4x64x1x576xbf16>
}

// CHECK-LABEL: func.func @mla_fp8(
// CHECK-SAME: %[[KV:.*]]: ![[MLA_FP8]])
// CHECK: kvcache.get %[[KV]][kv_scales] : ![[MLA_FP8]]{{$}}
// CHECK: kvcache.get %[[KV]][draft_mla_num_partitions] : ![[MLA_FP8]]{{$}}
func.func @mla_fp8(%kv: !mla_fp8) -> (memref<?x1x4x64x1x9xf32>, memref<1xi64>) {
  %s = kvcache.get %kv[kv_scales] : !mla_fp8
  %dp = kvcache.get %kv[draft_mla_num_partitions] : !mla_fp8
  return %s, %dp : memref<?x1x4x64x1x9xf32>, memref<1xi64>
}

// CHECK-LABEL: func.func @other_dtypes(
// CHECK-SAME: %{{.*}}: ![[F32]], %{{.*}}: ![[F16]])
// CHECK: kvcache.get %{{.*}}[kv_blocks] : ![[F32]]{{$}}
// CHECK: kvcache.get %{{.*}}[kv_blocks] : ![[F16]]{{$}}
func.func @other_dtypes(%a: !f32, %b: !f16)
    -> (memref<?x2x2x16x4x64xf32>, memref<?x2x2x16x4x64xf16>) {
  %x = kvcache.get %a[kv_blocks] : !f32
  %y = kvcache.get %b[kv_blocks] : !f16
  return %x, %y : memref<?x2x2x16x4x64xf32>, memref<?x2x2x16x4x64xf16>
}

// Tensor-kind fields as tensors: pack and get with tensor operands.
// CHECK-LABEL: func.func @tensors(
// CHECK: %[[KV:.*]] = kvcache.pack %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : ![[TENSOR]]{{$}}
// CHECK: kvcache.get %[[KV]][cache_lengths] : ![[TENSOR]]{{$}}
// CHECK: kvcache.get %{{.*}}[draft_mla_num_partitions] : ![[MLA_TENSOR]]{{$}}
func.func @tensors(%a: memref<?x2x32x128x8x128xbf16>, %b: tensor<?xi32>,
                   %c: tensor<?x?xi32>, %d: tensor<?x2xi32>,
                   %e: tensor<4xi64>, %f: tensor<4xi64>, %mla: !mla_tensor)
    -> (tensor<?xi32>, tensor<1xi64>) {
  %kv = kvcache.pack %a, %b, %c, %d, %e, %f : !tensor
  %len = kvcache.get %kv[cache_lengths] : !tensor
  %dp = kvcache.get %mla[draft_mla_num_partitions] : !mla_tensor
  return %len, %dp : tensor<?xi32>, tensor<1xi64>
}

// CHECK-LABEL: func.func @mixed(
// CHECK-SAME: %[[KV:.*]]: ![[MIXED]])
// CHECK: kvcache.get %[[KV]][max_lengths] : ![[MIXED]]{{$}}
// CHECK: kvcache.get %[[KV]][lookup_table] : ![[MIXED]]{{$}}
func.func @mixed(%kv: !mixed) -> (tensor<?x2xi32>, memref<?x?xi32>) {
  %m = kvcache.get %kv[max_lengths] : !mixed
  %t = kvcache.get %kv[lookup_table] : !mixed
  return %m, %t : tensor<?x2xi32>, memref<?x?xi32>
}

// CHECK-LABEL: func.func @static_batch(
// CHECK-SAME: %{{.*}}: ![[STATIC]], %{{.*}}: ![[HALF_STATIC]])
// CHECK: kvcache.get %{{.*}}[lookup_table] : ![[STATIC]]{{$}}
// CHECK: kvcache.get %{{.*}}[cache_lengths] : ![[HALF_STATIC]]{{$}}
func.func @static_batch(%kv: !static, %kv2: !half_static)
    -> (memref<4x24xi32>, tensor<4xi32>) {
  %t = kvcache.get %kv[lookup_table] : !static
  %l = kvcache.get %kv2[cache_lengths] : !half_static
  return %t, %l : memref<4x24xi32>, tensor<4xi32>
}

// A get of a field that pack supplied folds to the packed operand; a get of
// a declared bundle does not fold.
// CANON-LABEL: func.func @fold_get_of_pack(
// CANON-SAME: %{{[^:]*}}: memref<?x2x32x128x8x128xbf16>, %{{[^:]*}}: memref<?xi32>, %[[C:[^:]*]]: memref<?x?xi32>, %[[D:[^:]*]]: memref<?x2xi32>, %[[E:[^:]*]]: memref<4xi64>)
// CANON-NOT: kvcache.pack
// CANON: %[[KV:.*]] = kvcache.inputs_per_device device(0) : !kv{{[0-9]*}}
// CANON-NEXT: %[[G:.*]] = kvcache.get %[[KV]][lookup_table]
// CANON-NEXT: return %[[C]], %[[D]], %[[E]], %[[G]] :
func.func @fold_get_of_pack(%a: memref<?x2x32x128x8x128xbf16>,
                            %b: memref<?xi32>, %c: memref<?x?xi32>,
                            %d: memref<?x2xi32>, %e: memref<4xi64>)
    -> (memref<?x?xi32>, memref<?x2xi32>, memref<4xi64>, memref<?x?xi32>) {
  %kv = kvcache.pack %a, %b, %c, %d, %e : !mha_md
  %t = kvcache.get %kv[lookup_table] : !mha_md
  %m = kvcache.get %kv[max_lengths] : !mha_md
  %md = kvcache.get %kv[attention_dispatch_metadata] : !mha_md
  %decl = kvcache.inputs_per_device device(0) : !mha_md
  %g = kvcache.get %decl[lookup_table] : !mha_md
  return %t, %m, %md, %g : memref<?x?xi32>, memref<?x2xi32>, memref<4xi64>,
                           memref<?x?xi32>
}
