//===- StoreKernel.cpp - kvcache.store as a GPU kernel --------------------===//
//
// One CTA per new row (a token of the ragged batch): it finds its request by
// a binary search over input_row_offsets, computes the row's page and slot
// once, and its threads copy the row's K and V, 16 bytes per thread and
// access, into the page.
//
//===----------------------------------------------------------------------===//

#include "Emitter.h"
#include "Kernels.h"
#include "PagedCache.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace kvcache;
using namespace kvcache::gpukernels;

namespace {

/// The request that owns `row`: the first b in [0, batch) with
/// offsets[b + 1] > row, or `batch` when no request does.
Value findRequest(Emitter &e, Value offsets, Value row, Value batch) {
  OpBuilder &b = e.b;
  Type index = b.getIndexType();
  auto search = scf::WhileOp::create(
      b, e.loc, TypeRange{index, index}, ValueRange{e.index(0), batch},
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        Value notDone = arith::CmpIOp::create(
            nested, loc, arith::CmpIPredicate::ult, args[0], args[1]);
        scf::ConditionOp::create(nested, loc, notDone, args);
      },
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPoint(nested.getInsertionBlock(),
                            nested.getInsertionPoint());
        Value low = args[0], high = args[1];
        Value mid = e.divU(e.add(low, high), e.index(2));
        Value end = e.loadUnsigned(offsets, e.add(mid, e.index(1)));
        Value after = e.cmp(arith::CmpIPredicate::ule, end, row);
        scf::YieldOp::create(
            b, e.loc,
            ValueRange{e.select(after, e.add(mid, e.index(1)), low),
                       e.select(after, high, mid)});
      });
  return search.getResult(0);
}

} // namespace

gpu::GPUFuncOp kvcache::gpukernels::buildStoreKernel(OpBuilder &b, Location loc,
                                                     StringRef name,
                                                     TypeRange argTypes,
                                                     const KernelShape &shape) {
  auto kernel = createKernel(b, loc, name, argTypes, /*workgroupBuffers=*/{},
                             shape.blockSize);
  Emitter e(b, loc);
  auto arg = [&](StoreArg which) { return kernel.getArgument(which); };
  Value offsets = arg(kStoreRowOffsets);
  PagedCache cache(e, shape, arg(kStoreKvBlocks), arg(kStoreLookupTable),
                   arg(kStoreLayer));

  Value row = e.blockId(gpu::Dimension::x);
  Value batch = e.sub(e.dim(offsets, 0), e.index(1));
  Value request = findRequest(e, offsets, row, batch);
  Value owned = e.ult(request, batch);
  e.ifThen(owned, [&] {
    Value first = e.loadUnsigned(offsets, request);
    // Rows before offsets[0] belong to no request either.
    e.ifThen(e.cmp(arith::CmpIPredicate::ule, first, row), [&] {
      Value position = e.add(e.loadUnsigned(arg(kStoreCacheLengths), request),
                             e.sub(row, first));
      Value page = cache.pageId(request, cache.pageIndex(position));
      Value slot = cache.slot(position);
      int64_t vectorsPerRow = shape.vectorsPerRow();
      Value perRow = e.index(vectorsPerRow);
      // A page id past the pool is never written; one thread records it.
      Value onPool = cache.onPool(page);
      e.ifThenElse(
          onPool,
          [&] {
            // Consecutive threads take consecutive 16-byte vectors of the
            // row: coalesced reads of key/value and writes into the page.
            e.loop(e.threadId(), e.index(shape.numKvHeads * vectorsPerRow),
                   e.index(shape.blockSize), [&](Value vectorIndex) {
                     Value head = e.divU(vectorIndex, perRow);
                     Value lane = e.mul(e.remU(vectorIndex, perRow),
                                        e.index(shape.vectorWidth()));
                     // An MLA cache stores the latent rows (`key`) only.
                     SmallVector<std::pair<abi::KvPart, Value>, 2> parts = {
                         {abi::kKeyPart, arg(kStoreKey)}};
                     if (!shape.mla)
                       parts.push_back({abi::kValuePart, arg(kStoreValue)});
                     for (auto [part, rows] : parts) {
                       Value vector = e.loadVector(shape.vectorType(), rows,
                                                   {row, head, lane});
                       cache.storeVector(vector, part, page, slot, head, lane);
                     }
                   });
          },
          [&] {
            e.ifThen(
                e.cmp(arith::CmpIPredicate::eq, e.threadId(), e.index(0)), [&] {
                  e.recordPageFault(arg(kStoreFaultWord), request, position);
                });
          });
    });
  });
  return kernel;
}
