// MLA caches run on the CPU target (Integration/CPU/mla.test); the GPU
// lowering has no MLA kernels yet, and its error stops a GPU compile.
// RUN: not kvcache-compile %s --target=sim -o %t 2>&1 | FileCheck %s
// RUN: not kvcache-compile %s --target=sm_90a -o %t 2>&1 | FileCheck %s

!mla = !kvcache.inputs<kv_blocks: memref<?x1x1x16x1x64xf32>,
                       cache_lengths: memref<?xi32>,
                       lookup_table: memref<?x?xi32>,
                       max_lengths: memref<?x2xi32>>

func.func @decode(%q: memref<?x8x64xf32> {kvcache.name = "q"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x8x48xf32> {kvcache.name = "out", kvcache.role = "output"},
                  %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !mla
  // CHECK: mla-gpu-rejected.mlir:[[@LINE+1]]:3: error: 'kvcache.attention' op on an MLA cache (kv_dim 1) is not lowered to GPU kernels yet
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.125 : f32}
      : !mla, memref<?x8x64xf32>, memref<?xi32>, memref<?x8x48xf32>
  return
}
