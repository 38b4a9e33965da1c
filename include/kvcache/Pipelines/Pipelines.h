//===- Pipelines.h - End-to-end kvcache pipelines ---------------*- C++ -*-===//
//
// The pass pipelines, as a C++ API that tools and embedders both call (and as
// registered pipelines for kvcache-opt and the plugin).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_PIPELINES_PIPELINES_H
#define KVCACHE_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace kvcache {

struct FlattenPipelineOptions
    : public mlir::PassPipelineOptions<FlattenPipelineOptions> {
  Option<bool> kernelABI{
      *this, "kernel-abi",
      llvm::cl::desc("Drop the four dispatch fields (MAX's kernel ABI)"),
      llvm::cl::init(false)};
  Option<bool> publicFunctions{
      *this, "public-functions",
      llvm::cl::desc("Also prune unread fields from public signatures"),
      llvm::cl::init(false)};
};

/// What a graph compiler runs to hand a module to a runtime: prune optional
/// fields nothing reads, then flatten every bundle into annotated arguments
/// (`kvcache-drop-optional-fields,kvcache-expand-inputs`).
void buildFlattenPipeline(mlir::OpPassManager &pm,
                          const FlattenPipelineOptions &options = {});

struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<int64_t> splits{
      *this, "splits",
      llvm::cl::desc("Split-K partitions per request (0: from "
                     "attention_dispatch_metadata when present, else 1)"),
      llvm::cl::init(0)};
};

/// The CPU path up to the flat signature: prune, bufferize a tensor graph
/// (returned tensors become output arguments; see kvcache-bufferize-graph in
/// Pipelines/Passes.h), lower the compute ops to loops while bundles still
/// exist, then flatten (`kvcache-drop-optional-fields,kvcache-bufferize-graph,
/// convert-kvcache-to-loops{splits},kvcache-expand-inputs`). The result is
/// what a bundle's manifest describes: public functions whose arguments carry
/// `kvcache.field`/`device`/`cache` or the user's `kvcache.name`/`role`.
void buildCPUHighLevelPipeline(mlir::OpPassManager &pm,
                               const CPUPipelineOptions &options = {});

/// The CPU path from the flat signature to the LLVM dialect: public functions
/// get a C interface (`_mlir_ciface_<name>`, memrefs passed as pointers to
/// descriptors) and private ones internal linkage; then linalg becomes loops,
/// bf16 and f16 arithmetic (and math functions) is computed in f32 and
/// rounded after every operation, the 16-bit casts become integer arithmetic
/// (no soft-float builtin calls), scf/affine/math/arith/memref/func/cf/index/
/// ub go to LLVM, casts are reconciled, and a final check fails the pipeline
/// if any operation outside the LLVM dialect (a `kvcache` op, an
/// `unrealized_conversion_cast`) survives.
void buildCPULLVMLoweringPipeline(mlir::OpPassManager &pm);

/// Both halves: a graph to an LLVM-dialect module ready for translation.
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options = {});

struct NVVMPipelineOptions
    : public mlir::PassPipelineOptions<NVVMPipelineOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("The GPU to compile for (sm_80 or newer); always passed "
                     "on to the upstream lowering, whose default ptxas "
                     "rejects"),
      llvm::cl::init("sm_90a")};
  Option<int64_t> splits{
      *this, "splits",
      llvm::cl::desc("Force this many split-K partitions in decode (0: the "
                     "dispatch metadata or the fill-the-GPU rule)"),
      llvm::cl::init(0)};
  Option<int64_t> splitsCap{
      *this, "splits-cap",
      llvm::cl::desc("Most split-K slots a decode launch gets"),
      llvm::cl::init(64)};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per CTA"),
                            llvm::cl::init(128)};
  Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("Decode 16-bit caches on tensor cores where the shape "
                     "allows (false: CUDA cores)"),
      llvm::cl::init(true)};
  Option<bool> pageGuard{
      *this, "page-guard",
      llvm::cl::desc("Check page ids in the kernels (false: only to measure "
                     "what the check costs)"),
      llvm::cl::init(true)};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("gpu-module-to-binary format: bin (cubin, needs ptxas) "
                     "or isa (PTX text)"),
      llvm::cl::init("bin")};
};

/// The GPU path up to the flat signature: prune, kvcache-bufferize-graph,
/// kvcache-check-device-placement (no host op on device-placed memory, which
/// includes the output arguments that returned tensors became),
/// convert-kvcache-to-gpu, flatten (kvcache-compile reads the manifest
/// there).
void buildGPUHighLevelPipeline(mlir::OpPassManager &pm,
                               const NVVMPipelineOptions &options);

/// From the flat signature to a gpu.binary and host code in the LLVM
/// dialect, with C interfaces for public functions (host linalg, on
/// host-placed memory, as loops).
void buildGPULoweringPipeline(mlir::OpPassManager &pm,
                              const NVVMPipelineOptions &options);

/// `kvcache-to-nvvm`: both halves.
void buildNVVMPipeline(mlir::OpPassManager &pm,
                       const NVVMPipelineOptions &options = {});

/// The CPU simulator's half of a sim bundle (kvcache-compile --target=sim),
/// on a module that holds the kernel modules alone:
/// kvcache-gpu-kernels-to-host, the vector lowering, the CPU LLVM lowering
/// above, then kvcache-sim-kernel-entries (`K_packed`, `K_param_types`).
void buildSimKernelLoweringPipeline(mlir::OpPassManager &pm);

/// Registers `kvcache-flatten`, `kvcache-to-llvm`, `kvcache-to-nvvm` and
/// `kvcache-sim-kernels-to-llvm`, and the helper passes they print in
/// their textual form (see Pipelines/Passes.h).
void registerKVCachePipelines();

} // namespace kvcache

#endif // KVCACHE_PIPELINES_PIPELINES_H
