// RUN: kvcache-opt %s --convert-kvcache-to-gpu --split-input-file | FileCheck %s
// RUN: kvcache-opt %s --convert-kvcache-to-gpu --split-input-file | FileCheck %s --check-prefix=NEG
// RUN: kvcache-opt %s --convert-kvcache-to-gpu="splits=4" --split-input-file | FileCheck %s --check-prefix=FORCED
// RUN: kvcache-opt %s --convert-kvcache-to-gpu="tensor-cores=false" --split-input-file | FileCheck %s --check-prefix=CUDACORES

// Nothing in the output computes exp through libdevice or multiplies in i32.
// NEG-NOT: math.exp
// NEG-NOT: math.log
// NEG-NOT: arith.muli {{.*}} : i32
// NEG-NOT: arith.addi {{.*}} : i32
// NEG-NOT: gpu.alloc
// NEG-NOT: kvcache.attention
// NEG-NOT: kvcache.store

!kv = !kvcache.inputs<kv_blocks: memref<?x2x32x128x8x128xbf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// The host side: decode or prefill on max_lengths[0][0] (a host field), the
// split count from the runtime's SM count (three 128-thread CTAs per SM,
// what the tensor-core decode kernel fits, or more splits when that leaves
// the last wave of CTAs mostly idle; at most splits-cap = 64 per request
// and kv head) and max_lengths[0][1]
// (splits of at least 256 keys), a workspace from the runtime, a decode grid
// of (slots, kv heads, batch) and a combine grid of (rows, 32 q heads / 4
// warps).
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK-DAG:   func.func private @kvcache_runtime_num_sms() -> i32
// CHECK-DAG:   func.func private @kvcache_runtime_workspace(i64) -> i64
// CHECK-DAG:   func.func private @kvcache_runtime_error_word() -> i64
// CHECK-DAG:   func.func private @kvcache_runtime_raise(i32, i64, i64, i64, i64)
// CHECK-LABEL: func.func @attention(
// CHECK-SAME:      %[[KV:.*]]: !kv, %[[LAYER:.*]]: index, %[[Q:.*]]: memref<?x32x128xbf16>, %[[OFFSETS:.*]]: memref<?xi32>, %[[OUT:.*]]: memref<?x32x128xbf16>)
// CHECK-DAG:     %[[BLOCKS:.*]] = kvcache.get %[[KV]][kv_blocks]
// CHECK-DAG:     %[[LENS:.*]] = kvcache.get %[[KV]][cache_lengths]
// CHECK-DAG:     %[[TABLE:.*]] = kvcache.get %[[KV]][lookup_table]
// CHECK-DAG:     %[[MAXLEN:.*]] = kvcache.get %[[KV]][max_lengths]
// CHECK:         %[[BATCH:.*]] = memref.dim %[[LENS]], %{{.*}} : memref<?xi32>
// CHECK:         %[[ROWS:.*]] = memref.dim %[[Q]], %{{.*}} : memref<?x32x128xbf16>
// CHECK:         %[[MAXQ32:.*]] = memref.load %[[MAXLEN]][%[[C0:.*]], %[[C0]]] : memref<?x2xi32>
// CHECK:         %[[MAXQ:.*]] = arith.index_castui %[[MAXQ32]] : i32 to index
// CHECK:         %[[MAXK32:.*]] = memref.load %[[MAXLEN]][%[[C0]], %{{.*}}] : memref<?x2xi32>
// CHECK:         %[[MAXK:.*]] = arith.index_castui %[[MAXK32]] : i32 to index
// CHECK:         %[[DECODE:.*]] = arith.cmpi ule, %[[MAXQ]], %c8 : index
// CHECK:         %[[KVHEADS:.*]] = arith.constant 8 : index
// Before any launch: the layer is below num_layers (unsigned), and the pool
// has a page (a page id off it is staged as page 0); else the raise hook
// (fault 1: layer, num_layers; fault 2 with d = 0 pages) and no launch.
// CHECK:         scf.if
// CHECK:           %[[LAYER_OK:.*]] = arith.cmpi ult, %[[LAYER]], %c32{{.*}} : index
// CHECK:           scf.if %[[LAYER_OK]] {
// CHECK:             %[[PAGES:.*]] = memref.dim %[[BLOCKS]], %c0{{.*}}
// CHECK:             %[[ANY_PAGE:.*]] = arith.cmpi ult, %c0{{.*}}, %[[PAGES]] : index
// CHECK:             scf.if %[[ANY_PAGE]] {
// CHECK-NEXT:      scf.if %[[DECODE]] {
// CHECK:             %[[SMS:.*]] = func.call @kvcache_runtime_num_sms() : () -> i32
// CHECK:             %[[SMS_INDEX:.*]] = arith.maxsi
// CHECK:             %[[TARGET:.*]] = arith.muli %[[SMS_INDEX]], %c3{{.*}} : index
// CHECK:             %[[CTAS:.*]] = arith.muli %[[BATCH]], %{{.*}} : index
// CHECK:             %[[PER_HEAD:.*]] = arith.divui %[[TARGET]], %[[CTAS]] : index
// CHECK:             %[[FILL:.*]] = arith.maxui %c1{{.*}}, %[[PER_HEAD]] : index
// CHECK:             %[[SEARCH_END:.*]] = arith.addi %[[FILL]], %c16{{.*}} : index
// CHECK:             %[[FOUND:.*]] = scf.for %[[N:.*]] = %[[FILL]] to %[[SEARCH_END]]
// CHECK:               %[[N_CTAS:.*]] = arith.muli %[[CTAS]], %[[N]] : index
// CHECK:               %[[WAVES:.*]] = arith.ceildivui %[[N_CTAS]], %[[TARGET]] : index
// CHECK:               %[[BUSY:.*]] = arith.muli %[[WAVES]], %[[TARGET]] : index
// CHECK:               %[[BUSY9:.*]] = arith.muli %[[BUSY]], %c9{{.*}} : index
// CHECK:               %[[CTAS10:.*]] = arith.muli %[[N_CTAS]], %c10{{.*}} : index
// CHECK:               arith.cmpi uge, %[[CTAS10]], %[[BUSY9]] : index
// CHECK:             %[[NONE:.*]] = arith.cmpi eq, %[[FOUND]], %c0{{.*}} : index
// CHECK:             %[[CHOSEN:.*]] = arith.select %[[NONE]], %[[FILL]], %[[FOUND]] : index
// CHECK:             %[[CAPPED:.*]] = arith.minui %c64, %[[CHOSEN]] : index
// CHECK:             %[[SLOTS:.*]] = arith.maxui %c1{{.*}}, %[[CAPPED]] : index
// CHECK:             %[[BYLEN:.*]] = arith.divui %[[MAXK]], %c256 : index
// CHECK:             %[[NP:.*]] = arith.minui %[[SLOTS]], %{{.*}} : index
// CHECK:             %[[ADDR:.*]] = func.call @kvcache_runtime_workspace(%{{.*}}) : (i64) -> i64
// CHECK:             llvm.inttoptr %[[ADDR]] : i64 to !llvm.ptr
// CHECK:             %[[WS:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<?xi8>
// CHECK:             %[[PARTIAL:.*]] = memref.view %[[WS]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xf32>
// CHECK:             %[[LSE:.*]] = memref.view %[[WS]][%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xf32>
// Warps per (row, q head) in the combine: 1, 2 past 16 slots, 4 past 32
// (16 partitions per warp and round of loads at head_dim 128).
// CHECK:             %[[PAST16:.*]] = arith.cmpi ult, %c16{{.*}}, %[[SLOTS]] : index
// CHECK:             %[[WPH2:.*]] = arith.select %[[PAST16]], %c2{{.*}}, %c1{{.*}} : index
// CHECK:             %[[PAST32:.*]] = arith.cmpi ult, %c32{{.*}}, %[[SLOTS]] : index
// CHECK:             %[[WPH:.*]] = arith.select %[[PAST32]], %c4{{.*}}, %[[WPH2]] : index
// CHECK:             %[[HEAD_WARPS:.*]] = arith.muli %c32{{.*}}, %[[WPH]] : index
// CHECK:             %[[HEAD_BLOCKS:.*]] = arith.ceildivui %[[HEAD_WARPS]], %c4{{.*}} : index
// CHECK:             %[[ONE_TOKEN:.*]] = arith.cmpi eq, %[[MAXQ]], %c1{{.*}} : index
// CHECK:             scf.if %[[ONE_TOKEN]] {
// CHECK:               %[[SPLIT:.*]] = arith.cmpi ult, %c1{{.*}}, %[[SLOTS]] : index
// CHECK:               scf.if %[[SPLIT]] {
// CHECK:                 %[[STREAM:.*]] = gpu.wait async
// CHECK-NEXT:            %[[DECODED:.*]] = gpu.launch_func async [%[[STREAM]]] @kvcache_kernels::@kvcache_decode_bf16_d128_p128_kv8_q32_causal blocks in (%[[SLOTS]], %[[KVHEADS]], %[[BATCH]]) threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}}) args(%[[BLOCKS]] : memref<?x2x32x128x8x128xbf16>, %[[LENS]] : memref<?xi32>, %[[TABLE]] : memref<?x?xi32>, %[[Q]] : memref<?x32x128xbf16>, %[[OFFSETS]] : memref<?xi32>, %[[OUT]] : memref<?x32x128xbf16>, %[[PARTIAL]] : memref<?xf32>, %[[LSE]] : memref<?xf32>, %[[LAYER]] : index, %[[NP]] : index, %{{.*}} : memref<1xi64>)
// CHECK-NEXT:            %[[COMBINED:.*]] = gpu.launch_func async [%[[DECODED]]] @kvcache_kernels::@kvcache_combine_bf16_d128_p128_kv8_q32_causal blocks in (%[[ROWS]], %[[HEAD_BLOCKS]], %c1{{.*}}) threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}}) args(%[[OFFSETS]] : memref<?xi32>, %[[PARTIAL]] : memref<?xf32>, %[[LSE]] : memref<?xf32>, %[[OUT]] : memref<?x32x128xbf16>, %[[NP]] : index, %[[SLOTS]] : index, %[[WPH]] : index)
// CHECK-NEXT:            gpu.wait [%[[COMBINED]]]
// CHECK-NEXT:          } else {
// CHECK:                 %[[STREAM1:.*]] = gpu.wait async
// CHECK-NEXT:            %[[ALONE:.*]] = gpu.launch_func async [%[[STREAM1]]] @kvcache_kernels::@kvcache_decode_bf16_d128_p128_kv8_q32_causal blocks
// CHECK-NEXT:            gpu.wait [%[[ALONE]]]
// CHECK-NEXT:          }
// CHECK:             } else {
// CHECK:               gpu.launch_func async [%{{.*}}] @kvcache_kernels::@kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal blocks in (%[[SLOTS]], %[[KVHEADS]], %[[BATCH]])
// CHECK-NEXT:          gpu.launch_func async [%{{.*}}] @kvcache_kernels::@kvcache_combine_bf16_d128_p128_kv8_q32_causal
// CHECK:               gpu.launch_func async [%{{.*}}] @kvcache_kernels::@kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal
// CHECK-NEXT:          gpu.wait
// CHECK:           } else {
// CHECK:             %[[PREFILL_ROWS:.*]] = arith.muli %[[MAXQ]], %c4{{.*}} : index
// CHECK:             %[[PREFILL_BLOCKS:.*]] = arith.ceildivui %[[PREFILL_ROWS]], %c32{{.*}} : index
// CHECK:             gpu.launch_func async [%{{.*}}] @kvcache_kernels::@kvcache_prefill_bf16_d128_p128_kv8_q32_causal blocks in (%[[PREFILL_BLOCKS]], %[[KVHEADS]], %[[BATCH]])

