// RUN: kvcache-opt %s --kvcache-check-device-placement --split-input-file -verify-diagnostics --allow-unregistered-dialect

// The GPU target runs only kvcache ops on device memory: any other op that
// reads or writes a device-placed value (a memref argument, a device-placed
// cache field, or a view of one) is refused, naming the op and the value,
// with a note where the value is placed (one expected-note matches each copy
// of it).

// expected-note@+1 {{'q' is argument 0 of '@matmul'}}
func.func @matmul(%q: memref<4x8xf32> {kvcache.name = "q"},
                  %w: memref<8x8xf32> {kvcache.name = "w"},
                  %out: memref<4x8xf32> {kvcache.name = "out"}) {
  // expected-error@+1 {{'linalg.matmul' op reads 'q' (device-placed: the GPU target runs only kvcache ops on device memory); lower the op to a GPU kernel first, or compile for the CPU}}
  linalg.matmul ins(%q, %w : memref<4x8xf32>, memref<8x8xf32>)
                outs(%out : memref<4x8xf32>)
  return
}

// -----

// A load through views; the arith on the loaded value is host code on a
// host value, the load is what reads device memory.
// expected-note@+1 {{'q' is argument 0 of '@through_views'}}
func.func @through_views(%q: memref<?x8xf32> {kvcache.name = "q"},
                         %i: index {kvcache.name = "i"}) -> () {
  %c0 = arith.constant 0 : index
  %view = memref.subview %q[0, 0] [2, 8] [1, 1]
      : memref<?x8xf32> to memref<2x8xf32, strided<[8, 1]>>
  %cast = memref.cast %view : memref<2x8xf32, strided<[8, 1]>> to memref<?x8xf32, strided<[8, 1]>>
  %flat = memref.reinterpret_cast %cast to offset: [0], sizes: [16], strides: [1]
      : memref<?x8xf32, strided<[8, 1]>> to memref<16xf32>
  %rows = memref.expand_shape %flat [[0, 1]] output_shape [2, 8]
      : memref<16xf32> into memref<2x8xf32>
  %back = memref.collapse_shape %rows [[0, 1]] : memref<2x8xf32> into memref<16xf32>
  // expected-error@+1 {{'memref.load' op reads 'q' (device-placed}}
  %x = memref.load %back[%i] : memref<16xf32>
  %y = arith.addf %x, %x : f32
  return
}

// -----

// expected-note@+1 {{'out' is argument 0 of '@writes'}}
func.func @writes(%out: memref<4xf32> {kvcache.name = "out"}, %v: f32 {kvcache.name = "v"}) {
  %c0 = arith.constant 0 : index
  // expected-error@+1 {{'memref.store' op writes 'out' (device-placed}}
  memref.store %v, %out[%c0] : memref<4xf32>
  return
}

// -----

// expected-note@+1 {{'x' is argument 0 of '@copy_and_free'}}
func.func @copy_and_free(%x: memref<4xf32> {kvcache.name = "x"}, %y: memref<4xf32> {kvcache.name = "y"}) {
  // expected-error@+1 {{'memref.copy' op reads 'x' (device-placed}}
  memref.copy %x, %y : memref<4xf32> to memref<4xf32>
  // expected-error@+1 {{'memref.dealloc' op frees 'x' (device-placed}}
  memref.dealloc %x : memref<4xf32>
  return
}

// -----

func.func private @host_library(memref<4xf32>)

// expected-note@+1 {{'x' is argument 0 of '@external_call'}}
func.func @external_call(%x: memref<4xf32> {kvcache.name = "x"}) {
  // expected-error@+1 {{'func.call' op passes 'x' (device-placed: the GPU target runs only kvcache ops on device memory) to @host_library, which has no body in the module and would run on the host; compile for the CPU}}
  func.call @host_library(%x) : (memref<4xf32>) -> ()
  return
}

// -----

// expected-note@+1 {{'x' is argument 0 of '@unknown_effects'}}
func.func @unknown_effects(%x: memref<4xf32> {kvcache.name = "x"}) {
  // expected-error@+1 {{'test.opaque' op may read or write 'x' (device-placed: the GPU target runs only kvcache ops on device memory), and declares no memory effects}}
  "test.opaque"(%x) : (memref<4xf32>) -> ()
  return
}

// -----

