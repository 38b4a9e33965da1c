// one-shot-bufferize turns the tensor forms of the kvcache ops and bundles
// with tensor fields into the memref graph the lowerings read.
// RUN: kvcache-opt %s -split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s
// Deallocation accepts the result.
// RUN: kvcache-opt %s -split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --buffer-deallocation-pipeline | FileCheck %s --check-prefix=DEALLOC
// The same through the stock mlir-opt with the plugin.
// RUN: %mlir-opt --load-dialect-plugin=%kvcache_plugin %s -split-input-file --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" | FileCheck %s

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// A tensor.empty init becomes an allocation the attention writes, not a copy;
// an init that is an argument is written in place.
// CHECK-LABEL: func.func @step(
// CHECK-SAME: %[[K:[^:]*]]: memref<?x2x64xf32>, %[[V:[^:]*]]: memref<?x2x64xf32>, %[[Q:[^:]*]]: memref<?x4x64xf32>, %[[R:[^:]*]]: memref<?xi32>, %[[OUT:[^:]*]]: memref<?x4x64xf32>)
// CHECK-SAME: -> (memref<?x4x64xf32>, memref<?x4x64xf32>)
// CHECK-NOT: memref.copy
// CHECK: kvcache.store %[[KV:.*]], %{{.*}}, %[[K]], %[[V]], %[[R]] : !kv, memref<?x2x64xf32>, memref<?x2x64xf32>, memref<?xi32>
// CHECK: %[[ALLOC:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?x4x64xf32>
// CHECK-NOT: memref.copy
// CHECK: kvcache.attention %[[KV]], %{{.*}}, %[[Q]], %[[R]], %[[ALLOC]] {causal, scale = 5.000000e-01 : f32} : !kv, memref<?x4x64xf32>, memref<?xi32>, memref<?x4x64xf32>{{$}}
// CHECK-NOT: memref.copy
// CHECK: kvcache.attention %[[KV]], %{{.*}}, %[[Q]], %[[R]], %[[OUT]] : !kv, memref<?x4x64xf32>, memref<?xi32>, memref<?x4x64xf32>{{$}}
// CHECK-NOT: memref.copy
// CHECK: return %[[ALLOC]], %[[OUT]]
// DEALLOC-LABEL: func.func @step(
// DEALLOC-NOT: bufferization.dealloc
// DEALLOC: return
func.func @step(%key: tensor<?x2x64xf32>, %value: tensor<?x2x64xf32>,
                %q: tensor<?x4x64xf32>, %offsets: tensor<?xi32>,
                %out: tensor<?x4x64xf32>) -> (tensor<?x4x64xf32>, tensor<?x4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %kv = kvcache.inputs_per_device device(0) : !kv
  kvcache.store %kv, %c1, %key, %value, %offsets : !kv, tensor<?x2x64xf32>, tensor<?x2x64xf32>, tensor<?xi32>
  %n = tensor.dim %q, %c0 : tensor<?x4x64xf32>
  %empty = tensor.empty(%n) : tensor<?x4x64xf32>
  %a = kvcache.attention %kv, %c1, %q, %offsets, %empty {causal, scale = 0.5 : f32} : !kv, tensor<?x4x64xf32>, tensor<?xi32>, tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  %b = kvcache.attention %kv, %c1, %q, %offsets, %out : !kv, tensor<?x4x64xf32>, tensor<?xi32>, tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  return %a, %b : tensor<?x4x64xf32>, tensor<?x4x64xf32>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// An attention result that is only read inside the function is freed after
// its last read.
// DEALLOC-LABEL: func.func @local(
// DEALLOC: %[[ALLOC:.*]] = memref.alloc
// DEALLOC: kvcache.attention %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ALLOC]]
// DEALLOC: memref.load %[[ALLOC]]
// DEALLOC: memref.dealloc %[[ALLOC]]
// DEALLOC: return
func.func @local(%q: tensor<?x4x64xf32>, %offsets: tensor<?xi32>) -> f32 {
  %c0 = arith.constant 0 : index
  %kv = kvcache.inputs_per_device device(0) : !kv
  %n = tensor.dim %q, %c0 : tensor<?x4x64xf32>
  %empty = tensor.empty(%n) : tensor<?x4x64xf32>
  %a = kvcache.attention %kv, %c0, %q, %offsets, %empty : !kv, tensor<?x4x64xf32>, tensor<?xi32>, tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  %x = tensor.extract %a[%c0, %c0, %c0] : tensor<?x4x64xf32>
  return %x : f32
}

// -----

!kvt = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>

// A bundle with tensor fields: the declaration takes the memref type, a get
// of a tensor field reads the memref, and a write to that field is made on a
// copy (the cache's own buffer is not written).
// CHECK: ![[KVM:kv[0-9]*]] = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
// CHECK-LABEL: func.func @tensor_fields(
// CHECK: %[[KV:.*]] = kvcache.inputs_per_device device(0) : ![[KVM]]
// CHECK: %[[LENGTHS:.*]] = kvcache.get %[[KV]][cache_lengths] : ![[KVM]]
// CHECK: memref.load %[[LENGTHS]]
// CHECK: %[[COPY:.*]] = memref.alloc
// CHECK: memref.copy %[[LENGTHS]], %[[COPY]]
// CHECK: memref.store %{{.*}}, %[[COPY]]
// CHECK: kvcache.attention %[[KV]], {{.*}} : ![[KVM]], memref<?x4x64xf32>, memref<?xi32>, memref<?x4x64xf32>{{$}}
// CHECK: return %{{.*}}, %{{.*}}, %[[COPY]]
func.func @tensor_fields(%q: tensor<?x4x64xf32>, %offsets: tensor<?xi32>, %out: tensor<?x4x64xf32>) -> (tensor<?x4x64xf32>, i32, tensor<?xi32>) {
  %c0 = arith.constant 0 : index
  %c7 = arith.constant 7 : i32
  %kv = kvcache.inputs_per_device device(0) : !kvt
  %lengths = kvcache.get %kv[cache_lengths] : !kvt
  %l0 = tensor.extract %lengths[%c0] : tensor<?xi32>
  %w = tensor.insert %c7 into %lengths[%c0] : tensor<?xi32>
  %o = kvcache.attention %kv, %c0, %q, %offsets, %out : !kvt, tensor<?x4x64xf32>, tensor<?xi32>, tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  return %o, %l0, %w : tensor<?x4x64xf32>, i32, tensor<?xi32>
}

// -----

!kvt = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>

// Flattened first: the pack holds the field arguments that are only read as
// they are; one that is also written (cache_lengths, by the insert) it holds
// as a copy taken before the write, so the attention that reads the bundle
// after it still sees the runtime's cache_lengths.
// CHECK-LABEL: func.func @flattened(
// CHECK-SAME: %[[LENGTHS:[^:]*]]: memref<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"}
// CHECK-SAME: %[[TABLE:[^:]*]]: memref<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"}
// CHECK-SAME: %[[MAX:[^:]*]]: memref<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"}
// CHECK: %[[COPY:.*]] = memref.alloc
// CHECK: memref.copy %[[LENGTHS]], %[[COPY]]
// CHECK-NOT: memref.copy
// CHECK: %[[KV:.*]] = kvcache.pack %{{[^,]*}}, %[[COPY]], %[[TABLE]], %[[MAX]] : !kv
// CHECK: memref.load %[[TABLE]]
// CHECK: memref.store %{{.*}}, %[[LENGTHS]]
// CHECK: kvcache.attention %[[KV]],
// CHECK: return %{{.*}}, %[[LENGTHS]]
func.func @flattened(%q: tensor<?x4x64xf32>, %offsets: tensor<?xi32>, %out: tensor<?x4x64xf32>,
    %blocks: memref<?x2x4x16x2x64xf32> {kvcache.device = 0 : i64, kvcache.field = "kv_blocks"},
    %lengths: tensor<?xi32> {kvcache.device = 0 : i64, kvcache.field = "cache_lengths"},
    %table: tensor<?x?xi32> {kvcache.device = 0 : i64, kvcache.field = "lookup_table"},
    %max: tensor<?x2xi32> {kvcache.device = 0 : i64, kvcache.field = "max_lengths"})
    -> (tensor<?x4x64xf32>, tensor<?xi32>, i32) {
  %c0 = arith.constant 0 : index
  %c7 = arith.constant 7 : i32
  %kv = kvcache.pack %blocks, %lengths, %table, %max : !kvt
  %t0 = tensor.extract %table[%c0, %c0] : tensor<?x?xi32>
  %w = tensor.insert %c7 into %lengths[%c0] : tensor<?xi32>
  %o = kvcache.attention %kv, %c0, %q, %offsets, %out : !kvt, tensor<?x4x64xf32>, tensor<?xi32>, tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  return %o, %w, %t0 : tensor<?x4x64xf32>, tensor<?xi32>, i32
}

// -----

!kvt = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: tensor<?xi32>, lookup_table: tensor<?x?xi32>, max_lengths: tensor<?x2xi32>>

// A packed tensor that may be written in place after the pack (here it is
// written: the fill's destination) is packed as a copy, taken before that
// write.
// CHECK-LABEL: func.func @computed(
// CHECK-SAME: memref<?x2x4x16x2x64xf32>, %[[LENGTHS:[^:]*]]: memref<?xi32>,
// CHECK: %[[COPY:.*]] = memref.alloc
// CHECK: memref.copy %[[LENGTHS]], %[[COPY]]
// CHECK: %[[KV:.*]] = kvcache.pack %{{[^,]*}}, %[[COPY]], %{{[^,]*}}, %{{[^,]*}} : !kv
// CHECK: linalg.fill {{.*}} outs(%[[LENGTHS]] : memref<?xi32>)
// CHECK: kvcache.attention %[[KV]],
func.func @computed(%q: tensor<?x4x64xf32>, %offsets: tensor<?xi32>, %out: tensor<?x4x64xf32>,
    %blocks: memref<?x2x4x16x2x64xf32>, %lengths: tensor<?xi32>,
    %table: tensor<?x?xi32>, %max: tensor<?x2xi32>) -> (tensor<?x4x64xf32>, tensor<?xi32>) {
  %c0 = arith.constant 0 : index
  %c7 = arith.constant 7 : i32
  %kv = kvcache.pack %blocks, %lengths, %table, %max : !kvt
  %w = linalg.fill ins(%c7 : i32) outs(%lengths : tensor<?xi32>) -> tensor<?xi32>
  %o = kvcache.attention %kv, %c0, %q, %offsets, %out : !kvt, tensor<?x4x64xf32>, tensor<?xi32>, tensor<?x4x64xf32> -> tensor<?x4x64xf32>
  return %o, %w : tensor<?x4x64xf32>, tensor<?xi32>
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// Slices bufferize to strided views, but the kernels read and write rows
// contiguously: the key and value halves of a fused projection are copied to
// identity-layout buffers, and an `out` that is a slice of a larger result
// is computed contiguously, then copied into the slice.
// CHECK-LABEL: func.func @fused_kv(
// CHECK-SAME: %[[KV2:[^:]*]]: memref<6x2x2x64xf32>, %[[Q:[^:]*]]: memref<6x4x64xf32>, %[[R:[^:]*]]: memref<?xi32>, %[[BIG:[^:]*]]: memref<6x8x64xf32>)
// CHECK: %[[KS:.*]] = memref.subview %[[KV2]][0, 0, 0, 0] [6, 1, 2, 64] [1, 1, 1, 1]
// CHECK: %[[VS:.*]] = memref.subview %[[KV2]][0, 1, 0, 0] [6, 1, 2, 64] [1, 1, 1, 1]
// CHECK: %[[KC:.*]] = memref.alloc() {{.*}} : memref<6x2x64xf32>
// CHECK: memref.copy %[[KS]], %[[KC]] : memref<6x2x64xf32, strided<[256, 64, 1]>> to memref<6x2x64xf32>
// CHECK: %[[VC:.*]] = memref.alloc() {{.*}} : memref<6x2x64xf32>
// CHECK: memref.copy %[[VS]], %[[VC]] : memref<6x2x64xf32, strided<[256, 64, 1], offset: 128>> to memref<6x2x64xf32>
// CHECK: kvcache.store %{{.*}}, %{{.*}}, %[[KC]], %[[VC]], %[[R]] : !kv, memref<6x2x64xf32>, memref<6x2x64xf32>, memref<?xi32>
// CHECK: %[[OS:.*]] = memref.subview %[[BIG]][0, 4, 0] [6, 4, 64] [1, 1, 1]
// CHECK: %[[OC:.*]] = memref.alloc() {{.*}} : memref<6x4x64xf32>
// CHECK: kvcache.attention %{{.*}}, %{{.*}}, %[[Q]], %[[R]], %[[OC]] : !kv, memref<6x4x64xf32>, memref<?xi32>, memref<6x4x64xf32>{{$}}
// CHECK: memref.copy %[[OC]], %[[OS]] : memref<6x4x64xf32> to memref<6x4x64xf32, strided<[512, 64, 1], offset: 256>>
// CHECK: return %[[BIG]]
func.func @fused_kv(%kv2: tensor<6x2x2x64xf32>, %q: tensor<6x4x64xf32>,
                    %offsets: tensor<?xi32>, %big: tensor<6x8x64xf32>) -> tensor<6x8x64xf32> {
  %c1 = arith.constant 1 : index
  %kv = kvcache.inputs_per_device device(0) : !kv
  %key = tensor.extract_slice %kv2[0, 0, 0, 0] [6, 1, 2, 64] [1, 1, 1, 1] : tensor<6x2x2x64xf32> to tensor<6x2x64xf32>
  %value = tensor.extract_slice %kv2[0, 1, 0, 0] [6, 1, 2, 64] [1, 1, 1, 1] : tensor<6x2x2x64xf32> to tensor<6x2x64xf32>
  kvcache.store %kv, %c1, %key, %value, %offsets : !kv, tensor<6x2x64xf32>, tensor<6x2x64xf32>, tensor<?xi32>
  %slot = tensor.extract_slice %big[0, 4, 0] [6, 4, 64] [1, 1, 1] : tensor<6x8x64xf32> to tensor<6x4x64xf32>
  %o = kvcache.attention %kv, %c1, %q, %offsets, %slot : !kv, tensor<6x4x64xf32>, tensor<?xi32>, tensor<6x4x64xf32> -> tensor<6x4x64xf32>
  %r = tensor.insert_slice %o into %big[0, 4, 0] [6, 4, 64] [1, 1, 1] : tensor<6x4x64xf32> into tensor<6x8x64xf32>
  return %r : tensor<6x8x64xf32>
}

// -----

!mla = !kvcache.inputs<kv_blocks: memref<?x1x4x16x1x40xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// An MLA store has no value operand; its attention writes value_dim lanes.
// CHECK-LABEL: func.func @mla(
// CHECK-SAME: %[[LATENT:[^:]*]]: memref<?x1x40xf32>, %[[Q:[^:]*]]: memref<?x8x40xf32>, %[[R:[^:]*]]: memref<?xi32>, %[[OUT:[^:]*]]: memref<?x8x32xf32>)
// CHECK: kvcache.store %[[KV:[^,]*]], %{{[^,]*}}, %[[LATENT]], %[[R]] : !kv{{[0-9]*}}, memref<?x1x40xf32>, memref<?xi32>
// CHECK: kvcache.attention %[[KV]], %{{.*}}, %[[Q]], %[[R]], %[[OUT]] {scale = 2.500000e-01 : f32} : !kv{{[0-9]*}}, memref<?x8x40xf32>, memref<?xi32>, memref<?x8x32xf32>{{$}}
func.func @mla(%latent: tensor<?x1x40xf32>, %q: tensor<?x8x40xf32>,
               %offsets: tensor<?xi32>, %out: tensor<?x8x32xf32>) -> tensor<?x8x32xf32> {
  %c1 = arith.constant 1 : index
  %kv = kvcache.inputs_per_device device(0) : !mla
  kvcache.store %kv, %c1, %latent, %offsets : !mla, tensor<?x1x40xf32>, tensor<?xi32>
  %a = kvcache.attention %kv, %c1, %q, %offsets, %out {scale = 0.25 : f32} : !mla, tensor<?x8x40xf32>, tensor<?xi32>, tensor<?x8x32xf32> -> tensor<?x8x32xf32>
  return %a : tensor<?x8x32xf32>
}
