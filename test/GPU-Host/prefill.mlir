// A prefill step (prompts of 12 tokens, more than the decode kernels take)
// compiled for sm_90a and run on the stand-in libcuda, which RUNS NO KERNEL
// (see decode.mlir for what is checked). The prefill grid is (query-row
// blocks, kv heads, batch); the bundle has no dispatch metadata, so
// max_lengths is the only host field.
//
// REQUIRES: kvcache-gpu-bundles
// RUN: rm -rf %t && kvcache-compile %s --target=sm_90a -o %t/bundle
// RUN: kvcache-run --generate %t/in --context-lengths 0,7,33 --prompt-length 12 --num-q-heads 4 --num-kv-heads 4 --head-dim 64 --page-size 16 --num-layers 2 --dtype f16
// RUN: %python -c "import numpy as np, sys; np.save(sys.argv[1], np.array(1, dtype=np.int64))" %t/in/layer.npy
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir KVCACHE_FAKE_CUDA_LOG=%t/log.jsonl KVCACHE_FAKE_CUDA_PTX_DIR=%t/bundle \
// RUN:   kvcache-run %t/bundle --entry prefill --inputs %t/in --outputs %t/out --verbose > %t/placement.txt
// RUN: %python %S/Inputs/check_launches.py --log %t/log.jsonl --ptx-dir %t/bundle --placement %t/placement.txt \
// RUN:   --manifest %t/bundle/manifest.json --function prefill --all-device-arguments-used \
// RUN:   --expect-grid-yz kvcache_prefill=4,3 | FileCheck %s
// CHECK: launch kvcache_store_
// CHECK: launch kvcache_prefill_{{.*}} grid [{{[0-9]+}}, 4, 3] block
// CHECK: host arguments kept from kernels: max_lengths
// CHECK: device arguments: q, key, value, input_row_offsets, out, kv_blocks, cache_lengths, lookup_table
// CHECK: ok: 2 launches

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x4x64xf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>>

func.func @prefill(%q: memref<?x4x64xf16> {kvcache.name = "q"},
                   %key: memref<?x4x64xf16> {kvcache.name = "key"},
                   %value: memref<?x4x64xf16> {kvcache.name = "value"},
                   %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                   %out: memref<?x4x64xf16>
                       {kvcache.name = "out", kvcache.role = "output"},
                   %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x4x64xf16>, memref<?x4x64xf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal}
      : !kv, memref<?x4x64xf16>, memref<?xi32>, memref<?x4x64xf16>
  return
}
