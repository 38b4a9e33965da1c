// The loops lowering has no MLA path yet; the pass's error stops the compile.
// RUN: not kvcache-compile %s --target=cpu -o %t 2>&1 | FileCheck %s

!mla = !kvcache.inputs<kv_blocks: memref<?x1x1x16x1x64xf32>,
                       cache_lengths: memref<?xi32>,
                       lookup_table: memref<?x?xi32>,
                       max_lengths: memref<?x2xi32>>

func.func @decode(%q: memref<?x8x64xf32> {kvcache.name = "q"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x8x64xf32> {kvcache.name = "out", kvcache.role = "output"},
                  %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !mla
  // CHECK: mla-rejected.mlir:[[@LINE+1]]:3: error: 'kvcache.attention' op on an MLA cache (kv_dim 1) is not lowered yet
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !mla, memref<?x8x64xf32>, memref<?xi32>, memref<?x8x64xf32>
  return
}
