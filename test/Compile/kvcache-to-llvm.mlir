// The registered CPU pipeline, as kvcache-opt runs it: nothing but the LLVM
// dialect is left (no kvcache op, no unrealized_conversion_cast), public
// functions get a C interface and private ones internal linkage instead.
//
// RUN: kvcache-opt %s --kvcache-to-llvm | FileCheck %s
// RUN: kvcache-opt %s --kvcache-to-llvm=splits=3 | FileCheck %s
// RUN: kvcache-opt %s --kvcache-to-llvm=splits=3 --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PIPELINE
//
// The two halves, as kvcache-compile runs them, give the same module.
// RUN: kvcache-opt %s --kvcache-to-llvm > %t.whole
// RUN: kvcache-opt %s --pass-pipeline='builtin.module(kvcache-drop-optional-fields,kvcache-bufferize-graph,convert-kvcache-to-loops,kvcache-expand-inputs)' \
// RUN:   | kvcache-opt --pass-pipeline='builtin.module(kvcache-export-public-functions,convert-linalg-to-loops,convert-scf-to-cf,expand-strided-metadata,lower-affine,math-extend-to-supported-types,convert-math-to-llvm,arith-emulate-unsupported-floats{source-types=bf16,f16},kvcache-expand-f16-casts,arith-expand{include-bf16=true},convert-arith-to-llvm,finalize-memref-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,convert-index-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts,kvcache-check-llvm-lowering)' > %t.halves
// RUN: diff %t.whole %t.halves

// PIPELINE: kvcache-drop-optional-fields
// PIPELINE: kvcache-bufferize-graph
// PIPELINE: convert-kvcache-to-loops{splits=3 splits-cap=64}
// PIPELINE: kvcache-expand-inputs
// PIPELINE: kvcache-export-public-functions
// PIPELINE: reconcile-unrealized-casts
// PIPELINE: kvcache-check-llvm-lowering

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

// CHECK-NOT: unrealized_conversion_cast
// CHECK-NOT: {{^ *(%[^ ]+ = )?"?kvcache\.}}
// CHECK-NOT: func.func
// CHECK: llvm.func @decode(
// CHECK-NOT: llvm.func @_mlir_ciface_helper
// CHECK: llvm.func @_mlir_ciface_decode(%{{[^:]*}}: !llvm.ptr {kvcache.name = "q"},
// CHECK-SAME: %{{[^:]*}}: i64 {kvcache.name = "layer"},
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"}
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK-NOT: unrealized_conversion_cast
// CHECK-NOT: {{^ *(%[^ ]+ = )?"?kvcache\.}}
// CHECK-NOT: llvm.func @_mlir_ciface_helper
// CHECK: llvm.func internal @helper(
// CHECK-NOT: llvm.func @_mlir_ciface_helper
func.func @decode(%q: memref<?x4x8xf32> {kvcache.name = "q"},
                  %key: memref<?x2x8xf32> {kvcache.name = "key"},
                  %value: memref<?x2x8xf32> {kvcache.name = "value"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x4x8xf32> {kvcache.name = "out", kvcache.role = "output"},
                  %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?xi32>
  call @helper(%kv, %layer, %q, %offsets, %out)
      : (!kv, index, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>) -> ()
  return
}

func.func private @helper(%kv: !kv, %layer: index, %q: memref<?x4x8xf32>,
                          %offsets: memref<?xi32>, %out: memref<?x4x8xf32>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal}
      : !kv, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>
  return
}
