// Host code over host-placed values is what a GPU graph is made of, and
// kvcache-check-device-placement lets it through: a loop over layers (a
// scalar argument), reads of max_lengths and of the MHA dispatch metadata
// (host-placed by the ABI), arithmetic on them, a memref.dim of a
// device-placed q (its descriptor is on the host), and device-placed values
// passed through a loop's iter_args and a private function to the kvcache ops.
// Compiled for the simulator (the same GPU lowering as sm_90a, no ptxas).
//
// RUN: rm -rf %t && kvcache-compile %s --target=sim -o %t
// RUN: FileCheck %s --input-file=%t/manifest.json

// CHECK-DAG: "name": "layers", "kind": "scalar", {{.*}} "placement": "host"
// CHECK-DAG: "name": "q", {{.*}} "placement": "device"
// CHECK-DAG: "name": "max_lengths", {{.*}} "placement": "host"
// CHECK-DAG: "name": "attention_dispatch_metadata", {{.*}} "placement": "host"

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x128xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>

func.func private @attend(%kv: !kv, %layer: index, %q: memref<?x8x128xbf16>,
                          %offsets: memref<?xi32>, %out: memref<?x8x128xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !kv, memref<?x8x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>
  return
}

func.func @decode(%q: memref<?x8x128xbf16> {kvcache.name = "q"},
                  %key: memref<?x2x128xbf16> {kvcache.name = "key"},
                  %value: memref<?x2x128xbf16> {kvcache.name = "value"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x8x128xbf16> {kvcache.name = "out", kvcache.role = "output"},
                  %layers: index {kvcache.name = "layers"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %max = kvcache.get %kv[max_lengths] : !kv
  %longest = memref.load %max[%c0, %c0] : memref<?x2xi32>
  %metadata = kvcache.get %kv[attention_dispatch_metadata] : !kv
  %batch = memref.load %metadata[%c0] : memref<4xi64>
  %rows = memref.dim %q, %c0 : memref<?x8x128xbf16>
  %rows64 = arith.index_cast %rows : index to i64
  %one = arith.constant 1 : i32
  %decode = arith.cmpi ule, %longest, %one : i32
  %whole = arith.cmpi eq, %batch, %rows64 : i64
  %attend = arith.ori %decode, %whole : i1
  %last = scf.for %layer = %c0 to %layers step %c1
      iter_args(%query = %q) -> (memref<?x8x128xbf16>) {
    kvcache.store %kv, %layer, %key, %value, %offsets
        : !kv, memref<?x2x128xbf16>, memref<?x2x128xbf16>, memref<?xi32>
    scf.if %attend {
      func.call @attend(%kv, %layer, %query, %offsets, %out)
          : (!kv, index, memref<?x8x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>) -> ()
    }
    scf.yield %query : memref<?x8x128xbf16>
  }
  return
}
