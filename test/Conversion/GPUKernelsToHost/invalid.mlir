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