// Followed into the module's functions: the callee's body is checked with
// its argument device-placed, and what it returns is device-placed too.
func.func private @reads(%m: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error@+1 {{'memref.load' op reads 'x' (device-placed}}
  %v = memref.load %m[%c0] : memref<4xf32>
  return %v : f32
}

func.func private @view(%m: memref<4xf32>) -> memref<2xf32, strided<[1], offset: 2>> {
  %s = memref.subview %m[2] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 2>>
  return %s : memref<2xf32, strided<[1], offset: 2>>
}

// expected-note@+1 {{'x' is argument 0 of '@through_calls'}}
func.func @through_calls(%x: memref<4xf32> {kvcache.name = "x"}) {
  %c0 = arith.constant 0 : index
  %a = func.call @reads(%x) : (memref<4xf32>) -> f32
  %s = func.call @view(%x) : (memref<4xf32>) -> memref<2xf32, strided<[1], offset: 2>>
  // expected-error@+1 {{'memref.load' op reads 'x' (device-placed}}
  %b = memref.load %s[%c0] : memref<2xf32, strided<[1], offset: 2>>
  return
}

// -----

// Through scf and cf control flow.
// expected-note@+1 {{'x' is argument 0 of '@control_flow'}}
func.func @control_flow(%x: memref<4xf32> {kvcache.name = "x"},
                        %y: memref<4xf32> {kvcache.name = "y"},
                        %n: index {kvcache.name = "n"}, %c: i1 {kvcache.name = "c"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%m = %x) -> (memref<4xf32>) {
    scf.yield %m : memref<4xf32>
  }
  // expected-error@+1 {{'memref.load' op reads 'x' (device-placed}}
  %a = memref.load %r[%c0] : memref<4xf32>
  %s = scf.if %c -> (memref<4xf32>) {
    %v = memref.cast %x : memref<4xf32> to memref<4xf32>
    scf.yield %v : memref<4xf32>
  } else {
    %alloc = memref.alloc() : memref<4xf32>
    scf.yield %alloc : memref<4xf32>
  }
  // expected-error@+1 {{'memref.load' op reads 'x' (device-placed}}
  %b = memref.load %s[%c0] : memref<4xf32>
  cf.br ^next(%x : memref<4xf32>)
^next(%m2: memref<4xf32>):
  // expected-error@+1 {{'memref.load' op reads 'x' (device-placed}}
  %d = memref.load %m2[%c0] : memref<4xf32>
  return
}

// -----

// Cache fields are placed by the ABI: in a bundle (named by the
// declaration's device and cache) and as flat arguments.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>
func.func @bundle_fields(%i: index {kvcache.name = "i"}) {
  %c0 = arith.constant 0 : index
  %kv = kvcache.inputs_per_device device(0) : !kv
  // expected-note@+1 {{'lookup_table' is read from the bundle here}}
  %table = kvcache.get %kv[lookup_table] : !kv
  // expected-error@+1 {{'memref.load' op reads 'lookup_table' (device-placed}}
  %page = memref.load %table[%i, %c0] : memref<?x?xi32>
  %draft = kvcache.inputs_per_device device(1) cache("draft") : !kv
  // expected-note@+1 {{'draft.d1.cache_lengths' is read from the bundle here}}
  %lengths = kvcache.get %draft[cache_lengths] : !kv
  // expected-error@+1 {{'memref.load' op reads 'draft.d1.cache_lengths' (device-placed}}
  %length = memref.load %lengths[%i] : memref<?xi32>
  return
}

// -----

// expected-note@+1 {{'cache_lengths' is argument 0 of '@flat_fields'}}
func.func @flat_fields(%lengths: memref<?xi32> {kvcache.field = "cache_lengths", kvcache.device = 0 : i64},
                       %blocks: memref<?x1x1x16x1x576xbf16> {kvcache.field = "kv_blocks", kvcache.device = 0 : i64},
                       // expected-note@+1 {{'attention_dispatch_metadata' is argument 2 of '@flat_fields'}}
                       %metadata: memref<3xi64> {kvcache.field = "attention_dispatch_metadata", kvcache.device = 0 : i64}) {
  %c0 = arith.constant 0 : index
  // expected-error@+1 {{'memref.load' op reads 'cache_lengths' (device-placed}}
  %a = memref.load %lengths[%c0] : memref<?xi32>
  // An MLA cache's dispatch metadata is device-placed.
  // expected-error@+1 {{'memref.load' op reads 'attention_dispatch_metadata' (device-placed}}
  %b = memref.load %metadata[%c0] : memref<3xi64>
  return
}

// -----

// Tensors of device-placed memory: only measured, reshaped, sliced or
// turned back into memrefs.
// expected-note@+1 {{'x' is argument 0 of '@tensors'}}
func.func @tensors(%x: memref<4x8xf32> {kvcache.name = "x"}, %i: index {kvcache.name = "i"}) {
  %t = bufferization.to_tensor %x : memref<4x8xf32> to tensor<4x8xf32>
  %c0 = arith.constant 0 : index
  %d = tensor.dim %t, %c0 : tensor<4x8xf32>
  %s = tensor.extract_slice %t[0, 0] [2, 8] [1, 1] : tensor<4x8xf32> to tensor<2x8xf32>
  // expected-error@+1 {{'tensor.extract' op reads 'x' (device-placed}}
  %e = tensor.extract %s[%i, %i] : tensor<2x8xf32>
  %init = tensor.empty() : tensor<2x8xf32>
  // expected-error@+1 {{'linalg.copy' op reads 'x' (device-placed}}
  %c = linalg.copy ins(%s : tensor<2x8xf32>) outs(%init : tensor<2x8xf32>) -> tensor<2x8xf32>
  %m = bufferization.to_buffer %s : tensor<2x8xf32> to memref<2x8xf32>
  return
}

// -----

// Accepted: what the host may do with device-placed values (read a
// descriptor, make views, pass them to kvcache ops, to the module's
// functions and through control flow, hand them to device code), and
// anything on host-placed values: max_lengths, the MHA dispatch metadata,
// scalars such as the layer index.
!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

func.func private @layer(%kv: !kv, %layer: index, %q: memref<?x4x128xbf16>,
                         %key: memref<?x2x128xbf16>, %value: memref<?x2x128xbf16>,
                         %offsets: memref<?xi32>, %out: memref<?x4x128xbf16>) {
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x128xbf16>, memref<?x2x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !kv, memref<?x4x128xbf16>, memref<?xi32>, memref<?x4x128xbf16>
  return
}

func.func @accepted(%q: memref<?x4x128xbf16> {kvcache.name = "q"},
                    %key: memref<?x2x128xbf16> {kvcache.name = "key"},
                    %value: memref<?x2x128xbf16> {kvcache.name = "value"},
                    %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                    %out: memref<?x4x128xbf16> {kvcache.name = "out"},
                    %layers: index {kvcache.name = "layers"},
                    %flat_max: memref<?x2xi32> {kvcache.field = "max_lengths", kvcache.device = 1 : i64}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %kv = kvcache.inputs_per_device device(0) : !kv
  %max = kvcache.get %kv[max_lengths] : !kv
  %longest = memref.load %max[%c0, %c0] : memref<?x2xi32>
  %metadata = kvcache.get %kv[attention_dispatch_metadata] : !kv
  %splits = memref.load %metadata[%c1] : memref<4xi64>
  %flat = memref.load %flat_max[%c0, %c1] : memref<?x2xi32>
  %rows = memref.dim %q, %c0 : memref<?x4x128xbf16>
  %base, %offset, %sizes:3, %strides:3 = memref.extract_strided_metadata %q
      : memref<?x4x128xbf16> -> memref<bf16>, index, index, index, index, index, index, index
  %n = arith.addi %layers, %rows : index
  scf.for %l = %c0 to %layers step %c1 {
    %view = memref.subview %q[0, 0, 0] [%rows, 4, 128] [1, 1, 1]
        : memref<?x4x128xbf16> to memref<?x4x128xbf16, strided<[512, 128, 1]>>
    %same = memref.cast %view : memref<?x4x128xbf16, strided<[512, 128, 1]>> to memref<?x4x128xbf16>
    func.call @layer(%kv, %l, %same, %key, %value, %offsets, %out)
        : (!kv, index, memref<?x4x128xbf16>, memref<?x2x128xbf16>,
           memref<?x2x128xbf16>, memref<?xi32>, memref<?x4x128xbf16>) -> ()
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %q[%c0, %c0, %c0] : memref<?x4x128xbf16>
    memref.store %v, %out[%c0, %c0, %c0] : memref<?x4x128xbf16>
    gpu.terminator
  }
  return
}
