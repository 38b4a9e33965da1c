// RUN: kvcache-opt %s --convert-kvcache-to-loops --split-input-file | FileCheck %s
// RUN: kvcache-opt %s --convert-kvcache-to-loops=splits=7 --split-input-file | FileCheck %s --check-prefix=SPLITS

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// Store: the page of position cache_lengths[b] + i, read as unsigned. The
// layer (unsigned: a negative one too) and the page id are checked; out of
// range, nothing is stored and the runtime's raise hook is called with the
// fault (1: layer, num_layers; 2: request, position, page id, pages).
// CHECK:       func.func private @kvcache_runtime_raise(i32, i64, i64, i64, i64)
// CHECK-LABEL: func.func @store
// CHECK-SAME:    (%{{.*}}: !kv, %[[LAYER:[^:]*]]: index
// CHECK-DAG:     %[[BLOCKS:.*]] = kvcache.get %{{.*}}[kv_blocks]
// CHECK-DAG:     %[[LENS:.*]] = kvcache.get %{{.*}}[cache_lengths]
// CHECK-DAG:     %[[TABLE:.*]] = kvcache.get %{{.*}}[lookup_table]
// CHECK-DAG:     %[[PAGES:.*]] = memref.dim %[[BLOCKS]], %c0
// CHECK-DAG:     %[[P:.*]] = arith.constant 16 : index
// CHECK-DAG:     %[[LAYERS:.*]] = arith.constant 2 : index
// CHECK:         %[[LAYER_OK:.*]] = arith.cmpi ult, %[[LAYER]], %[[LAYERS]]
// CHECK:         scf.if %[[LAYER_OK]] {
// CHECK:         scf.for %[[B:.*]] =
// CHECK:           %[[LEN:.*]] = memref.load %[[LENS]][%[[B]]]
// CHECK:           arith.index_castui %[[LEN]] : i32 to index
// CHECK:           scf.for
// CHECK:             %[[POS:.*]] = arith.addi
// CHECK:             %[[COL:.*]] = arith.divui %[[POS]], %[[P]]
// CHECK:             %[[PAGE32:.*]] = memref.load %[[TABLE]][%[[B]], %[[COL]]]
// CHECK:             %[[PAGE:.*]] = arith.index_castui %[[PAGE32]]
// CHECK:             %[[SLOT:.*]] = arith.remui %[[POS]], %[[P]]
// CHECK:             %[[PAGE_OK:.*]] = arith.cmpi ult, %[[PAGE]], %[[PAGES]]
// CHECK:             scf.if %[[PAGE_OK]] {
// CHECK:             memref.store %{{.*}}, %[[BLOCKS]][%[[PAGE]], %{{.*}}, %{{.*}}, %[[SLOT]],
// CHECK:             } else {
// CHECK:               %[[C2:.*]] = arith.constant 2 : i32
// CHECK:               func.call @kvcache_runtime_raise(%[[C2]],
// CHECK:         } else {
// CHECK:           %[[C1:.*]] = arith.constant 1 : i32
// CHECK:           %[[L64:.*]] = arith.index_cast %[[LAYER]] : index to i64
// CHECK:           func.call @kvcache_runtime_raise(%[[C1]], %[[L64]],
// CHECK-NOT:     kvcache.store
// CHECK-NOT:     arith.index_cast %{{.*}} : i32
func.func @store(%kv: !kv, %layer: index, %k: memref<?x2x8xbf16>, %v: memref<?x2x8xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %v, %offsets : !kv, memref<?x2x8xbf16>, memref<?x2x8xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// Attention: f32 softmax, split count from the dispatch metadata unless the
// option forces it, partials combined through their log-sum-exp.
// CHECK-LABEL: func.func @attention
// CHECK:         %[[META:.*]] = kvcache.get %{{.*}}[attention_dispatch_metadata]
// The host's split count is clamped to [1, splits-cap]: it sizes the
// allocation. Keys on a page past the pool are skipped and raised.
// CHECK:         %[[NP:.*]] = memref.load %[[META]][%c2]
// CHECK:         %[[AT_LEAST_ONE:.*]] = arith.maxsi %[[NP]], %c1_i64
// CHECK:         arith.minsi %[[AT_LEAST_ONE]], %c64_i64
// CHECK:         scf.if
// CHECK:         %[[PARTIAL:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK:         %[[LSE:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK:         %[[KEY_OK:.*]] = arith.cmpi ult
// CHECK:         scf.if %[[KEY_OK]] -> (f32) {
// CHECK:         arith.extf %{{.*}} : bf16 to f32
// CHECK:         } else {
// CHECK:           func.call @kvcache_runtime_raise
// CHECK:         math.exp
// CHECK:         math.log
// CHECK:         arith.truncf %{{.*}} : f32 to bf16
// CHECK:         memref.dealloc %[[PARTIAL]]
// CHECK-NOT:     kvcache.attention
// SPLITS-LABEL: func.func @attention
// SPLITS-NOT:     memref.load %{{.*}}[%c2] : memref<4xi64>
// SPLITS:         %[[N:.*]] = arith.constant 7 : index
// SPLITS:         memref.alloc(%[[N]]) : memref<?x8xf32>
func.func @attention(%kv: !kv, %layer: index, %q: memref<?x4x8xbf16>, %offsets: memref<?xi32>, %out: memref<?x4x8xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal} : !kv, memref<?x4x8xbf16>, memref<?xi32>, memref<?x4x8xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x2x16x2x2xf32>>

// Store on an FP8 cache (docs/ABI.md, "FP8 caches"): per lane group of 4,
// the finite amax (|x| by clearing the sign bit; NaN and inf fail the
// ordered compares), scale = amax / 448 or 1 when amax is 0, stored to
// kv_scales; each byte is x / scale (a true division, no reciprocal)
// encoded with integer ops and stored as f8E4M3FN bits, never an
// arith.truncf to f8E4M3FN.
// CHECK-LABEL: func.func @store_fp8
// CHECK-DAG:     %[[BLOCKS:.*]] = kvcache.get %{{.*}}[kv_blocks]
// CHECK-DAG:     %[[SCALES:.*]] = kvcache.get %{{.*}}[kv_scales]
// CHECK:         %[[AMAX:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32) {
// CHECK:           arith.extf %{{.*}} : bf16 to f32
// CHECK:           arith.andi %{{.*}}, %{{.*}} : i32
// CHECK:           %[[ABS:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK:           arith.cmpf olt, %[[ABS]], %{{.*}} : f32
// CHECK:           arith.cmpf ogt, %[[ABS]], %[[ACC]] : f32
// CHECK:         %[[ZERO:.*]] = arith.cmpf oeq, %[[AMAX]]
// CHECK:         %[[C448:.*]] = arith.constant 4.480000e+02 : f32
// CHECK:         %[[DIV:.*]] = arith.divf %[[AMAX]], %[[C448]] : f32
// CHECK:         %[[SCALE:.*]] = arith.select %[[ZERO]], %{{.*}}, %[[DIV]] : f32
// CHECK:         memref.store %[[SCALE]], %[[SCALES]]
// CHECK:         scf.for
// CHECK:           %[[Y:.*]] = arith.divf %{{.*}}, %[[SCALE]] : f32
// CHECK:           arith.bitcast %[[Y]] : f32 to i32
// CHECK:           %[[BYTE:.*]] = arith.trunci %{{.*}} : i32 to i8
// CHECK:           %[[F8:.*]] = arith.bitcast %[[BYTE]] : i8 to f8E4M3FN
// CHECK:           memref.store %[[F8]], %[[BLOCKS]]
// CHECK-NOT:     arith.truncf
// CHECK-NOT:     arith.mulf
func.func @store_fp8(%kv: !kv, %layer: index, %k: memref<?x2x8xbf16>, %v: memref<?x2x8xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %v, %offsets : !kv, memref<?x2x8xbf16>, memref<?x2x8xbf16>, memref<?xi32>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x2x16x2x2xf32>>

// Attention on an FP8 cache reads each K (and V) lane as its byte decoded
// with integer ops times its lane group's (lane / 4) scale, in f32; q and
// out are f16.
// CHECK-LABEL: func.func @attention_fp8
// CHECK-DAG:     %[[BLOCKS:.*]] = kvcache.get %{{.*}}[kv_blocks]
// CHECK-DAG:     %[[SCALES:.*]] = kvcache.get %{{.*}}[kv_scales]
// CHECK:         %[[E:.*]] = memref.load %[[BLOCKS]][%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[LANE:.*]]] : memref<?x2x2x16x2x8xf8E4M3FN>
// CHECK:         %[[BITS:.*]] = arith.bitcast %[[E]] : f8E4M3FN to i8
// CHECK:         %[[GROUP:.*]] = arith.divui %[[LANE]], %{{.*}} : index
// CHECK:         %[[S:.*]] = memref.load %[[SCALES]][%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[GROUP]]]
// CHECK:         arith.extui %[[BITS]] : i8 to i32
// CHECK:         %[[K:.*]] = arith.bitcast %{{.*}} : i32 to f32
// CHECK:         arith.mulf %[[K]], %[[S]] : f32
// CHECK:         arith.truncf %{{.*}} : f32 to f16
// CHECK-NOT:     f8E4M3FN to f32
func.func @attention_fp8(%kv: !kv, %layer: index, %q: memref<?x4x8xf16>, %offsets: memref<?xi32>, %out: memref<?x4x8xf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x4x8xf16>, memref<?xi32>, memref<?x4x8xf16>
  return
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x10xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>, mla_num_partitions: memref<1xi64>>

// MLA store: the latent row goes to kv 0, the cache's only part.
// CHECK-LABEL: func.func @store_mla
// CHECK:         %[[BLOCKS:.*]] = kvcache.get %{{.*}}[kv_blocks]
// CHECK:         %[[LATENT:.*]] = memref.load %{{.*}} : memref<?x1x10xbf16>
// CHECK-NEXT:    memref.store %[[LATENT]], %[[BLOCKS]][%{{.*}}, %c0{{.*}}, %{{.*}}] : memref<?x1x2x16x1x10xbf16>
// CHECK-NOT:     memref.store %{{.*}}, %[[BLOCKS]]
// CHECK:         return
func.func @store_mla(%kv: !mla, %layer: index, %latent: memref<?x1x10xbf16>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %latent, %offsets : !mla, memref<?x1x10xbf16>, memref<?xi32>
  return
}

// MLA attention: scores over all 10 lanes of the latent row, the value its
// first 6 lanes (kv 0 too); mla_num_partitions[0] chooses the split count
// before attention_dispatch_metadata, which it is not read then.
// CHECK-LABEL: func.func @attention_mla
// CHECK-NOT:     attention_dispatch_metadata
// CHECK:         %[[NP:.*]] = kvcache.get %{{.*}}[mla_num_partitions]
// CHECK:         memref.load %[[NP]][%c0{{.*}}] : memref<1xi64>
// CHECK:         memref.alloc(%{{.*}}) : memref<?x6xf32>
// CHECK:         scf.for %{{.*}} = %c0{{[_0-9]*}} to %c10{{[_0-9]*}} step
// CHECK:         scf.for %{{.*}} = %c0{{[_0-9]*}} to %c6{{[_0-9]*}} step
// CHECK:         memref.load %{{.*}}[%{{.*}}, %c0{{.*}}, %{{.*}}] : memref<?x1x2x16x1x10xbf16>
// CHECK-NOT:     attention_dispatch_metadata
// CHECK:         return
func.func @attention_mla(%kv: !mla, %layer: index, %q: memref<?x4x10xbf16>, %offsets: memref<?xi32>, %out: memref<?x4x6xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.3 : f32} : !mla, memref<?x4x10xbf16>, memref<?xi32>, memref<?x4x6xbf16>
  return
}

// -----

// Without mla_num_partitions, an MLA attention reads num_partitions of its
// (3-entry) dispatch metadata.
!mla = !kvcache.inputs<kv_blocks: memref<?x1x2x16x1x10xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<3xi64>>
// CHECK-LABEL: func.func @attention_mla_metadata
// CHECK:         %[[META:.*]] = kvcache.get %{{.*}}[attention_dispatch_metadata]
// CHECK:         memref.load %[[META]][%c2] : memref<3xi64>
func.func @attention_mla_metadata(%kv: !mla, %layer: index, %q: memref<?x4x10xbf16>, %offsets: memref<?xi32>, %out: memref<?x4x6xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.3 : f32} : !mla, memref<?x4x10xbf16>, memref<?xi32>, memref<?x4x6xbf16>
  return
}

// -----

// A draft attention reads the draft model's metadata, the target's the
// target's.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>, draft_attention_dispatch_metadata: memref<4xi64>>
// CHECK-LABEL: func.func @attention_draft
// CHECK:         %[[DRAFT:.*]] = kvcache.get %{{.*}}[draft_attention_dispatch_metadata]
// CHECK:         memref.load %[[DRAFT]][%c2] : memref<4xi64>
// CHECK:         %[[TARGET:.*]] = kvcache.get %{{.*}}[attention_dispatch_metadata]
// CHECK:         memref.load %[[TARGET]][%c2{{.*}}] : memref<4xi64>
func.func @attention_draft(%kv: !kv, %layer: index, %q: memref<?x4x8xbf16>, %offsets: memref<?xi32>, %out: memref<?x4x8xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {draft} : !kv, memref<?x4x8xbf16>, memref<?xi32>, memref<?x4x8xbf16>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x4x8xbf16>, memref<?xi32>, memref<?x4x8xbf16>
  return
}
