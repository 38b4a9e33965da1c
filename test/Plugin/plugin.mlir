// The dialect and its passes through the STOCK mlir-opt, loaded as a plugin.
// RUN: %mlir-opt --load-dialect-plugin=%kvcache_plugin %s | %mlir-opt --load-dialect-plugin=%kvcache_plugin | FileCheck %s
// RUN: %mlir-opt --load-dialect-plugin=%kvcache_plugin --pass-pipeline='builtin.module(kvcache-expand-inputs)' %s | FileCheck %s --check-prefix=EXPAND
// RUN: %mlir-opt --load-pass-plugin=%kvcache_plugin --load-dialect-plugin=%kvcache_plugin --pass-pipeline='builtin.module(kvcache-drop-optional-fields{kernel-abi=true})' %s | FileCheck %s --check-prefix=KERNEL

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      kv_scales: memref<?x2x4x16x8x1xf32>,
                      attention_dispatch_metadata: memref<4xi64>>

// CHECK: ![[KV:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>, attention_dispatch_metadata: memref<4xi64>>{{$}}

// CHECK-LABEL: func.func @step(
// CHECK: %[[KV:.*]] = kvcache.inputs_per_device device(0) : ![[KV]]{{$}}
// CHECK: %[[DRAFT:.*]] = kvcache.inputs_per_device device(1) cache("draft") : ![[KV]]{{$}}
// CHECK: kvcache.get %[[KV]][lookup_table] : ![[KV]]{{$}}
// CHECK: kvcache.get %[[DRAFT]][kv_scales] : ![[KV]]{{$}}

// Expansion appends the fields of each declaration, in ABI order, annotated.
// EXPAND-LABEL: func.func @step(
// EXPAND-SAME: %{{[^:]*}}: memref<?xi32>,
// EXPAND-SAME: %{{[^:]*}}: memref<?x2x4x16x8x128xf8E4M3FN> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
// EXPAND-SAME: %{{[^:]*}}: memref<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
// EXPAND-SAME: %[[TABLE:[^:]*]]: memref<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
// EXPAND-SAME: %{{[^:]*}}: memref<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"},
// EXPAND-SAME: %{{[^:]*}}: memref<?x2x4x16x8x1xf32> {kvcache.device = 0 : i64, kvcache.field = "kv_scales"},
// EXPAND-SAME: %{{[^:]*}}: memref<4xi64> {kvcache.device = 0 : i64, kvcache.field = "attention_dispatch_metadata"},
// EXPAND-SAME: %{{[^:]*}}: memref<?x2x4x16x8x128xf8E4M3FN> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "kv_blocks"},
// EXPAND-SAME: %{{[^:]*}}: memref<?xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "cache_lengths"},
// EXPAND-SAME: %{{[^:]*}}: memref<?x?xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "lookup_table"},
// EXPAND-SAME: %{{[^:]*}}: memref<?x2xi32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "max_lengths"},
// EXPAND-SAME: %[[SCALES:[^:]*]]: memref<?x2x4x16x8x1xf32> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "kv_scales"},
// EXPAND-SAME: %{{[^:]*}}: memref<4xi64> {kvcache.cache = "draft", kvcache.device = 1 : i64, kvcache.field = "attention_dispatch_metadata"})
// EXPAND-NOT: kvcache.
// EXPAND: return %[[TABLE]], %[[SCALES]] :

// The kernel ABI drops the dispatch metadata; kv_scales stays (fp8 cache).
// KERNEL: ![[KV:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x8x128xf8E4M3FN>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, kv_scales: memref<?x2x4x16x8x1xf32>>{{$}}
// KERNEL-NOT: attention_dispatch_metadata
// KERNEL-LABEL: func.func @step(
// KERNEL: kvcache.inputs_per_device device(0) : ![[KV]]{{$}}
// KERNEL: kvcache.inputs_per_device device(1) cache("draft") : ![[KV]]{{$}}
func.func @step(%x: memref<?xi32>)
    -> (memref<?x?xi32>, memref<?x2x4x16x8x1xf32>) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %draft = kvcache.inputs_per_device device(1) cache("draft") : !kv
  %t = kvcache.get %kv[lookup_table] : !kv
  %s = kvcache.get %draft[kv_scales] : !kv
  return %t, %s : memref<?x?xi32>, memref<?x2x4x16x8x1xf32>
}

// CHECK-LABEL: func.func @pack(
// CHECK-SAME: %[[A:[^:]*]]: memref<?x2x4x16x8x128xf8E4M3FN>, %[[B:[^:]*]]: memref<?xi32>, %[[C:[^:]*]]: memref<?x?xi32>, %[[D:[^:]*]]: memref<?x2xi32>, %[[E:[^:]*]]: memref<?x2x4x16x8x1xf32>, %[[F:[^:]*]]: memref<4xi64>)
// CHECK: %[[P:.*]] = kvcache.pack %[[A]], %[[B]], %[[C]], %[[D]], %[[E]], %[[F]] : ![[KV]]{{$}}
// CHECK: kvcache.get %[[P]][cache_lengths] : ![[KV]]{{$}}

// KERNEL-LABEL: func.func @pack(
// KERNEL-SAME: %[[A:[^:]*]]: memref<?x2x4x16x8x128xf8E4M3FN>, %[[B:[^:]*]]: memref<?xi32>, %[[C:[^:]*]]: memref<?x?xi32>, %[[D:[^:]*]]: memref<?x2xi32>, %[[E:[^:]*]]: memref<?x2x4x16x8x1xf32>, %{{[^:]*}}: memref<4xi64>)
// KERNEL: kvcache.pack %[[A]], %[[B]], %[[C]], %[[D]], %[[E]] : ![[KV]]{{$}}

// EXPAND-LABEL: func.func @pack(
// EXPAND-SAME: %{{[^:]*}}: memref<?x2x4x16x8x128xf8E4M3FN>, %[[B:[^:]*]]: memref<?xi32>,
// EXPAND-NOT: kvcache.
// EXPAND: return %[[B]] : memref<?xi32>
func.func @pack(%a: memref<?x2x4x16x8x128xf8E4M3FN>, %b: memref<?xi32>,
                %c: memref<?x?xi32>, %d: memref<?x2xi32>,
                %e: memref<?x2x4x16x8x1xf32>, %f: memref<4xi64>)
    -> memref<?xi32> {
  %kv = kvcache.pack %a, %b, %c, %d, %e, %f : !kv
  %l = kvcache.get %kv[cache_lengths] : !kv
  return %l : memref<?xi32>
}
