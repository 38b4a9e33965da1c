// RUN: kvcache-opt %s --kvcache-gpu-kernels-to-host --split-input-file --verify-diagnostics

// What the host simulator has no equivalent for is named, not dropped.

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%x: f32, %out: memref<?xf32>) kernel {
      // expected-error @below {{calls 'llvm.nvvm.rsqrt.approx.f', which has no host equivalent in kvcache-gpu-kernels-to-host}}
      %r = llvm.call_intrinsic "llvm.nvvm.rsqrt.approx.f"(%x) : (f32) -> f32
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%x: f64) kernel {
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      // expected-error @below {{shuffles a 'f64'; the host simulator shuffles 32-bit values only}}
      %s, %v = gpu.shuffle xor %x, %c1, %c32 : f64
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%x: f32) kernel {
      // expected-error @below {{has no host equivalent in kvcache-gpu-kernels-to-host}}
      %s = gpu.subgroup_reduce add %x : (f32) -> f32
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @below {{is not a kernel; kvcache-gpu-kernels-to-host converts kernels only}}
    gpu.func @helper(%x: f32) {
      gpu.return
    }
  }
}

// -----

// The simulator's MMA is m16n8k16 (row-major A, column-major B) with bf16
// or f16 multiplicands and f32 accumulators: other shapes, multiplicand
// types and accumulators are named.

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%h: vector<2xf16>, %c: f32) kernel {
      // expected-error @below {{has shape m16n8k8; kvcache-gpu-kernels-to-host runs mma.sync m16n8k16 with a row-major A, a column-major B, bf16 or f16 multiplicands and f32 accumulators only}}
      %d = nvvm.mma.sync A[%h, %h] B[%h] C[%c, %c, %c, %c]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         shape = #nvvm.shape<m = 16, n = 8, k = 8>}
        : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%a: i32, %c: i32) kernel {
      // expected-error @below {{has multiplicands A s8, B s8; kvcache-gpu-kernels-to-host runs mma.sync m16n8k16}}
      %d = nvvm.mma.sync A[%a, %a] B[%a] C[%c, %c, %c, %c]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         multiplicandAPtxType = #nvvm.mma_type<s8>,
         multiplicandBPtxType = #nvvm.mma_type<s8>,
         intOverflowBehavior = #nvvm.mma_int_overflow<satfinite>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>}
        : (i32, i32, i32) -> !llvm.struct<(i32, i32, i32, i32)>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%h: vector<2xf16>) kernel {
      // expected-error @below {{has accumulators 'vector<2xf16>', 'vector<2xf16>' and result '!llvm.struct<(vector<2xf16>, vector<2xf16>)>'; kvcache-gpu-kernels-to-host runs mma.sync m16n8k16}}
      %d = nvvm.mma.sync A[%h, %h, %h, %h] B[%h, %h] C[%h, %h]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>}
        : (vector<2xf16>, vector<2xf16>, vector<2xf16>)
          -> !llvm.struct<(vector<2xf16>, vector<2xf16>)>
      gpu.return
    }
  }
}
