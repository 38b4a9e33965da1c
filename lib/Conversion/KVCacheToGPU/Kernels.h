//===- Kernels.h - The kvcache GPU kernels ----------------------*- C++ -*-===//
//
// The kernels convert-kvcache-to-gpu generates, their argument lists (the
// host code passes exactly these, in this order) and the static facts they
// specialise on.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_KERNELS_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_KERNELS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace kvcache::gpukernels {

/// Queries of at most this many tokens take the decode kernel.
inline constexpr int64_t kMaxDecodeQueryLength = 8;

/// The attention problem a kernel solves, whatever the chip: the cache's
/// element type and dims (from kv_blocks), the value width, the query
/// heads, the softmax scale and the mask.
struct AttentionSpec {
  mlir::Type elementType;
  int64_t headDim = 0;
  /// Lanes of a value row, `out`'s last dim: head_dim, or on an MLA cache
  /// the latent row's first value_dim lanes.
  int64_t valueDim = 0;
  /// An MLA cache (kv_dim 1): one latent row per token, read as the key
  /// and, its first valueDim lanes, as the value (PagedCache's alias).
  bool mla = false;
  int64_t pageSize = 0;
  int64_t numKvHeads = 0;
  int64_t numQHeads = 0;
  float scale = 1.0f;
  bool causal = false;

  int64_t groupSize() const { return numQHeads / numKvHeads; }
  int64_t elementBytes() const {
    return elementType.getIntOrFloatBitWidth() / 8;
  }
  /// Elements per 16-byte vector.
  int64_t vectorWidth() const { return 16 / elementBytes(); }
  /// 16-byte vectors per head_dim row.
  int64_t vectorsPerRow() const { return headDim / vectorWidth(); }
  /// 16-byte vectors per value row (valueDim lanes).
  int64_t valueVectorsPerRow() const { return valueDim / vectorWidth(); }
  /// One 16-byte vector of the cache's element type.
  mlir::VectorType vectorType() const {
    return mlir::VectorType::get({vectorWidth()}, elementType);
  }
  /// The same lanes in f32, as the kernels compute.
  mlir::VectorType f32VectorType() const {
    return mlir::VectorType::get(
        {vectorWidth()}, mlir::Float32Type::get(elementType.getContext()));
  }
};

/// What the kernels are built for and with: the chip and the pass options.
struct GpuTarget {
  /// The chip's compute capability (90 for sm_90a).
  int64_t smVersion = 90;
  /// Threads per CTA.
  int64_t blockSize = 128;
  /// Whether decode may use tensor cores (Variants.cpp).
  bool tensorCores = true;
  /// Whether kernels check page ids against total_num_pages (Kernels.h's
  /// fault_word); off only to measure what the checks cost.
  bool pageGuard = true;
};

/// The static facts a kernel specialises on: the problem and the target.
struct KernelShape : AttentionSpec, GpuTarget {};

// Kernels that read lookup_table take `fault_word`, the runtime's fault word
// as a memref<1xi64> (include/kvcache/ABI/RuntimeHooks.h): a page id at or
// past total_num_pages (kv_blocks dim 0) is never dereferenced; its keys or
// rows are skipped and the kernel records (request, position) there.

/// Arguments of the store kernel. Grid (total_tokens), one CTA per new row.
enum StoreArg {
  kStoreKvBlocks,
  kStoreCacheLengths,
  kStoreLookupTable,
  kStoreKey,
  kStoreValue,
  kStoreRowOffsets,
  kStoreLayer,
  kStoreFaultWord,
  kStoreNumArgs
};

/// Arguments of the decode kernel. Grid (slots, num_kv_heads, batch).
/// `partial_out` is f32 [total_tokens, num_q_heads, slots, value_dim] and
/// `partial_lse` f32 [total_tokens, num_q_heads, slots], both flattened;
/// `num_partitions` (<= slots) is the active split count.
enum DecodeArg {
  kDecodeKvBlocks,
  kDecodeCacheLengths,
  kDecodeLookupTable,
  kDecodeQ,
  kDecodeRowOffsets,
  kDecodeOut,
  kDecodePartialOut,
  kDecodePartialLse,
  kDecodeLayer,
  kDecodeNumPartitions,
  kDecodeFaultWord,
  kDecodeNumArgs
};

