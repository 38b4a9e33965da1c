// A decode step (store the new rows, then attend) compiled for sm_90a by
// kvcache-compile and run by kvcache-run --device cuda on the stand-in
// libcuda, which RUNS NO KERNEL: it records the launches, and the checker
// compares them with the bundle's PTX and kvcache-run's placement. Checked:
// every launch's parameter count matches its .entry; every .ptr parameter is
// a device address; max_lengths and the MHA dispatch metadata (host-placed:
// the host code reads them to size its grids) never reach a kernel, while
// every device-placed argument does; one function lookup per kernel and one
// stream; the decode grid is (split slots, kv heads, batch) with the
// fill-the-GPU rule on the stand-in's 132 SMs: fill = 132 * 3 / (batch *
// kv heads) (three CTAs per SM being what the tensor-core decode kernel,
// bf16 with head_dim 128, is built to fit), or the smallest of the next 16
// counts whose waves of 396 CTAs are >= 90% busy, capped at 64; the combine
// grid is (rows, q heads * warps per head / 4 warps), with 1 warp per head
// up to 16 slots, 2 up to 32 and 4 past that.
//
// REQUIRES: kvcache-gpu-bundles
// RUN: rm -rf %t && kvcache-compile %s --target=sm_90a -o %t/bundle
// RUN: %python -c "import numpy as np, sys; np.save(sys.argv[1], np.array(0, dtype=np.int64))" %t/layer.npy
//
// Batch 2 x 2 kv heads: 396 / 4 = 99 slots, capped at 64: the combine
// gives each of the 8 q heads 4 warps, a CTA.
// RUN: kvcache-run --generate %t/b2 --context-lengths 5,40 --prompt-length 1 --num-q-heads 8 --num-kv-heads 2 --head-dim 128 --page-size 16 --num-layers 1 --dtype bf16
// RUN: cp %t/layer.npy %t/b2/
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir KVCACHE_FAKE_CUDA_LOG=%t/b2.jsonl KVCACHE_FAKE_CUDA_PTX_DIR=%t/bundle \
// RUN:   kvcache-run %t/bundle --device cuda --entry decode --inputs %t/b2 --outputs %t/b2-out --verbose > %t/b2.txt
// RUN: %python %S/Inputs/check_launches.py --log %t/b2.jsonl --ptx-dir %t/bundle --placement %t/b2.txt \
// RUN:   --manifest %t/bundle/manifest.json --function decode --all-device-arguments-used \
// RUN:   --expect-grid kvcache_decode=64,2,2 --expect-grid kvcache_combine=2,8,1 | FileCheck %s --check-prefix=B2
// B2: launch kvcache_store_
// B2: launch kvcache_decode_{{.*}} grid [64, 2, 2] block
// B2: launch kvcache_combine_{{.*}} grid [2, 8, 1] block
// B2: host arguments kept from kernels: max_lengths, attention_dispatch_metadata
// B2: device arguments: q, key, value, input_row_offsets, out, kv_blocks, cache_lengths, lookup_table
// B2: module loads 1, function lookups 3 for 3 kernels, streams created 1
// B2: ok: 3 launches
//
// Batch 4: 396 / 8 = 49 slots.
// RUN: kvcache-run --generate %t/b4 --context-lengths 0,15,16,40 --prompt-length 1 --num-q-heads 8 --num-kv-heads 2 --head-dim 128 --page-size 16 --num-layers 1 --dtype bf16
// RUN: cp %t/layer.npy %t/b4/
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir KVCACHE_FAKE_CUDA_LOG=%t/b4.jsonl KVCACHE_FAKE_CUDA_PTX_DIR=%t/bundle \
// RUN:   kvcache-run %t/bundle --entry decode --inputs %t/b4 --outputs %t/b4-out --verbose > %t/b4.txt
// RUN: %python %S/Inputs/check_launches.py --log %t/b4.jsonl --ptx-dir %t/bundle --placement %t/b4.txt \
// RUN:   --manifest %t/bundle/manifest.json --function decode --expect-grid kvcache_decode=49,2,4 \
// RUN:   | FileCheck %s --check-prefix=B4
// B4: launch kvcache_decode_{{.*}} grid [49, 2, 4] block
// B4: ok:
//
// Batch 80: fill 396 / 160 = 2 leaves 19% of one wave idle; 7 slots (1120
// CTAs in three waves) are 94% busy. The combine grid covers 80 rows.
// RUN: kvcache-run --generate %t/b80 --batch 80 --context-length 3 --prompt-length 1 --num-q-heads 8 --num-kv-heads 2 --head-dim 128 --page-size 16 --num-layers 1 --dtype bf16
// RUN: cp %t/layer.npy %t/b80/
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir KVCACHE_FAKE_CUDA_LOG=%t/b80.jsonl KVCACHE_FAKE_CUDA_PTX_DIR=%t/bundle \
// RUN:   kvcache-run %t/bundle --entry decode --inputs %t/b80 --outputs %t/b80-out --verbose > %t/b80.txt
// RUN: %python %S/Inputs/check_launches.py --log %t/b80.jsonl --ptx-dir %t/bundle --placement %t/b80.txt \
// RUN:   --manifest %t/bundle/manifest.json --function decode --expect-grid kvcache_decode=7,2,80 \
// RUN:   --expect-grid kvcache_combine=80,2,1 | FileCheck %s --check-prefix=B80
// B80: launch kvcache_decode_{{.*}} grid [7, 2, 80] block
// B80-NEXT: launch kvcache_combine_{{.*}} grid [80, 2, 1] block
// B80: ok: 3 launches
//
// Batch 198: 396 CTAs fill one wave exactly: one slot, which writes the
// output itself, so no combine kernel runs.
// RUN: kvcache-run --generate %t/b198 --batch 198 --context-length 3 --prompt-length 1 --num-q-heads 8 --num-kv-heads 2 --head-dim 128 --page-size 16 --num-layers 1 --dtype bf16
// RUN: cp %t/layer.npy %t/b198/
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir KVCACHE_FAKE_CUDA_LOG=%t/b198.jsonl KVCACHE_FAKE_CUDA_PTX_DIR=%t/bundle \
// RUN:   kvcache-run %t/bundle --entry decode --inputs %t/b198 --outputs %t/b198-out --verbose > %t/b198.txt
// RUN: %python %S/Inputs/check_launches.py --log %t/b198.jsonl --ptx-dir %t/bundle --placement %t/b198.txt \
// RUN:   --manifest %t/bundle/manifest.json --function decode --expect-grid kvcache_decode=1,2,198 \
// RUN:   | FileCheck %s --check-prefix=B198
// B198: launch kvcache_store_
// B198-NEXT: launch kvcache_decode_{{.*}} grid [1, 2, 198] block
// B198-NOT: launch
// B198: ok: 2 launches
//
// A forced split count is the launched slot count.
// RUN: kvcache-compile %s --target=sm_90a --splits=4 -o %t/split4
// RUN: env LD_LIBRARY_PATH=%fake_cuda_dir KVCACHE_FAKE_CUDA_LOG=%t/split4.jsonl KVCACHE_FAKE_CUDA_PTX_DIR=%t/split4 \
// RUN:   kvcache-run %t/split4 --entry decode --inputs %t/b2 --outputs %t/split4-out --verbose > %t/split4.txt
// RUN: %python %S/Inputs/check_launches.py --log %t/split4.jsonl --ptx-dir %t/split4 --placement %t/split4.txt \
// RUN:   --manifest %t/split4/manifest.json --function decode --expect-grid kvcache_decode=4,2,2 \
// RUN:   | FileCheck %s --check-prefix=SPLIT4
// SPLIT4: launch kvcache_decode_{{.*}} grid [4, 2, 2] block
// SPLIT4: ok:

!kv = !kvcache.inputs<kv_blocks: memref<?x2x1x16x2x128xbf16>,
                      cache_lengths: memref<?xi32>,
                      lookup_table: memref<?x?xi32>,
                      max_lengths: memref<?x2xi32>,
                      attention_dispatch_metadata: memref<4xi64>>

func.func @decode(%q: memref<?x8x128xbf16> {kvcache.name = "q"},
                  %key: memref<?x2x128xbf16> {kvcache.name = "key"},
                  %value: memref<?x2x128xbf16> {kvcache.name = "value"},
                  %offsets: memref<?xi32> {kvcache.name = "input_row_offsets"},
                  %out: memref<?x8x128xbf16>
                      {kvcache.name = "out", kvcache.role = "output"},
                  %layer: index {kvcache.name = "layer"}) {
  %kv = kvcache.inputs_per_device device(0) : !kv
  kvcache.store %kv, %layer, %key, %value, %offsets
      : !kv, memref<?x2x128xbf16>, memref<?x2x128xbf16>, memref<?xi32>
  kvcache.attention %kv, %layer, %q, %offsets, %out
      : !kv, memref<?x8x128xbf16>, memref<?xi32>, memref<?x8x128xbf16>
  return
}
