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

/// A decode builder (`build`: one engine's) for one query-length class.
template <GPUFuncOp (*build)(OpBuilder &, Location, StringRef, TypeRange,
                             const KernelShape &, bool),
          bool multiToken>
GPUFuncOp buildDecode(OpBuilder &b, Location loc, StringRef name,
                      TypeRange argTypes, const KernelShape &shape) {
  return build(b, loc, name, argTypes, shape, multiToken);
}

// In order of preference within a kind.
const KernelVariant kVariants[] = {
    {KernelKind::Store, "store", Engine::CudaCores, always, buildStoreKernel,
     noRequest},
    {KernelKind::Decode, "decode", Engine::TensorCores, decodeOnTensorCores,
     buildDecode<buildDecodeMmaKernel, false>, decodeMmaBlocksPerSM},
    {KernelKind::Decode, "decode", Engine::CudaCores, always,
     buildDecode<buildDecodeKernel, false>, decodeBlocksPerSM},
    {KernelKind::DecodeMultiToken, "decode_multi", Engine::TensorCores,
     decodeOnTensorCores, buildDecode<buildDecodeMmaKernel, true>,
     decodeMultiMmaBlocksPerSM},
    {KernelKind::DecodeMultiToken, "decode_multi", Engine::CudaCores, always,
     buildDecode<buildDecodeKernel, true>, decodeBlocksPerSM},
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