/// Arguments of the combine kernel. Grid (total_tokens,
/// ceil(num_q_heads * warps_per_head / combineWarpsPerBlock)):
/// `warps_per_head` warps (a power of two dividing the CTA's) per (row,
/// q head).
enum CombineArg {
  kCombineRowOffsets,
  kCombinePartialOut,
  kCombinePartialLse,
  kCombineOut,
  kCombineNumPartitions,
  kCombineSlots,
  kCombineWarpsPerHead,
  kCombineNumArgs
};

/// Arguments of the prefill kernel. Grid
/// (ceil(max_prompt_length * group / prefillRowsPerBlock), num_kv_heads,
/// batch).
enum PrefillArg {
  kPrefillKvBlocks,
  kPrefillCacheLengths,
  kPrefillLookupTable,
  kPrefillQ,
  kPrefillRowOffsets,
  kPrefillOut,
  kPrefillLayer,
  kPrefillFaultWord,
  kPrefillNumArgs
};

/// Warps of a combine CTA.
inline int64_t combineWarpsPerBlock(const KernelShape &shape) {
  return shape.blockSize / 32;
}

/// Partitions one warp of the combine kernel merges with one round of
/// loads; the host gives a (row, q head) enough warps to cover its slots
/// this way, up to a CTA's.
int64_t combinePartitionsPerWarp(const KernelShape &shape);

/// CTAs per SM the decode kernels on CUDA cores are built for: asked of
/// ptxas when the rows' state fits (DecodeKernel.cpp), and what the split
/// rule fills the GPU with.
int64_t decodeBlocksPerSM(const KernelShape &shape);
/// The same for the tensor-core decode kernels, one-token and multi-token
/// (DecodeMmaKernel.cpp); ptxas is always asked for it.
int64_t decodeMmaBlocksPerSM(const KernelShape &shape);
int64_t decodeMultiMmaBlocksPerSM(const KernelShape &shape);

/// Query rows (token × group member) one prefill CTA owns.
int64_t prefillRowsPerBlock(const KernelShape &shape);

/// Creates an empty kernel `name` taking `argTypes`, with `workgroupBuffers`
/// (16-byte aligned) and a known block size, and leaves `b` inside it,
/// before its `gpu.return`. A nonzero `minBlocksPerSM` asks ptxas to fit
/// that many CTAs per SM (it caps registers per thread accordingly).
mlir::gpu::GPUFuncOp
createKernel(mlir::OpBuilder &b, mlir::Location loc, llvm::StringRef name,
             mlir::TypeRange argTypes, mlir::TypeRange workgroupBuffers,
             int64_t blockSize, int64_t minBlocksPerSM = 0);

/// Each builder emits one kernel at `b`'s insertion point (inside the
/// gpu.module) and returns it.
mlir::gpu::GPUFuncOp buildStoreKernel(mlir::OpBuilder &b, mlir::Location loc,
                                      llvm::StringRef name,
                                      mlir::TypeRange argTypes,
                                      const KernelShape &shape);
/// The decode kernel on CUDA cores. `multiToken`: the build for queries of
/// 2 .. kMaxDecodeQueryLength tokens (any length works; one-token queries
/// are the fast path). Variants.cpp says which build serves which shape.
mlir::gpu::GPUFuncOp buildDecodeKernel(mlir::OpBuilder &b, mlir::Location loc,
                                       llvm::StringRef name,
                                       mlir::TypeRange argTypes,
                                       const KernelShape &shape,
                                       bool multiToken);
/// The decode kernel on tensor cores, for the shapes Variants.cpp gives it.
mlir::gpu::GPUFuncOp
buildDecodeMmaKernel(mlir::OpBuilder &b, mlir::Location loc,
                     llvm::StringRef name, mlir::TypeRange argTypes,
                     const KernelShape &shape, bool multiToken);
mlir::gpu::GPUFuncOp buildCombineKernel(mlir::OpBuilder &b, mlir::Location loc,
                                        llvm::StringRef name,
                                        mlir::TypeRange argTypes,
                                        const KernelShape &shape);
mlir::gpu::GPUFuncOp buildPrefillKernel(mlir::OpBuilder &b, mlir::Location loc,
                                        llvm::StringRef name,
                                        mlir::TypeRange argTypes,
                                        const KernelShape &shape);

} // namespace kvcache::gpukernels

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_KERNELS_H
