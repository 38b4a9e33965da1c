// RUN: kvcache-opt %s -split-input-file --allow-unregistered-dialect -verify-diagnostics \
// RUN:   --kvcache-drop-optional-fields=fields=attention_dispatch_metadata
// RUN: kvcache-opt %s -split-input-file --allow-unregistered-dialect -verify-diagnostics \
// RUN:   --kvcache-drop-optional-fields=kernel-abi=true

// Options that name fields the pass never drops fail before anything is
// rewritten (the errors have no location in the input).
// RUN: not kvcache-opt %s -split-input-file --allow-unregistered-dialect \
// RUN:   --kvcache-drop-optional-fields=fields=kv_scales 2>&1 | FileCheck %s --check-prefix=SCALES
// RUN: not kvcache-opt %s -split-input-file --allow-unregistered-dialect \
// RUN:   --kvcache-drop-optional-fields=fields=cache_lengths 2>&1 | FileCheck %s --check-prefix=REQUIRED
// RUN: not kvcache-opt %s -split-input-file --allow-unregistered-dialect \
// RUN:   --kvcache-drop-optional-fields=fields=kv_block 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not kvcache-opt %s -split-input-file --allow-unregistered-dialect \
// RUN:   --kvcache-drop-optional-fields=fields=draft_attention_dispatch_metadata 2>&1 | FileCheck %s --check-prefix=DRAFT
// SCALES: error: kvcache-drop-optional-fields: field 'kv_scales' cannot be dropped: it is required on an 8-bit float cache and absent otherwise
// REQUIRED: error: kvcache-drop-optional-fields: field 'cache_lengths' cannot be dropped: it is required
// UNKNOWN: error: kvcache-drop-optional-fields: unknown field 'kv_block'

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>>

// A field requested to be dropped is read: the error names the reader, here
// in a private function reached from a public one.
func.func private @reader(%kv: !kv) -> tensor<4xi64> {
  // expected-error @+1 {{'kvcache.get' op reads field 'attention_dispatch_metadata', which was asked to be dropped}}
  %meta = kvcache.get %kv[attention_dispatch_metadata] : !kv
  return %meta : tensor<4xi64>
}

func.func @entry(%kv: !kv) -> tensor<4xi64> {
  %meta = call @reader(%kv) : (!kv) -> tensor<4xi64>
  return %meta : tensor<4xi64>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>>

// An operation that does not say which fields it reads might read the one
// requested.
func.func @unknown_reader(%kv: !kv) {
  // expected-error @+1 {{'test.use' op uses a bundle whose field 'attention_dispatch_metadata' is to be dropped, and does not say which fields it reads}}
  "test.use"(%kv) : (!kv) -> ()
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x4x16x1x576xbf16>,
                       cache_lengths: tensor<?xi32>,
                       lookup_table: tensor<?x?xi32>,
                       max_lengths: tensor<?x2xi32>,
                       draft_attention_dispatch_metadata: tensor<3xi64>,
                       draft_mla_num_partitions: tensor<1xi64>>

// A public signature keeps draft_mla_num_partitions, which needs the draft
// metadata that fields=draft_attention_dispatch_metadata asks to drop.
// DRAFT: :[[@LINE+1]]:{{[0-9]+}}: error: 'draft_mla_num_partitions' is kept, so 'draft_attention_dispatch_metadata' cannot be dropped
func.func @draft_dependency(%kv: !mla) {
  return
}
