//===- CombineKernel.cpp - Merges the split-K partials of decode ----------===//
//
// One CTA per query row (token); its threads walk the row's (q head, 16-byte
// vector) pairs. The merge is convert-kvcache-to-loops' combine in log2
// units: weights 2^(lse_s - max lse), output Σ w_s · o_s / Σ w_s, with empty
// splits (lse -inf) weighing 0.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"
#include "Kernels.h"

#include <limits>

using namespace mlir;
using namespace kvcache::gpukernels;

gpu::GPUFuncOp
kvcache::gpukernels::buildCombineKernel(OpBuilder &b, Location loc,
                                        StringRef name, TypeRange argTypes,
                                        const KernelShape &shape) {
  auto kernel = createKernel(b, loc, name, argTypes, /*workgroupBuffers=*/{},
                             shape.blockSize);
  Emitter e(b, loc);
  auto arg = [&](CombineArg which) { return kernel.getArgument(which); };
  Value offsets = arg(kCombineRowOffsets);
  Value numPartitions = arg(kCombineNumPartitions);
  Value slots = arg(kCombineSlots);

  Value row = e.blockId(gpu::Dimension::x);
  Value batch = e.sub(e.dim(offsets, 0), e.index(1));
  // One partition wrote `out` directly; rows outside every request were
  // never written by the decode kernel.
  Value active =
      e.andI(e.cmp(arith::CmpIPredicate::ugt, numPartitions, e.index(1)),
             e.andI(e.cmp(arith::CmpIPredicate::ule,
                          e.loadUnsigned(offsets, e.index(0)), row),
                    e.ult(row, e.loadUnsigned(offsets, batch))));
  e.ifThen(active, [&] {
    Value vectorsPerRow = e.index(shape.vectorsPerRow());
    Value negInf = e.f32(-std::numeric_limits<float>::infinity());
    e.loop(
        e.threadId(), e.index(shape.numQHeads * shape.vectorsPerRow()),
        e.index(shape.blockSize), [&](Value item) {
          Value qHead = e.divU(item, vectorsPerRow);
          Value lanes =
              e.mul(e.remU(item, vectorsPerRow), e.index(shape.vectorWidth()));
          Value base =
              e.mul(e.add(e.mul(row, e.index(shape.numQHeads)), qHead), slots);
          Value max =
              e.loop(e.index(0), numPartitions, e.index(1), negInf,
                     [&](Value s, ValueRange acc) {
                       Value lse =
                           e.load(arg(kCombinePartialLse), e.add(base, s));
                       return SmallVector<Value>{e.maxF(acc.front(), lse)};
                     })
                  .front();
          // All splits empty cannot happen for a row with keys; keep the
          // weights finite anyway.
          Value finiteMax = e.select(
              e.cmpF(arith::CmpFPredicate::OEQ, max, negInf), e.f32(0.0f), max);
          SmallVector<Value> sums =
              e.loop(e.index(0), numPartitions, e.index(1),
                     ValueRange{e.f32(0.0f), e.zeros(shape.f32VectorType())},
                     [&](Value s, ValueRange acc) {
                       Value slot = e.add(base, s);
                       Value weight = e.exp2(e.subF(
                           e.load(arg(kCombinePartialLse), slot), finiteMax));
                       Value partial = e.loadVector(
                           shape.f32VectorType(), arg(kCombinePartialOut),
                           e.add(e.mul(slot, e.index(shape.headDim)), lanes));
                       return SmallVector<Value>{
                           e.addF(acc[0], weight),
                           e.fma(e.splat(shape.f32VectorType(), weight),
                                 partial, acc[1])};
                     });
          Value total = sums[0];
          Value inverse = e.select(
              e.cmpF(arith::CmpFPredicate::OGT, total, e.f32(0.0f)),
              arith::DivFOp::create(b, loc, e.f32(1.0f), total), e.f32(0.0f));
          Value result =
              e.mulF(sums[1], e.splat(shape.f32VectorType(), inverse));
          e.storeVector(e.truncTo(shape.elementType, result), arg(kCombineOut),
                        {row, qHead, lanes});
        });
  });
  return kernel;
}
