// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs | FileCheck %s
//
// Compute ops lowered after flattening read their fields through kvcache.get
// of the pack, which folds: canonicalization leaves no kvcache op, and so
// does a second expansion.
// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs --convert-kvcache-to-loops --canonicalize | FileCheck %s --check-prefix=LOWERED
// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs --convert-kvcache-to-loops --kvcache-expand-inputs | FileCheck %s --check-prefix=LOWERED
// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs --convert-kvcache-to-gpu --kvcache-expand-inputs | FileCheck %s --check-prefix=LOWERED
// LOWERED-NOT: kvcache.{{(pack|get|store|attention)}}
// LOWERED:     func.func @graph(
// LOWERED-NOT: kvcache.{{(pack|get|store|attention)}}
// LOWERED:     func.func @after_if(
// LOWERED-NOT: kvcache.{{(pack|get|store|attention)}}
//
// Unflatten still inverts flatten, text for text; and packing the flat
// module then canonicalizing folds each pack of the bundle's gets back to
// the bundle.
// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs > %t.a
// RUN: kvcache-opt %t.a -split-input-file --kvcache-pack-inputs --kvcache-expand-inputs > %t.b
// RUN: diff %t.a %t.b
// RUN: kvcache-opt %t.a -split-input-file --kvcache-pack-inputs --canonicalize | FileCheck %s --check-prefix=PACKED
//
// kvcache-drop-optional-fields still knows what the compute ops read once
// they take a pack: it prunes the pack, never the flat signature.
// RUN: kvcache-opt %s -split-input-file --kvcache-expand-inputs --kvcache-drop-optional-fields | FileCheck %s --check-prefix=DROP

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>

// Store and attention stay; they take one pack of the flat arguments.
// CHECK-LABEL: func.func private @layer(
// CHECK-SAME:    %[[BLOCKS:[^:]*]]: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[LENS:[^:]*]]: memref<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %[[TABLE:[^:]*]]: memref<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %[[MAXLENS:[^:]*]]: memref<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %[[META:[^:]*]]: memref<4xi64> {kvcache.device = 0 : i64, kvcache.field = "attention_dispatch_metadata"},
// CHECK-SAME:    %[[L:[^:]*]]: index, %[[Q:[^:]*]]: memref<?x8x64xbf16>, %[[K:[^:]*]]: memref<?x2x64xbf16>, %[[V:[^:]*]]: memref<?x2x64xbf16>, %[[OFF:[^:]*]]: memref<?xi32>, %[[OUT:[^:]*]]: memref<?x8x64xbf16>)
// CHECK-NEXT:    %[[KV:.*]] = kvcache.pack %[[BLOCKS]], %[[LENS]], %[[TABLE]], %[[MAXLENS]], %[[META]] : !kv
// CHECK-NEXT:    kvcache.store %[[KV]], %[[L]], %[[K]], %[[V]], %[[OFF]] :
// CHECK-NEXT:    kvcache.attention %[[KV]], %[[L]], %[[Q]], %[[OFF]], %[[OUT]] {causal} :
// CHECK-NEXT:    return
// PACKED-LABEL: func.func private @layer(
// PACKED-SAME:    %[[KV:[^:]*]]: !kv {kvcache.device = 0 : i64}, %[[L:[^:]*]]: index,
// PACKED-NEXT:    kvcache.store %[[KV]], %[[L]],
// PACKED-NEXT:    kvcache.attention %[[KV]], %[[L]],
func.func private @layer(%kv: !kv, %layer: index, %q: memref<?x8x64xbf16>,
                         %key: memref<?x2x64xbf16>,
                         %value: memref<?x2x64xbf16>,
                         %offsets: memref<?xi32>,
                         %out: memref<?x8x64xbf16>) {
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x64xbf16>, memref<?x2x64xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal}
      : !kv, memref<?x8x64xbf16>, memref<?xi32>, memref<?x8x64xbf16>
  return
}

