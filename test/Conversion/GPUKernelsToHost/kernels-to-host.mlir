// RUN: kvcache-opt %s --kvcache-gpu-kernels-to-host | FileCheck %s
// RUN: kvcache-opt %s --pass-pipeline='builtin.module(kvcache-sim-kernels-to-llvm)' | FileCheck %s --check-prefix=LLVM

// Every hardware query becomes a hook call; the kernel a private func.func
// marked for kvcache-sim-kernel-entries; the workgroup buffer the CTA's,
// without its address space; NVVM intrinsics their host equivalents.

// CHECK-DAG: func.func private @kvcache_sim_thread_id(i32) -> i64
// CHECK-DAG: func.func private @kvcache_sim_block_id(i32) -> i64
// CHECK-DAG: func.func private @kvcache_sim_grid_dim(i32) -> i64
// CHECK-DAG: func.func private @kvcache_sim_block_dim(i32) -> i64
// CHECK-DAG: func.func private @kvcache_sim_barrier(i32)
// CHECK-DAG: func.func private @kvcache_sim_shuffle(i32, i32, i32, i32, i32) -> i64
// CHECK-DAG: func.func private @kvcache_sim_workgroup(i32, i64) -> !llvm.ptr
// CHECK-NOT: gpu.module

// CHECK-LABEL: func.func private @sum(
// CHECK-SAME:    %[[IN:.*]]: memref<?xf32>, %[[OUT:.*]]: memref<?xf32>)
// CHECK-SAME:    attributes {kvcache.sim_kernel}
// CHECK:         %[[BYTES:.*]] = arith.constant 512 : i64
// CHECK:         %[[PTR:.*]] = call @kvcache_sim_workgroup(%{{.*}}, %[[BYTES]])
// CHECK:         %[[TILE:.*]] = builtin.unrealized_conversion_cast %{{.*}} : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<128xf32>
// CHECK:         %[[X:.*]] = arith.constant 0 : i32
// CHECK:         %[[TID64:.*]] = call @kvcache_sim_thread_id(%[[X]])
// CHECK:         %[[TID:.*]] = arith.index_cast %[[TID64]] : i64 to index
// CHECK:         call @kvcache_sim_block_id
// CHECK:         call @kvcache_sim_grid_dim
// CHECK:         call @kvcache_sim_block_dim
// CHECK:         memref.store %{{.*}}, %[[TILE]][%[[TID]]] : memref<128xf32>
// CHECK:         call @kvcache_sim_barrier(%{{.*}}) : (i32) -> ()
// CHECK:         %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK:         %[[PACKED:.*]] = call @kvcache_sim_shuffle(%[[BITS]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK:         %[[LOW:.*]] = arith.trunci %[[PACKED]] : i64 to i32
// CHECK:         arith.bitcast %[[LOW]] : i32 to f32
// CHECK:         math.exp2
// CHECK:         math.log2
// CHECK:         arith.maxnumf
// CHECK-NOT:     llvm.call_intrinsic
// CHECK:         return

// The LLVM lowering keeps the kernel's expanded parameters (two memref
// descriptors: 10 scalars) and adds the cuLaunchKernel-style entry.
// LLVM-LABEL: llvm.func internal @sum(
// LLVM-LABEL: llvm.func @sum_packed(%{{.*}}: !llvm.ptr)
// LLVM-COUNT-10: llvm.getelementptr %{{.*}}[{{[0-9]+}}] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// LLVM:          llvm.call @sum(
// LLVM:        llvm.mlir.global external constant @sum_param_types("ptr,ptr,i64,i64,i64,ptr,ptr,i64,i64,i64\00")
// LLVM:        llvm.func weak hidden @__truncsfbf2(

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @sum(%in: memref<?xf32>, %out: memref<?xf32>)
        workgroup(%tile: memref<128xf32, #gpu.address_space<workgroup>>)
        kernel {
      %t = gpu.thread_id x
      %b = gpu.block_id x
      %g = gpu.grid_dim x
      %n = gpu.block_dim x
      %x = memref.load %in[%t] : memref<?xf32>
      memref.store %x, %tile[%t] : memref<128xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %y = memref.load %tile[%b] : memref<128xf32, #gpu.address_space<workgroup>>
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      %s, %valid = gpu.shuffle xor %y, %c1, %c32 : f32
      %e = llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f"(%s) : (f32) -> f32
      %l = llvm.call_intrinsic "llvm.nvvm.lg2.approx.ftz.f"(%e) : (f32) -> f32
      %m = llvm.call_intrinsic "llvm.nvvm.fmax.f"(%l, %s) : (f32, f32) -> f32
      memref.store %m, %out[%t] : memref<?xf32>
      gpu.return
    }
  }
}
