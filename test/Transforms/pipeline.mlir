// The graph compiler's pass order: prune first, while bundle types still
// exist (compute ops would be lowered between the two and read their fields
// with kvcache.get), then flatten into the annotated flat signature that a
// runtime binds by name.
//
// RUN: kvcache-opt %s --pass-pipeline='builtin.module(kvcache-drop-optional-fields,kvcache-expand-inputs)' | FileCheck %s
//
// The same with MAX's kernel ABI, and with public signatures pruned too:
// RUN: kvcache-opt %s --pass-pipeline='builtin.module(kvcache-drop-optional-fields{kernel-abi=true},kvcache-expand-inputs)' | FileCheck %s --check-prefix=KERNEL
// RUN: kvcache-opt %s --pass-pipeline='builtin.module(kvcache-drop-optional-fields{public-functions=true},kvcache-expand-inputs)' | FileCheck %s --check-prefix=PUBLIC
//
// RUN: kvcache-opt %s --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: tensor<?xi32>,
                      lookup_table: tensor<?x?xi32>,
                      max_lengths: tensor<?x2xi32>,
                      attention_dispatch_metadata: tensor<4xi64>,
                      draft_attention_dispatch_metadata: tensor<4xi64>>

// A private step that reads the table and nothing optional: pruned to the
// required fields, whatever the options.
// CHECK-LABEL: func.func private @step(
// CHECK-SAME:    %{{[^:]*}}: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %[[TABLE:[^:]*]]: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"})
// CHECK-SAME:    -> tensor<?x?xi32>
// CHECK-NEXT:    return %[[TABLE]]
func.func private @step(%kv: !kv) -> tensor<?x?xi32> {
  %table = kvcache.get %kv[lookup_table] : !kv
  return %table : tensor<?x?xi32>
}

// The public graph declares device 0. By default its flat signature is the
// full graph ABI; the call to the pruned step passes the required fields.
// CHECK-LABEL: func.func @graph(
// CHECK-SAME:    %[[BLOCKS:[^:]*]]: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[LENS:[^:]*]]: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %[[TABLE:[^:]*]]: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %[[MAXLENS:[^:]*]]: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.device = 0 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %{{[^:]*}}: tensor<4xi64> {kvcache.device = 0 : i64, kvcache.field = "draft_attention_dispatch_metadata"})
// CHECK-NOT:     kvcache.
// CHECK:         %[[T:.*]] = call @step(%[[BLOCKS]], %[[LENS]], %[[TABLE]], %[[MAXLENS]])
// CHECK-NEXT:    return %[[T]]

// kernel-abi=true drops the four dispatch fields from the public signature
// too: the flat signature is MAX's kernel ABI. public-functions=true drops
// every field the graph does not read, here the same ones.
// KERNEL-LABEL: func.func @graph(
// KERNEL-SAME:    %{{[^:]*}}: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// KERNEL-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// KERNEL-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// KERNEL-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"})
// KERNEL-SAME:    -> tensor<?x?xi32>
// PUBLIC-LABEL: func.func @graph(
// PUBLIC-SAME:    %{{[^:]*}}: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// PUBLIC-SAME:    %{{[^:]*}}: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// PUBLIC-SAME:    %{{[^:]*}}: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// PUBLIC-SAME:    %{{[^:]*}}: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"})
// PUBLIC-SAME:    -> tensor<?x?xi32>
func.func @graph() -> tensor<?x?xi32> {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %table = call @step(%kv) : (!kv) -> tensor<?x?xi32>
  return %table : tensor<?x?xi32>
}