// A forced split count needs no SM count.
// FORCED-LABEL: func.func @attention(
// FORCED-NOT:     kvcache_runtime_num_sms
// FORCED:         %[[FOUR:.*]] = arith.constant 4 : index
// FORCED:         gpu.launch_func async [%{{.*}}] @kvcache_kernels::@kvcache_decode_bf16_d128_p128_kv8_q32_causal blocks in (%[[FOUR]],
// FORCED-SAME:        %[[FOUR]] : index, %{{.*}} : memref<1xi64>)

// The decode kernel: partitions past the active count exit; page ids staged
// in workgroup memory; 128-bit K/V loads at 64-bit page offsets; Q·Kᵀ on
// tensor cores (bf16 pairs as i32); row maxes with xor shuffles; exp2/log2
// from NVVM intrinsics.
// CHECK-LABEL: gpu.module @kvcache_kernels
// CHECK:       gpu.func @kvcache_decode_bf16_d128_p128_kv8_q32_causal(%[[K_BLOCKS:[^:]*]]: memref<?x2x32x128x8x128xbf16>,
// CHECK-SAME:      %[[K_NP:[^:]*]]: index, %[[K_FAULT:[^:]*]]: memref<1xi64>) workgroup(%[[K_PAGES:[^ ]*]] : memref<128xi32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64},
// CHECK-SAME:      kernel attributes {known_block_size = array<i32: 128, 1, 1>, nvvm.minctasm = 3 : i32}
// CHECK:         %[[K_SPLIT:.*]] = gpu.block_id  x
// CHECK:         %[[K_ACTIVE:.*]] = arith.cmpi ult, %[[K_SPLIT]], %[[K_NP]] : index
// CHECK-NEXT:    scf.if %[[K_ACTIVE]] {
// CHECK:           vector.load %{{.*}} {alignment = 16 : i64} : memref<?x32x128xbf16>, vector<8xbf16>
// A page id off the pool is staged as 2^32 - 1 and recorded in the fault
// word; the barrier that publishes the ids ORs "off the pool" over the CTA.
// CHECK:           %[[K_ID:.*]] = arith.index_castui %{{.*}} : i32 to index
// CHECK:           %[[K_ON_POOL:.*]] = arith.cmpi ult, %[[K_ID]], %{{.*}} : index
// CHECK:           arith.select %[[K_ON_POOL]], %[[K_ID]], %c4294967295 : index
// CHECK:           memref.store %{{.*}}, %[[K_PAGES]][%{{.*}}] : memref<128xi32, #gpu.address_space<workgroup>>
// CHECK:           memref.atomic_rmw maxu %{{.*}}, %[[K_FAULT]]
// CHECK:           %[[K_ANY:.*]] = nvvm.barrier #nvvm.reduction<or> %{{.*}} -> i32
// Such a window takes every tile masked, loading page 0 for its keys off
// the pool; the others run the tiles unchanged.
// CHECK:           %[[K_OFF:.*]] = arith.cmpi ne, %[[K_ANY]], %c0_i32{{.*}} : i32
// CHECK:           scf.if %[[K_OFF]]
// CHECK:             %[[K_ON:.*]] = arith.cmpi ne, %{{.*}}, %c4294967295 : index
// CHECK:             arith.select %[[K_ON]], %{{.*}}, %c0{{.*}} : index
// CHECK:             nvvm.mma.sync
// CHECK:           } else {
// CHECK-NOT:         4294967295
// CHECK:             nvvm.mma.sync
// CHECK:           %[[K_PAGE32:.*]] = memref.load %[[K_PAGES]][%{{.*}}] : memref<128xi32, #gpu.address_space<workgroup>>
// CHECK:           %[[K_PAGE:.*]] = arith.index_castui %[[K_PAGE32]] : i32 to index
// CHECK:           vector.load %[[K_BLOCKS]][%[[K_PAGE]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x2x32x128x8x128xbf16>, vector<8xbf16>
// CHECK:           nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>{{.*}}shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK:           gpu.shuffle  xor %{{.*}} : f32
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"(%{{.*}}) : (f32) -> f32
// CHECK:           llvm.call_intrinsic "llvm.nvvm.lg2.approx.ftz.f"(%{{.*}}) : (f32) -> f32
// CHECK:       gpu.func @kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal(
// The combine kernel: warps_per_head warps per (row, q head), their sums
// added up in workgroup memory. Each lane issues the loads of its first
// eight partitions (log-sum-exp, then a vector of 8 f32; none past the
// count) and the max's two before any is used; the max reduces by xor
// shuffles, the two lane halves (16 output vectors per head_dim row) by an
// xor shuffle of 16.
// CHECK:       gpu.func @kvcache_combine_bf16_d128_p128_kv8_q32_causal(
// CHECK-SAME:      %[[C_WPH:[^:]*]]: index) workgroup(%[[C_ACC:[^ ]*]] : memref<512xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[C_WEIGHT:[^ ]*]] : memref<4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-COUNT-8: scf.if %{{.*}} -> (f32, vector<8xf32>) {
// CHECK-NEXT:      arith.addi
// CHECK-NEXT:      memref.load %{{.*}} : memref<?xf32>
// CHECK-NEXT:      arith.constant 128 : index
// CHECK-NEXT:      arith.muli
// CHECK-NEXT:      arith.addi
// CHECK-NEXT:      vector.load %{{.*}} {alignment = 16 : i64} : memref<?xf32>, vector<8xf32>
// CHECK-NOT:     llvm.call_intrinsic
// CHECK:         memref.load %{{.*}} : memref<?xf32>
// CHECK-NOT:     llvm.call_intrinsic
// CHECK:         memref.load %{{.*}} : memref<?xf32>
// CHECK:         gpu.shuffle  xor %{{.*}}, %c16{{.*}}, %{{.*}} : f32
// CHECK:         llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"
// CHECK:         gpu.shuffle  xor %{{.*}}, %c16{{.*}}, %{{.*}} : f32
// CHECK:         arith.cmpi ult, %c1{{.*}}, %[[C_WPH]] : index
// CHECK:         vector.store %{{.*}}, %[[C_ACC]][%{{.*}}] {alignment = 16 : i64} : memref<512xf32, #gpu.address_space<workgroup>>, vector<8xf32>
// CHECK:         gpu.barrier
// CHECK:         vector.load %[[C_ACC]][%{{.*}}] {alignment = 16 : i64} : memref<512xf32, #gpu.address_space<workgroup>>, vector<8xf32>
// CHECK:         vector.store %{{.*}} {alignment = 16 : i64} : memref<?x32x128xbf16>, vector<8xbf16>
// CHECK:       gpu.func @kvcache_prefill_bf16_d128_p128_kv8_q32_causal(
// CHECK-SAME:      %[[P_FAULT:[^:]*]]: memref<1xi64>) workgroup(%{{.*}} : memref<4096xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<4096xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[P_ON_POOL:.*]] : memref<32xi32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// The prefill kernel stages zeros for a key whose page is off the pool,
// records it, and masks its score only in a tile that has one.
// CHECK:         memref.atomic_rmw maxu %{{.*}}, %[[P_FAULT]]
// CHECK:         memref.store %{{.*}}, %[[P_ON_POOL]]
// CHECK:         %[[P_ANY:.*]] = nvvm.barrier #nvvm.reduction<or> %{{.*}} -> i32
// CHECK:         %[[P_OFF:.*]] = arith.cmpi ne, %[[P_ANY]], %c0_i32 : i32
// CHECK:         scf.if %[[P_OFF]] -> (f32, 
// tensor-cores=false: the CUDA-core decode kernel, built for four CTAs per
// SM, and the rule counts four.
// CUDACORES-LABEL: func.func @attention(
// CUDACORES:         %[[SMS_INDEX:.*]] = arith.maxsi
// CUDACORES:         arith.muli %[[SMS_INDEX]], %c4{{.*}} : index
// CUDACORES:       gpu.func @kvcache_decode_bf16_d128_p128_kv8_q32_causal(
// CUDACORES-SAME:      nvvm.minctasm = 4 : i32
// CUDACORES-NOT:   nvvm.mma.sync
// CUDACORES:       gpu.func @kvcache_decode_multi_bf16_d128_p128_kv8_q32_causal(
func.func @attention(%kv: !kv, %layer: index, %q: memref<?x32x128xbf16>, %offsets: memref<?xi32>, %out: memref<?x32x128xbf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {causal} : !kv, memref<?x32x128xbf16>, memref<?xi32>, memref<?x32x128xbf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x4x16x2x64xf16>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>, attention_dispatch_metadata: memref<4xi64>>

// With dispatch metadata, its num_partitions entry is the split count,
// clamped to [1, slots].
// CHECK-LABEL: func.func @metadata(
// CHECK:         %[[META:.*]] = kvcache.get %{{.*}}[attention_dispatch_metadata]
// CHECK:         func.call @kvcache_runtime_num_sms()
// CHECK:         scf.for
// CHECK:         arith.minui %c64
// CHECK-NEXT:    %[[SLOTS:.*]] = arith.maxui
// CHECK:         %[[CHOSEN64:.*]] = memref.load %[[META]][%c2{{.*}}] : memref<4xi64>
// CHECK:         %[[CHOSEN:.*]] = arith.index_cast %[[CHOSEN64]] : i64 to index
// CHECK:         %[[ATLEAST1:.*]] = arith.maxsi %[[CHOSEN]], %c1{{.*}} : index
// CHECK:         %[[NP:.*]] = arith.minsi %[[ATLEAST1]], %[[SLOTS]] : index
// CHECK:         gpu.launch_func async [%{{.*}}] @kvcache_kernels::@kvcache_decode_f16_d64_p16_kv2_q8 blocks in (%[[SLOTS]], {{.*}}, %[[NP]] : index, %{{.*}} : memref<1xi64>)
// FORCED-LABEL: func.func @metadata(
// FORCED-NOT:     attention_dispatch_metadata
// FORCED:         return
func.func @metadata(%kv: !kv, %layer: index, %q: memref<?x8x64xf16>, %offsets: memref<?xi32>, %out: memref<?x8x64xf16>) {
  kvcache.attention %kv, %layer, %q, %offsets, %out {scale = 0.5 : f32} : !kv, memref<?x8x64xf16>, memref<?xi32>, memref<?x8x64xf16>
  return
}

// -----

!kv = !kvcache.inputs<kv_blocks: memref<?x2x2x16x2x64xf32>, cache_lengths: memref<?xi32>, lookup_table: memref<?x?xi32>, max_lengths: memref<?x2xi32>>

// Store: one CTA per new row (a grid of total tokens, none when empty); the
// kernel finds the row's request by binary search, its page once, and
// copies 16 bytes per thread (vector<4xf32>) into the page at a 64-bit
// index.
// CHECK-LABEL: func.func @store(
// CHECK-SAME:      %[[KV:[^:]*]]: !kv, %[[LAYER:[^:]*]]: index, %[[K:[^:]*]]: memref<?x2x64xf32>, %[[V:[^:]*]]: memref<?x2x64xf32>, %[[OFFSETS:[^:]*]]: memref<?xi32>)
// CHECK:         %[[ROWS:.*]] = memref.dim %[[K]], %{{.*}} : memref<?x2x64xf32>
// CHECK:         scf.if
// CHECK:           %[[STORE_STREAM:.*]] = gpu.wait async
// CHECK-NEXT:      %[[STORED:.*]] = gpu.launch_func async [%[[STORE_STREAM]]] @kvcache_kernels::@kvcache_store_f32_d64_p16_kv2 blocks in (%[[ROWS]], %c1{{.*}}, %c1{{.*}}) threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}}) args(%{{.*}} : memref<?x2x2x16x2x64xf32>, %{{.*}} : memref<?xi32>, %{{.*}} : memref<?x?xi32>, %[[K]] : memref<?x2x64xf32>, %[[V]] : memref<?x2x64xf32>, %[[OFFSETS]] : memref<?xi32>, %[[LAYER]] : index, %{{.*}} : memref<1xi64>)
// CHECK-NOT:     kvcache_runtime_workspace
// CHECK:       gpu.func @kvcache_store_f32_d64_p16_kv2(%[[S_BLOCKS:[^:]*]]: memref<?x2x2x16x2x64xf32>, %{{[^:]*}}: memref<?xi32>, %[[S_TABLE:[^:]*]]: memref<?x?xi32>, %[[S_K:[^:]*]]: memref<?x2x64xf32>, %[[S_V:[^:]*]]: memref<?x2x64xf32>, %{{[^:]*}}: memref<?xi32>, %[[S_LAYER:[^:]*]]: index, %[[S_FAULT:[^:]*]]: memref<1xi64>)
// CHECK:         %[[S_PAGES:.*]] = memref.dim %[[S_BLOCKS]], %c0
// CHECK:         %[[ROW:.*]] = gpu.block_id  x
// CHECK:         scf.while
// CHECK:         %[[PAGE32:.*]] = memref.load %[[S_TABLE]]
// CHECK:         %[[PAGE:.*]] = arith.index_castui %[[PAGE32]] : i32 to index
// CHECK:         %[[ON_POOL:.*]] = arith.cmpi ult, %[[PAGE]], %[[S_PAGES]] : index
// CHECK:         scf.if %[[ON_POOL]] {
// CHECK:         scf.for
// CHECK:           %[[KVEC:.*]] = vector.load %[[S_K]][%[[ROW]], %{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x2x64xf32>, vector<4xf32>
// CHECK:           vector.store %[[KVEC]], %[[S_BLOCKS]][%[[PAGE]], %c0{{.*}}, %[[S_LAYER]], %{{.*}}, %{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<?x2x2x16x2x64xf32>, vector<4xf32>
// CHECK:           %[[VVEC:.*]] = vector.load %[[S_V]]
// CHECK:           vector.store %[[VVEC]], %[[S_BLOCKS]][%[[PAGE]], %c1{{.*}}, %[[S_LAYER]],
// A page id off the pool is recorded, by thread 0, as
// ~(request << 32 | min(position, 2^32 - 2)) with an atomic unsigned max.
// CHECK:         } else {
// CHECK:           arith.minui %{{.*}}, %c4294967294_i64
// CHECK:           arith.shli %{{.*}}, %c32_i64
// CHECK:           %[[WORD:.*]] = arith.xori %{{.*}}, %c-1_i64
// CHECK:           memref.atomic_rmw maxu %[[WORD]], %[[S_FAULT]][%{{.*}}] : (i64, memref<1xi64>) -> i64
func.func @store(%kv: !kv, %layer: index, %k: memref<?x2x64xf32>, %v: memref<?x2x64xf32>, %offsets: memref<?xi32>) {
  kvcache.store %kv, %layer, %k, %v, %offsets : !kv, memref<?x2x64xf32>, memref<?x2x64xf32>, memref<?xi32>
  return
}
