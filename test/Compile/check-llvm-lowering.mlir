// The pipeline's last pass names what the LLVM lowering left behind.
// RUN: kvcache-opt %s --kvcache-check-llvm-lowering --split-input-file -verify-diagnostics

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x8xf32>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

llvm.func @graph() {
  // expected-error @+1 {{'kvcache.inputs_per_device' survived the LLVM lowering: kvcache operations must be lowered (convert-kvcache-to-loops) and bundles flattened (kvcache-expand-inputs) first}}
  %kv = kvcache.inputs_per_device device(0) : !kv
  llvm.return
}

// -----

llvm.func @cast(%arg0: i64) {
  // expected-error @+1 {{an unrealized_conversion_cast from 'i64' to 'index' survived the LLVM lowering: one of its users was not converted}}
  %0 = builtin.unrealized_conversion_cast %arg0 : i64 to index
  llvm.return
}

// -----

// expected-error @+1 {{'func.func' was not lowered to the LLVM dialect}}
func.func @not_lowered() {
  llvm.return
}
