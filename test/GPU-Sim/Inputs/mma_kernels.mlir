// A hand-written kernel for the simulator's MMA (test/GPU-Sim/mma.test):
// one warp loads its fragments of A (16x16, row-major in memory) and
// B (16x8, row-major in memory: a fragment's two rows of one column are
// loaded one by one) as the PTX ISA lays out mma.m16n8k16's, and of C
// (16x8 f32), does one bf16 and one f16 nvvm.mma.sync, and stores D
// (16x8 f32) from its fragments. With `swap` = 1 it passes A's registers 1
// and 2 the wrong way round (rows g + 8 for columns 2t + 8), which the
// test must see.
module attributes {gpu.container_module} {
  gpu.module @mma_kernels {
    gpu.func @mma(%a: memref<?xbf16>, %b: memref<?xbf16>,
                  %ah: memref<?xf16>, %bh: memref<?xf16>,
                  %c: memref<?xf32>, %swap: memref<?xi32>,
                  %d: memref<?xf32>, %dh: memref<?xf32>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      %c16 = arith.constant 16 : index
      %zero = arith.constant 0 : i32
      %lane = gpu.thread_id x
      %g = arith.divui %lane, %c4 : index
      %t = arith.remui %lane, %c4 : index
      %g8 = arith.addi %g, %c8 : index
      %k0 = arith.muli %t, %c2 : index
      %k1 = arith.addi %k0, %c1 : index
      %k8 = arith.addi %k0, %c8 : index
      %k9 = arith.addi %k8, %c1 : index
      %flag = memref.load %swap[%c0] : memref<?xi32>
      %swapped = arith.cmpi ne, %flag, %zero : i32

      // A: register r holds (row, cols col..col+1), consecutive in memory:
      // r0 (g, 2t), r1 (g + 8, 2t), r2 (g, 2t + 8), r3 (g + 8, 2t + 8).
      %rowG = arith.muli %g, %c16 : index
      %rowG8 = arith.muli %g8, %c16 : index
      %ia0 = arith.addi %rowG, %k0 : index
      %ia1 = arith.addi %rowG8, %k0 : index
      %ia2 = arith.addi %rowG, %k8 : index
      %ia3 = arith.addi %rowG8, %k8 : index
      // B: register r holds (rows k..k + 1, col g), a column apart in memory:
      // r0 (2t, g), r1 (2t + 8, g).
      %rowK0 = arith.muli %k0, %c8 : index
      %rowK1 = arith.muli %k1, %c8 : index
      %rowK8 = arith.muli %k8, %c8 : index
      %rowK9 = arith.muli %k9, %c8 : index
      %ib0 = arith.addi %rowK0, %g : index
      %ib1 = arith.addi %rowK1, %g : index
      %ib8 = arith.addi %rowK8, %g : index
      %ib9 = arith.addi %rowK9, %g : index
      // C and D: c0, c1 (g, 2t..2t + 1), c2, c3 (g + 8, 2t..2t + 1).
      %rowCG = arith.muli %g, %c8 : index
      %rowCG8 = arith.muli %g8, %c8 : index
      %ic0 = arith.addi %rowCG, %k0 : index
      %ic1 = arith.addi %rowCG, %k1 : index
      %ic2 = arith.addi %rowCG8, %k0 : index
      %ic3 = arith.addi %rowCG8, %k1 : index
      %acc0 = memref.load %c[%ic0] : memref<?xf32>
      %acc1 = memref.load %c[%ic1] : memref<?xf32>
      %acc2 = memref.load %c[%ic2] : memref<?xf32>
      %acc3 = memref.load %c[%ic3] : memref<?xf32>

      // bf16: the 32-bit registers as the kernels pass them, i32.
      %va0 = vector.load %a[%ia0] : memref<?xbf16>, vector<2xbf16>
      %va1 = vector.load %a[%ia1] : memref<?xbf16>, vector<2xbf16>
      %va2 = vector.load %a[%ia2] : memref<?xbf16>, vector<2xbf16>
      %va3 = vector.load %a[%ia3] : memref<?xbf16>, vector<2xbf16>
      %a0 = llvm.bitcast %va0 : vector<2xbf16> to i32
      %a1 = llvm.bitcast %va1 : vector<2xbf16> to i32
      %a2 = llvm.bitcast %va2 : vector<2xbf16> to i32
      %a3 = llvm.bitcast %va3 : vector<2xbf16> to i32
      %a1s = arith.select %swapped, %a2, %a1 : i32
      %a2s = arith.select %swapped, %a1, %a2 : i32
      %x0 = memref.load %b[%ib0] : memref<?xbf16>
      %x1 = memref.load %b[%ib1] : memref<?xbf16>
      %x8 = memref.load %b[%ib8] : memref<?xbf16>
      %x9 = memref.load %b[%ib9] : memref<?xbf16>
      %vb0 = vector.from_elements %x0, %x1 : vector<2xbf16>
      %vb1 = vector.from_elements %x8, %x9 : vector<2xbf16>
      %b0 = llvm.bitcast %vb0 : vector<2xbf16> to i32
      %b1 = llvm.bitcast %vb1 : vector<2xbf16> to i32
      %r = nvvm.mma.sync A[%a0, %a1s, %a2s, %a3] B[%b0, %b1]
        C[%acc0, %acc1, %acc2, %acc3]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         multiplicandAPtxType = #nvvm.mma_type<bf16>,
         multiplicandBPtxType = #nvvm.mma_type<bf16>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>}
        : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      %r0 = llvm.extractvalue %r[0] : !llvm.struct<(f32, f32, f32, f32)>
      %r1 = llvm.extractvalue %r[1] : !llvm.struct<(f32, f32, f32, f32)>
      %r2 = llvm.extractvalue %r[2] : !llvm.struct<(f32, f32, f32, f32)>
      %r3 = llvm.extractvalue %r[3] : !llvm.struct<(f32, f32, f32, f32)>
      memref.store %r0, %d[%ic0] : memref<?xf32>
      memref.store %r1, %d[%ic1] : memref<?xf32>
      memref.store %r2, %d[%ic2] : memref<?xf32>
      memref.store %r3, %d[%ic3] : memref<?xf32>

      // f16: the registers as vector<2xf16>.
      %ha0 = vector.load %ah[%ia0] : memref<?xf16>, vector<2xf16>
      %ha1 = vector.load %ah[%ia1] : memref<?xf16>, vector<2xf16>
      %ha2 = vector.load %ah[%ia2] : memref<?xf16>, vector<2xf16>
      %ha3 = vector.load %ah[%ia3] : memref<?xf16>, vector<2xf16>
      %ha1s = arith.select %swapped, %ha2, %ha1 : vector<2xf16>
      %ha2s = arith.select %swapped, %ha1, %ha2 : vector<2xf16>
      %y0 = memref.load %bh[%ib0] : memref<?xf16>
      %y1 = memref.load %bh[%ib1] : memref<?xf16>
      %y8 = memref.load %bh[%ib8] : memref<?xf16>
      %y9 = memref.load %bh[%ib9] : memref<?xf16>
      %hb0 = vector.from_elements %y0, %y1 : vector<2xf16>
      %hb1 = vector.from_elements %y8, %y9 : vector<2xf16>
      %s = nvvm.mma.sync A[%ha0, %ha1s, %ha2s, %ha3] B[%hb0, %hb1]
        C[%acc0, %acc1, %acc2, %acc3]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>}
        : (vector<2xf16>, vector<2xf16>, f32)
          -> !llvm.struct<(f32, f32, f32, f32)>
      %s0 = llvm.extractvalue %s[0] : !llvm.struct<(f32, f32, f32, f32)>
      %s1 = llvm.extractvalue %s[1] : !llvm.struct<(f32, f32, f32, f32)>
      %s2 = llvm.extractvalue %s[2] : !llvm.struct<(f32, f32, f32, f32)>
      %s3 = llvm.extractvalue %s[3] : !llvm.struct<(f32, f32, f32, f32)>
      memref.store %s0, %dh[%ic0] : memref<?xf32>
      memref.store %s1, %dh[%ic1] : memref<?xf32>
      memref.store %s2, %dh[%ic2] : memref<?xf32>
      memref.store %s3, %dh[%ic3] : memref<?xf32>
      gpu.return
    }
  }

  func.func @mma(%a: memref<256xbf16> {kvcache.name = "a"},
                 %b: memref<128xbf16> {kvcache.name = "b"},
                 %ah: memref<256xf16> {kvcache.name = "a_f16"},
                 %bh: memref<128xf16> {kvcache.name = "b_f16"},
                 %c: memref<128xf32> {kvcache.name = "c"},
                 %swap: memref<1xi32> {kvcache.name = "swap"},
                 %d: memref<128xf32> {kvcache.name = "d", kvcache.role = "output"},
                 %dh: memref<128xf32> {kvcache.name = "d_f16", kvcache.role = "output"}) {
    %c1 = arith.constant 1 : index
    %c32 = arith.constant 32 : index
    %da = memref.cast %a : memref<256xbf16> to memref<?xbf16>
    %db = memref.cast %b : memref<128xbf16> to memref<?xbf16>
    %dah = memref.cast %ah : memref<256xf16> to memref<?xf16>
    %dbh = memref.cast %bh : memref<128xf16> to memref<?xf16>
    %dc = memref.cast %c : memref<128xf32> to memref<?xf32>
    %dswap = memref.cast %swap : memref<1xi32> to memref<?xi32>
    %dd = memref.cast %d : memref<128xf32> to memref<?xf32>
    %ddh = memref.cast %dh : memref<128xf32> to memref<?xf32>
    gpu.launch_func @mma_kernels::@mma blocks in (%c1, %c1, %c1)
        threads in (%c32, %c1, %c1)
        args(%da : memref<?xbf16>, %db : memref<?xbf16>,
             %dah : memref<?xf16>, %dbh : memref<?xf16>,
             %dc : memref<?xf32>, %dswap : memref<?xi32>,
             %dd : memref<?xf32>, %ddh : memref<?xf32>)
    return
  }
}
