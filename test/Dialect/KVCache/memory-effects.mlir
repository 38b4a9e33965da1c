// The memref forms of kvcache.store and kvcache.attention declare their memory
// effects: reads of their inputs, a write of `out`, and the cache's reads and
// writes on the bundle operand (KVCacheOps.td says why).
// RUN: kvcache-opt %s -split-input-file -cse | FileCheck %s --check-prefix=CSE
// RUN: kvcache-opt %s -split-input-file -canonicalize | FileCheck %s --check-prefix=CANON
// RUN: kvcache-opt %s -split-input-file -affine-scalrep | FileCheck %s --check-prefix=SCALREP
// RUN: kvcache-opt %s -split-input-file -buffer-deallocation-pipeline | FileCheck %s --check-prefix=DEALLOC
// The same through the stock mlir-opt with the plugin.
// RUN: %mlir-opt --load-dialect-plugin=%kvcache_plugin %s -split-input-file -buffer-deallocation-pipeline | FileCheck %s --check-prefix=DEALLOC

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// Two identical attentions with a store of the same cache between them stay
// two, and so do two identical reads of a field around the store.
// CSE-LABEL: func.func @attention_store_attention
// CSE: memref.load
// CSE-NEXT: kvcache.attention
// CSE-NEXT: kvcache.store
// CSE-NEXT: kvcache.attention
// CSE-NEXT: memref.load
// Nothing without a result is dead: the store and attentions stay.
// CANON-LABEL: func.func @attention_store_attention
// CANON: kvcache.attention
// CANON-NEXT: kvcache.store
// CANON-NEXT: kvcache.attention
func.func @attention_store_attention(%kv: !kv, %layer: index,
    %key: memref<?x8x128xbf16>, %value: memref<?x8x128xbf16>,
    %q: memref<?x32x128xbf16>, %offsets: memref<?xi32>,
    %out: memref<?x32x128xbf16>) -> (i32, i32) {
  %c0 = arith.constant 0 : index
  %lengths = kvcache.get %kv[cache_lengths] : !kv
  %before = memref.load %lengths[%c0] : memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  %after = memref.load %lengths[%c0] : memref<?xi32>
  return %before, %after : i32, i32
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// Alias analysis: a read of a field after a store is not forwarded across it
// (the bundle may alias its fields), while a buffer allocated here, which the
// argument bundle cannot hold, is.
// SCALREP-LABEL: func.func @forwarding
// SCALREP: %[[BLOCKS:.*]] = kvcache.get
// SCALREP: %[[BEFORE:.*]] = affine.load %[[BLOCKS]]
// SCALREP: kvcache.store
// SCALREP: %[[AFTER:.*]] = affine.load %[[BLOCKS]]
// SCALREP-NOT: affine.load
// SCALREP: return %[[BEFORE]], %[[AFTER]], %{{.*}} : bf16, bf16, f32
func.func @forwarding(%kv: !kv, %layer: index, %key: memref<?x8x128xbf16>,
    %value: memref<?x8x128xbf16>, %offsets: memref<?xi32>,
    %x: f32) -> (bf16, bf16, f32) {
  %blocks = kvcache.get %kv[kv_blocks] : !kv
  %before = affine.load %blocks[0, 0, 0, 0, 0, 0] : memref<?x2x32x128x8x128xbf16>
  %scratch = memref.alloc() : memref<4xf32>
  affine.store %x, %scratch[0] : memref<4xf32>
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  %after = affine.load %blocks[0, 0, 0, 0, 0, 0] : memref<?x2x32x128x8x128xbf16>
  %y = affine.load %scratch[0] : memref<4xf32>
  return %before, %after, %y : bf16, bf16, f32
}

// A buffer allocated here and packed into a bundle is the cache the store
// writes: the value stored before is not forwarded to the load after.
// SCALREP-LABEL: func.func @packed_allocation
// SCALREP: %[[BLOCKS:.*]] = memref.alloc
// SCALREP: affine.store %{{.*}}, %[[BLOCKS]]
// SCALREP: kvcache.store
// SCALREP: %[[AFTER:.*]] = affine.load %[[BLOCKS]]
// SCALREP: return %[[AFTER]]
func.func @packed_allocation(%pages: index, %lengths: memref<?xi32>,
    %table: memref<?x?xi32>, %max: memref<?x2xi32>, %meta: memref<4xi64>,
    %layer: index, %key: memref<?x8x128xbf16>, %value: memref<?x8x128xbf16>,
    %offsets: memref<?xi32>, %x: bf16) -> bf16 {
  %blocks = memref.alloc(%pages) : memref<?x2x32x128x8x128xbf16>
  affine.store %x, %blocks[0, 0, 0, 0, 0, 0] : memref<?x2x32x128x8x128xbf16>
  %kv = kvcache.pack %blocks, %lengths, %table, %max, %meta : !kv
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  %y = affine.load %blocks[0, 0, 0, 0, 0, 0] : memref<?x2x32x128x8x128xbf16>
  return %y : bf16
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// Ownership-based buffer deallocation accepts the kvcache ops and frees an
// allocated `out` after its last use.
// DEALLOC-LABEL: func.func @allocated_out
// DEALLOC: kvcache.store
// DEALLOC: %[[OUT:.*]] = memref.alloc
// DEALLOC: kvcache.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[OUT]]
// DEALLOC: memref.copy %[[OUT]]
// DEALLOC-NEXT: memref.dealloc %[[OUT]]
// DEALLOC-NEXT: return
func.func @allocated_out(%kv: !kv, %layer: index, %key: memref<?x8x128xbf16>,
    %value: memref<?x8x128xbf16>, %q: memref<?x32x128xbf16>,
    %offsets: memref<?xi32>, %result: memref<?x32x128xbf16>) {
  %c0 = arith.constant 0 : index
  %tokens = memref.dim %q, %c0 : memref<?x32x128xbf16>
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, memref<?x8x128xbf16>, memref<?x8x128xbf16>, memref<?xi32>
  %out = memref.alloc(%tokens) : memref<?x32x128xbf16>
  kvcache.attention %kv, %layer, %q, %offsets, %out : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  memref.copy %out, %result : memref<?x32x128xbf16> to memref<?x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// The tensor forms keep the cache effects on the bundle: two identical
// attentions with a store between stay two, two without one become one, and
// an attention whose result is unused is dead (it only reads).
// CSE-LABEL: func.func @tensor_forms
// CSE: %[[A:.*]] = kvcache.attention
// CSE-NEXT: kvcache.store
// CSE-NEXT: %[[B:.*]] = kvcache.attention
// CSE-NEXT: return %[[A]], %[[B]], %[[B]]
// CANON-LABEL: func.func @tensor_forms
// CANON: kvcache.attention
// CANON-NEXT: kvcache.store
// CANON-NEXT: kvcache.attention
// CANON-NEXT: kvcache.attention
// CANON-NEXT: return
func.func @tensor_forms(%kv: !kv, %layer: index,
    %key: tensor<?x8x128xbf16>, %value: tensor<?x8x128xbf16>,
    %q: tensor<?x32x128xbf16>, %offsets: tensor<?xi32>,
    %init: tensor<?x32x128xbf16>)
    -> (tensor<?x32x128xbf16>, tensor<?x32x128xbf16>, tensor<?x32x128xbf16>) {
  %a = kvcache.attention %kv, %layer, %q, %offsets, %init : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16> -> tensor<?x32x128xbf16>
  kvcache.store %kv, %layer, %key, %value, %offsets : !kv, tensor<?x8x128xbf16>, tensor<?x8x128xbf16>, tensor<?xi32>
  %b = kvcache.attention %kv, %layer, %q, %offsets, %init : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16> -> tensor<?x32x128xbf16>
  %c = kvcache.attention %kv, %layer, %q, %offsets, %init : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16> -> tensor<?x32x128xbf16>
  %unused = kvcache.attention %kv, %layer, %q, %offsets, %init {causal} : !kv, tensor<?x32x128xbf16>, tensor<?xi32>, tensor<?x32x128xbf16> -> tensor<?x32x128xbf16>
  return %a, %b, %c : tensor<?x32x128xbf16>, tensor<?x32x128xbf16>, tensor<?x32x128xbf16>
}

// -----

// A declaration is never dead: it writes its function's flat signature.
// CANON-LABEL: func.func @unused_declaration
// CANON-NEXT: kvcache.inputs_per_device
!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @unused_declaration() {
  %kv = kvcache.inputs_per_device device(0) : !kv
  return
}
