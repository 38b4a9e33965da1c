

module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%h: vector<2xf16>) kernel {
      // expected-error @below {{hactor<2xf16>)>'; kvcache-gpu-kernels-to-host runs mma.sync m16n8k16}}
      %d = nvvm.mma.sync A[%h, %h, %h, %h] B[%h, %h] C[%h, %h]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>}
        : (vector<2xf16>, vector<2xf16>, vector<2xf16>)
          -> !llvm.struct<(vector<1xf16>, vector<2xf16>)>
      gpu.return
    }
  }
}
