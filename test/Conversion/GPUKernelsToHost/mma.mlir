// RUN: kvcache-opt %s --kvcache-gpu-kernels-to-host | FileCheck %s
// RUN: kvcache-opt %s --pass-pipeline='builtin.module(kvcache-sim-kernels-to-llvm)' | FileCheck %s --check-prefix=LLVM

// nvvm.mma.sync m16n8k16 becomes the warp-collective hook: 16-bit pairs as
// i32, sites numbered with the shuffles, the results through one 4 x f32
// buffer in the entry block (not in the loop: a fiber's stack is small),
// loaded back into the struct the users extract from.

// CHECK: func.func private @kvcache_sim_mma_m16n8k16(i32, i32, i32, i32, i32, i32, f32, f32, f32, f32, !llvm.ptr, i32, i32)

// CHECK-LABEL: func.func private @mma(
// CHECK-SAME:    %[[A:[^:]*]]: i32, %[[B:[^:]*]]: i32, %{{[^:]*}}: memref<?xf16>, %[[C:[^:]*]]: f32,
// CHECK:         %[[FOUR:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK:         %[[D:.*]] = llvm.alloca %[[FOUR]] x f32 {alignment = 16 : i64} : (i64) -> !llvm.ptr
// CHECK:         call @kvcache_sim_shuffle(
// CHECK:         scf.for
// CHECK:           %[[BF16:.*]] = arith.constant 1 : i32
// CHECK:           %[[SITE1:.*]] = arith.constant 1 : i32
// CHECK:           call @kvcache_sim_mma_m16n8k16(%[[A]], %[[A]], %[[A]], %[[A]], %[[B]], %[[B]], %[[C]], %[[C]], %[[C]], %[[C]], %[[D]], %[[BF16]], %[[SITE1]])
// CHECK:           %[[R:.*]] = llvm.mlir.poison : !llvm.struct<(f32, f32, f32, f32)>
// CHECK:           %[[P0:.*]] = llvm.getelementptr %[[D]][0] : (!llvm.ptr) -> !llvm.ptr, f32
// CHECK:           %[[V0:.*]] = llvm.load %[[P0]] : !llvm.ptr -> f32
// CHECK:           %[[R0:.*]] = llvm.insertvalue %[[V0]], %[[R]][0]
// CHECK:           llvm.getelementptr %[[D]][1]
// CHECK:           llvm.insertvalue %{{.*}}[1]
// CHECK:           llvm.getelementptr %[[D]][2]
// CHECK:           llvm.insertvalue %{{.*}}[2]
// CHECK:           %[[P3:.*]] = llvm.getelementptr %[[D]][3]
// CHECK:           %[[V3:.*]] = llvm.load %[[P3]] : !llvm.ptr -> f32
// CHECK:           %[[R3:.*]] = llvm.insertvalue %[[V3]], %{{.*}}[3]
// CHECK:           llvm.extractvalue %[[R3]][3]
// CHECK:         %[[H:.*]] = vector.load
// CHECK:         %[[HI:.*]] = llvm.bitcast %[[H]] : vector<2xf16> to i32
// CHECK-COUNT-5: llvm.bitcast %[[H]] : vector<2xf16> to i32
// CHECK:         %[[F16:.*]] = arith.constant 2 : i32
// CHECK:         %[[SITE2:.*]] = arith.constant 2 : i32
// CHECK:         call @kvcache_sim_mma_m16n8k16(%[[HI]], {{.*}}, %[[D]], %[[F16]], %[[SITE2]])
// CHECK-NOT:     nvvm.mma.sync
// CHECK:         return

// After the LLVM lowering the buffer is still in the entry block, before
// the loop's first branch, and the hook a plain C call.
// LLVM-LABEL: llvm.func internal @mma(
// LLVM:         llvm.alloca %{{.*}} x f32
// LLVM:         llvm.br
// LLVM-NOT:     llvm.alloca
// LLVM:         llvm.call @kvcache_sim_mma_m16n8k16(
// LLVM-SAME:      (i32, i32, i32, i32, i32, i32, f32, f32, f32, f32, !llvm.ptr, i32, i32) -> ()

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mma(%a: i32, %b: i32, %halves: memref<?xf16>, %c: f32,
                  %out: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %one = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      %s, %valid = gpu.shuffle xor %c, %one, %c32 : f32
      %sum = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %s) -> f32 {
        %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%b, %b] C[%c, %c, %c, %c]
          {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
           multiplicandAPtxType = #nvvm.mma_type<bf16>,
           multiplicandBPtxType = #nvvm.mma_type<bf16>,
           shape = #nvvm.shape<m = 16, n = 8, k = 16>}
          : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
        %d3 = llvm.extractvalue %d[3] : !llvm.struct<(f32, f32, f32, f32)>
        %next = arith.addf %acc, %d3 : f32
        scf.yield %next : f32
      }
      // f16 multiplicands come as vector<2xf16>; their type is inferred.
      %h = vector.load %halves[%c0] : memref<?xf16>, vector<2xf16>
      %e = nvvm.mma.sync A[%h, %h, %h, %h] B[%h, %h] C[%sum, %c, %c, %c]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>}
        : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      %e0 = llvm.extractvalue %e[0] : !llvm.struct<(f32, f32, f32, f32)>
      memref.store %e0, %out[%c0] : memref<?xf32>
      gpu.return
    }
  }
}
