// Hand-written kernels for the simulator's own tests, compiled by
// kvcache-compile --target=sim like the generated ones (a graph may bring
// its own gpu.module and launches). Each CTA reverses 128 values through
// workgroup memory: @reverse with the barrier the exchange needs,
// @divergent with the barrier inside a branch only half of the threads take
// (undefined on a GPU: it may hang or pass), @racy without the barrier;
// @wild stores far out of bounds.
module attributes {gpu.container_module} {
  gpu.module @hand_kernels {
    gpu.func @reverse(%in: memref<?xf32>, %out: memref<?xf32>)
        workgroup(%tile: memref<128xf32, #gpu.address_space<workgroup>>)
        kernel {
      %c127 = arith.constant 127 : index
      %t = gpu.thread_id x
      %x = memref.load %in[%t] : memref<?xf32>
      memref.store %x, %tile[%t] : memref<128xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %r = arith.subi %c127, %t : index
      %y = memref.load %tile[%r] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %y, %out[%t] : memref<?xf32>
      gpu.return
    }
    gpu.func @divergent(%in: memref<?xf32>, %out: memref<?xf32>)
        workgroup(%tile: memref<128xf32, #gpu.address_space<workgroup>>)
        kernel {
      %c64 = arith.constant 64 : index
      %c127 = arith.constant 127 : index
      %t = gpu.thread_id x
      %x = memref.load %in[%t] : memref<?xf32>
      memref.store %x, %tile[%t] : memref<128xf32, #gpu.address_space<workgroup>>
      %low = arith.cmpi ult, %t, %c64 : index
      scf.if %low {
        gpu.barrier
      }
      %r = arith.subi %c127, %t : index
      %y = memref.load %tile[%r] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %y, %out[%t] : memref<?xf32>
      gpu.return
    }
    gpu.func @racy(%in: memref<?xf32>, %out: memref<?xf32>)
        workgroup(%tile: memref<128xf32, #gpu.address_space<workgroup>>)
        kernel {
      %c127 = arith.constant 127 : index
      %t = gpu.thread_id x
      %x = memref.load %in[%t] : memref<?xf32>
      memref.store %x, %tile[%t] : memref<128xf32, #gpu.address_space<workgroup>>
      %r = arith.subi %c127, %t : index
      %y = memref.load %tile[%r] : memref<128xf32, #gpu.address_space<workgroup>>
      memref.store %y, %out[%t] : memref<?xf32>
      gpu.return
    }
    gpu.func @wild(%in: memref<?xf32>, %out: memref<?xf32>) kernel {
      %far = arith.constant 1000000000000 : index
      %t = gpu.thread_id x
      %x = memref.load %in[%t] : memref<?xf32>
      %i = arith.muli %t, %far : index
      memref.store %x, %out[%i] : memref<?xf32>
      gpu.return
    }
  }

  func.func @reverse(%in: memref<128xf32> {kvcache.name = "in"},
                     %out: memref<128xf32> {kvcache.name = "out", kvcache.role = "output"}) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %din = memref.cast %in : memref<128xf32> to memref<?xf32>
    %dout = memref.cast %out : memref<128xf32> to memref<?xf32>
    gpu.launch_func @hand_kernels::@reverse blocks in (%c1, %c1, %c1)
        threads in (%c128, %c1, %c1)
        args(%din : memref<?xf32>, %dout : memref<?xf32>)
    return
  }
  func.func @divergent(%in: memref<128xf32> {kvcache.name = "in"},
                       %out: memref<128xf32> {kvcache.name = "out", kvcache.role = "output"}) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %din = memref.cast %in : memref<128xf32> to memref<?xf32>
    %dout = memref.cast %out : memref<128xf32> to memref<?xf32>
    gpu.launch_func @hand_kernels::@divergent blocks in (%c1, %c1, %c1)
        threads in (%c128, %c1, %c1)
        args(%din : memref<?xf32>, %dout : memref<?xf32>)
    return
  }
  func.func @wild(%in: memref<128xf32> {kvcache.name = "in"},
                  %out: memref<128xf32> {kvcache.name = "out", kvcache.role = "output"}) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %din = memref.cast %in : memref<128xf32> to memref<?xf32>
    %dout = memref.cast %out : memref<128xf32> to memref<?xf32>
    gpu.launch_func @hand_kernels::@wild blocks in (%c1, %c1, %c1)
        threads in (%c128, %c1, %c1)
        args(%din : memref<?xf32>, %dout : memref<?xf32>)
    return
  }
  func.func @racy(%in: memref<128xf32> {kvcache.name = "in"},
                  %out: memref<128xf32> {kvcache.name = "out", kvcache.role = "output"}) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %din = memref.cast %in : memref<128xf32> to memref<?xf32>
    %dout = memref.cast %out : memref<128xf32> to memref<?xf32>
    gpu.launch_func @hand_kernels::@racy blocks in (%c1, %c1, %c1)
        threads in (%c128, %c1, %c1)
        args(%din : memref<?xf32>, %dout : memref<?xf32>)
    return
  }
}
