//===- Variants.cpp - Which kernel serves which specialisation ------------===//

#include "Variants.h"

#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace kvcache::gpukernels;
using gpu::GPUFuncOp;

namespace {

bool always(const KernelShape &) { return true; }
int64_t noRequest(const KernelShape &) { return 0; }

/// Tensor-core decode: mma.sync m16n8k16 on 16-bit caches with head_dim 64
/// or 128 (DecodeMmaKernel.cpp), unless turned off. MLA caches (a value
/// narrower than the key) run on CUDA cores for now.
bool decodeOnTensorCores(const KernelShape &shape) {
  return shape.tensorCores && !shape.mla &&
         (shape.elementType.isBF16() || shape.elementType.isF16()) &&
         (shape.headDim == 64 || shape.headDim == 128);
}

GPUFuncOp buildDecodeMma(OpBuilder &b, Location loc, StringRef name,
                         TypeRange argTypes, const KernelShape &shape) {
  return buildDecodeMmaKernel(b, loc, name, argTypes, shape,
                              /*multiToken=*/false);
}
GPUFuncOp buildDecodeMultiMma(OpBuilder &b, Location loc, StringRef name,
                              TypeRange argTypes, const KernelShape &shape) {
  return buildDecodeMmaKernel(b, loc, name, argTypes, shape,
                              /*multiToken=*/true);
}
GPUFuncOp buildDecodeCuda(OpBuilder &b, Location loc, StringRef name,
                          TypeRange argTypes, const KernelShape &shape) {
  return buildDecodeKernel(b, loc, name, argTypes, shape,
                           /*multiToken=*/false);
}
GPUFuncOp buildDecodeMultiCuda(OpBuilder &b, Location loc, StringRef name,
                               TypeRange argTypes, const KernelShape &shape) {
  return buildDecodeKernel(b, loc, name, argTypes, shape,
                           /*multiToken=*/true);
}

// In order of preference within a kind.
const KernelVariant kVariants[] = {
    {KernelKind::Store, "store", Engine::CudaCores, always, buildStoreKernel,
     noRequest},
    {KernelKind::Decode, "decode", Engine::TensorCores, decodeOnTensorCores,
     buildDecodeMma, decodeMmaBlocksPerSM},
    {KernelKind::Decode, "decode", Engine::CudaCores, always, buildDecodeCuda,
     decodeBlocksPerSM},
    {KernelKind::DecodeMultiToken, "decode_multi", Engine::TensorCores,
     decodeOnTensorCores, buildDecodeMultiMma, decodeMultiMmaBlocksPerSM},
    {KernelKind::DecodeMultiToken, "decode_multi", Engine::CudaCores, always,
     buildDecodeMultiCuda, decodeBlocksPerSM},
    {KernelKind::Combine, "combine", Engine::CudaCores, always,
     buildCombineKernel, noRequest},
    {KernelKind::Prefill, "prefill", Engine::CudaCores, always,
     buildPrefillKernel, noRequest},
};

} // namespace

const KernelVariant &kvcache::gpukernels::variantFor(KernelKind kind,
                                                     const KernelShape &shape) {
  for (const KernelVariant &variant : kVariants)
    if (variant.kind == kind && variant.serves(shape))
      return variant;
  llvm_unreachable("every kernel kind ends with a variant for every shape");
}
