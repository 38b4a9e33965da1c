// A decode step compiled to a CPU bundle: the manifest lists the user's
// arguments (named by kvcache.name) and then the cache fields that
// kvcache-expand-inputs appended, in ABI order, each with its shape, role,
// the compute-op operand it feeds (found through the call to @step, none for
// @prefill's arguments) and placement; the library exports one
// kvcache_entry_ per public function.
//
// RUN: rm -rf %t && kvcache-compile %s --target=cpu -o %t
// RUN: FileCheck %s --input-file=%t/manifest.json --match-full-lines --strict-whitespace
// RUN: nm -D --defined-only %t/libkernels.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: nm -D --defined-only %t/libkernels.so | FileCheck %s --check-prefix=PRIVATE
// RUN: llvm-readelf -r %t/libkernels.so | FileCheck %s --check-prefix=RELOCS
// RUN: FileCheck %s --input-file=%t/graph.ll --check-prefix=IR
//
// The manifest does not depend on the split count; compiling into the same
// directory again replaces the bundle.
// RUN: kvcache-compile %s --target=cpu -o %t --splits=2
// RUN: FileCheck %s --input-file=%t/manifest.json --match-full-lines --strict-whitespace

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>

//      CHECK:{"format": 2, "target": "cpu", "library": "libkernels.so",
// CHECK-NEXT: "functions": [
// CHECK-NEXT:  {"name": "decode", "entry": "kvcache_entry_decode",
// CHECK-NEXT:   "arguments": [
// CHECK-NEXT:     {"index": 0, "name": "q", "kind": "memref", "element_type": "f32", "rank": 3, "shape": [-1, 4, 8], "role": "input", "operand": "query", "placement": "device"},
// CHECK-NEXT:     {"index": 1, "name": "key", "kind": "memref", "element_type": "f32", "rank": 3, "shape": [-1, 2, 8], "role": "input", "operand": "key", "placement": "device"},
// CHECK-NEXT:     {"index": 2, "name": "value", "kind": "memref", "element_type": "f32", "rank": 3, "shape": [-1, 2, 8], "role": "input", "operand": "value", "placement": "device"},
// CHECK-NEXT:     {"index": 3, "name": "input_row_offsets", "kind": "memref", "element_type": "i32", "rank": 1, "shape": [-1], "role": "input", "operand": "row_offsets", "placement": "device"},
// CHECK-NEXT:     {"index": 4, "name": "out", "kind": "memref", "element_type": "f32", "rank": 3, "shape": [-1, 4, 8], "role": "output", "operand": "out", "placement": "device"},
// CHECK-NEXT:     {"index": 5, "name": "layer", "kind": "scalar", "element_type": "index", "rank": 0, "shape": [], "role": "input", "operand": "layer", "placement": "host"},
// CHECK-NEXT:     {"index": 6, "name": "kv_blocks", "kind": "memref", "element_type": "f32", "rank": 6, "shape": [-1, 2, 2, 16, 2, 8], "role": "cache", "field": "kv_blocks", "device": 0, "cache": "", "placement": "device"},
// CHECK-NEXT:     {"index": 7, "name": "cache_lengths", "kind": "memref", "element_type": "i32", "rank": 1, "shape": [-1], "role": "cache", "field": "cache_lengths", "device": 0, "cache": "", "placement": "device"},
// CHECK-NEXT:     {"index": 8, "name": "lookup_table", "kind": "memref", "element_type": "i32", "rank": 2, "shape": [-1, -1], "role": "cache", "field": "lookup_table", "device": 0, "cache": "", "placement": "device"},
// CHECK-NEXT:     {"index": 9, "name": "max_lengths", "kind": "memref", "element_type": "i32", "rank": 2, "shape": [-1, 2], "role": "cache", "field": "max_lengths", "device": 0, "cache": "", "placement": "host"},
// CHECK-NEXT:     {"index": 10, "name": "attention_dispatch_metadata", "kind": "memref", "element_type": "i64", "rank": 1, "shape": [4], "role": "cache", "field": "attention_dispatch_metadata", "device": 0, "cache": "", "placement": "host"}
// CHECK-NEXT:   ]},
// CHECK-NEXT:  {"name": "prefill", "entry": "kvcache_entry_prefill",
// CHECK-NEXT:   "arguments": [
// CHECK-NEXT:     {"index": 0, "name": "scale", "kind": "scalar", "element_type": "f32", "rank": 0, "shape": [], "role": "input", "placement": "host"},
// CHECK-NEXT:     {"index": 1, "name": "steps", "kind": "scalar", "element_type": "i64", "rank": 0, "shape": [], "role": "input", "placement": "host"},
// CHECK-NEXT:     {"index": 2, "name": "rows", "kind": "memref", "element_type": "bf16", "rank": 2, "shape": [3, -1], "role": "inout", "placement": "device"},
// CHECK-NEXT:     {"index": 3, "name": "pages", "kind": "memref", "element_type": "index", "rank": 1, "shape": [8], "role": "input", "placement": "device"}
// CHECK-NEXT:   ]}]}
//  CHECK-NOT:{{.}}

// SYMBOLS-DAG: T kvcache_entry_decode
// SYMBOLS-DAG: T kvcache_entry_prefill
// SYMBOLS-DAG: T _mlir_ciface_decode
// SYMBOLS-DAG: T _mlir_ciface_prefill

// Private functions get internal linkage and no C interface: the library
// exports nothing a runtime is not meant to call.
// PRIVATE-NOT: helper

// The library's calls to its own functions bind within it (-Bsymbolic), with
// no PLT slot that an earlier definition could interpose: a graph function
// named `step` would otherwise call glibc's regexp step().
// RELOCS-NOT: decode
// RELOCS-NOT: _mlir_ciface_

// The entry point loads the pointer to flat argument i from args[i]: memrefs
// go on to the C interface as descriptor pointers, the layer (index, #5) is
// loaded from its pointer as an i64.
// IR-LABEL: define void @kvcache_entry_decode(ptr
//  IR-NEXT:   %[[Q:.*]] = load ptr, ptr %0, align 8
//       IR:   %[[SLOT:.*]] = getelementptr i8, ptr %0, i64 40
//  IR-NEXT:   %[[PTR:.*]] = load ptr, ptr %[[SLOT]], align 8
//  IR-NEXT:   %[[LAYER:.*]] = load i64, ptr %[[PTR]], align 8
//       IR:   tail call void @_mlir_ciface_decode(ptr %[[Q]], ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}}, i64 %[[LAYER]], ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}})
//  IR-NEXT:   ret void

func.func @decode(%q: memref<?x4x8xf32> {kvcache.name = "q"},
                  %key: memref<?x2x8xf32> {kvcache.name = "key"},
                  %value: memref<?x2x8xf32> {kvcache.name = "value"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x4x8xf32> {kvcache.name = "out", kvcache.role = "output"},
                  %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !kv, memref<?x4x8xf32>, memref<?xi32>, memref<?x4x8xf32>
  return
}

// A function without a cache: scalars of each kind, an inout buffer and the
// other element types.
func.func @prefill(%scale: f32 {kvcache.name = "scale"},
                   %steps: i64 {kvcache.name = "steps"},
                   %rows: memref<3x?xbf16> {kvcache.name = "rows", kvcache.role = "inout"},
                   %pages: memref<8xindex> {kvcache.name = "pages"}) {
  call @helper(%rows) : (memref<3x?xbf16>) -> ()
  return
}

func.func private @helper(%rows: memref<3x?xbf16>) {
  return
}
