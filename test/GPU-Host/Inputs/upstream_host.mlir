// Host code and a kernel in upstream MLIR's GPU dialect, for a bundle built
// with upstream's own lowering (gpu-lower-to-nvvm-pipeline, mlir-translate,
// llc): the mgpu* calls, their signatures and the parameter lists are
// exactly what LLVM 22 generates, independent of convert-kvcache-to-gpu.
// @ok reads a host-placed memref on the host to size its grid, asks the
// runtime for the SM count and a workspace, and launches on all three.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @scale(%in: memref<?xf32>, %out: memref<?xf32>, %n: index)
        kernel {
      %block = gpu.block_id x
      %thread = gpu.thread_id x
      %size = gpu.block_dim x
      %base = arith.muli %block, %size : index
      %i = arith.addi %base, %thread : index
      %inside = arith.cmpi ult, %i, %n : index
      scf.if %inside {
        %x = memref.load %in[%i] : memref<?xf32>
        %y = arith.addf %x, %x : f32
        memref.store %y, %out[%i] : memref<?xf32>
      }
      gpu.return
    }
  }

  func.func private @kvcache_runtime_num_sms() -> i32
  func.func private @kvcache_runtime_workspace(i64) -> i64

  func.func @ok(%in: memref<?xf32>, %out: memref<?xf32>,
                %lengths: memref<2xi32>, %scratch: memref<16xf32>)
      attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %n = memref.dim %in, %c0 : memref<?xf32>
    %rows32 = memref.load %lengths[%c0] : memref<2xi32>
    %rows = arith.index_cast %rows32 : i32 to index
    gpu.launch_func @kernels::@scale blocks in (%rows, %c1, %c1)
        threads in (%c128, %c1, %c1)
        args(%in : memref<?xf32>, %out : memref<?xf32>, %n : index)
    %sms32 = func.call @kvcache_runtime_num_sms() : () -> i32
    %sms = arith.index_cast %sms32 : i32 to index
    gpu.launch_func @kernels::@scale blocks in (%sms, %c1, %c1)
        threads in (%c128, %c1, %c1)
        args(%in : memref<?xf32>, %out : memref<?xf32>, %n : index)
    %n64 = arith.index_cast %n : index to i64
    %c4 = arith.constant 4 : i64
    %bytes = arith.muli %n64, %c4 : i64
    %address = func.call @kvcache_runtime_workspace(%bytes) : (i64) -> i64
    %pointer = llvm.inttoptr %address : i64 to !llvm.ptr
    %empty = llvm.mlir.poison : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
    %d0 = llvm.insertvalue %pointer, %empty[0] : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
    %d1 = llvm.insertvalue %pointer, %d0[1] : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
    %zero = llvm.mlir.constant(0 : i64) : i64
    %one = llvm.mlir.constant(1 : i64) : i64
    %d2 = llvm.insertvalue %zero, %d1[2] : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
    %d3 = llvm.insertvalue %n64, %d2[3, 0] : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
    %d4 = llvm.insertvalue %one, %d3[4, 0] : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
    %workspace = builtin.unrealized_conversion_cast %d4 : !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)> to memref<?xf32>
    gpu.launch_func @kernels::@scale blocks in (%c1, %c1, %c1)
        threads in (%c128, %c1, %c1)
        args(%in : memref<?xf32>, %workspace : memref<?xf32>, %n : index)
    return
  }
}