// A declaration becomes appended arguments, the call passes them flat, and
// the attention in the body takes a pack of them.
// CHECK-LABEL: func.func @graph(
// CHECK-SAME:    %[[Q:[^:]*]]: memref<?x8x64xbf16>, %[[K:[^:]*]]: memref<?x2x64xbf16>, %[[V:[^:]*]]: memref<?x2x64xbf16>, %[[OFF:[^:]*]]: memref<?xi32>, %[[OUT:[^:]*]]: memref<?x8x64xbf16>,
// CHECK-SAME:    %[[BLOCKS:[^:]*]]: memref<?x2x4x16x2x64xbf16> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// CHECK-SAME:    %[[LENS:[^:]*]]: memref<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// CHECK-SAME:    %[[TABLE:[^:]*]]: memref<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// CHECK-SAME:    %[[MAXLENS:[^:]*]]: memref<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// CHECK-SAME:    %[[META:[^:]*]]: memref<4xi64> {kvcache.device = 0 : i64, kvcache.field = "attention_dispatch_metadata"})
// CHECK:         %[[KV:.*]] = kvcache.pack %[[BLOCKS]], %[[LENS]], %[[TABLE]], %[[MAXLENS]], %[[META]] : !kv
// CHECK:         scf.for %[[L:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT:      call @layer(%[[BLOCKS]], %[[LENS]], %[[TABLE]], %[[MAXLENS]], %[[META]], %[[L]], %[[Q]], %[[K]], %[[V]], %[[OFF]], %[[OUT]])
// CHECK-NEXT:    }
// CHECK-NEXT:    kvcache.attention %[[KV]], %{{.*}}, %[[Q]], %[[OFF]], %[[OUT]] :
func.func @graph(%q: memref<?x8x64xbf16>, %key: memref<?x2x64xbf16>,
                 %value: memref<?x2x64xbf16>, %offsets: memref<?xi32>,
                 %out: memref<?x8x64xbf16>) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %layer = %c0 to %c4 step %c1 {
    func.call @layer(%kv, %layer, %q, %key, %value, %offsets, %out)
        : (!kv, index, memref<?x8x64xbf16>, memref<?x2x64xbf16>,
           memref<?x2x64xbf16>, memref<?xi32>, memref<?x8x64xbf16>) -> ()
  }
  kvcache.attention %kv, %c0, %q, %offsets, %out
      : !kv, memref<?x8x64xbf16>, memref<?xi32>, memref<?x8x64xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

// A bundle that crosses an scf.if reaches the attention after it as a pack
// of the if's flat results.
// CHECK-LABEL: func.func @after_if(
// CHECK:         %[[R:.*]]:4 = scf.if
// CHECK:         %[[KV:.*]] = kvcache.pack %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[R]]#3 : !kv
// CHECK:         kvcache.attention %[[KV]],
func.func @after_if(%a: !kv, %b: !kv {kvcache.cache = "draft"}, %c: i1, %q: memref<?x8x64xbf16>,
                    %offsets: memref<?xi32>, %out: memref<?x8x64xbf16>) {
  %kv = scf.if %c -> !kv {
    scf.yield %a : !kv
  } else {
    scf.yield %b : !kv
  }
  %c0 = arith.constant 0 : index
  kvcache.attention %kv, %c0, %q, %offsets, %out
      : !kv, memref<?x8x64xbf16>, memref<?xi32>, memref<?x8x64xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>

// A store reads no dispatch metadata, an attention does.
// DROP-LABEL: func.func private @store_only(
// DROP-SAME:    %[[BLOCKS:[^:]*]]: memref<?x2x4x16x2x64xbf16> {{{[^}]*}}}, %[[LENS:[^:]*]]: memref<?xi32> {{{[^}]*}}}, %[[TABLE:[^:]*]]: memref<?x?xi32> {{{[^}]*}}}, %[[MAXLENS:[^:]*]]: memref<?x2xi32> {{{[^}]*}}},
// DROP-SAME:    %{{[^:]*}}: memref<4xi64> {kvcache.device = 0 : i64, kvcache.field = "attention_dispatch_metadata"},
// DROP-NEXT:    %[[KV:.*]] = kvcache.pack %[[BLOCKS]], %[[LENS]], %[[TABLE]], %[[MAXLENS]] : !kv{{[0-9]*$}}
// DROP:         kvcache.store %[[KV]],
func.func private @store_only(%kv: !kv, %key: memref<?x2x64xbf16>,
                              %value: memref<?x2x64xbf16>,
                              %offsets: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  kvcache.store %kv, %c0, %key, %value, %offsets
      : !kv, memref<?x2x64xbf16>, memref<?x2x64xbf16>, memref<?xi32>
  return
}

// DROP-LABEL: func.func private @attends(
// DROP:         %[[KV:.*]] = kvcache.pack %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^ ]*}} : !kv
// DROP:         kvcache.attention %[[KV]],
func.func private @attends(%kv: !kv, %q: memref<?x8x64xbf16>,
                           %offsets: memref<?xi32>,
                           %out: memref<?x8x64xbf16>) {
  %c0 = arith.constant 0 : index
  kvcache.attention %kv, %c0, %q, %offsets, %out
      : !kv, memref<?x8x64xbf16>, memref<?xi32>, memref<?x8x64xbf16>
  return
}
