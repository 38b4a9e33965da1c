//===- PagedCache.cpp - The paged cache as kernels read it ----------------===//

#include "PagedCache.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace kvcache;
using namespace kvcache::gpukernels;

Value PagedCache::pageIndex(Value position) const {
  return e->divU(position, e->index(shape->pageSize));
}

Value PagedCache::slot(Value position) const {
  return e->remU(position, e->index(shape->pageSize));
}

Value PagedCache::pagesFor(Value keyEnd) const {
  return e->ceilDivU(keyEnd, e->index(shape->pageSize));
}

Value PagedCache::firstKey(Value page) const {
  return e->mul(page, e->index(shape->pageSize));
}

Value PagedCache::pageId(Value request, Value index) const {
  return e->loadUnsigned(lookupTable, {request, index});
}

Value PagedCache::pageIdWord(Value request, Value index) const {
  return e->load(lookupTable, {request, index});
}

Value PagedCache::onPool(Value page) const {
  if (!shape->pageGuard)
    return arith::ConstantOp::create(e->b, e->loc, e->b.getBoolAttr(true));
  return e->ult(page, numPages());
}

SmallVector<Value, 6> PagedCache::indices(abi::KvPart part, Value page,
                                          Value slot, Value kvHead,
                                          Value lane) const {
  // kv_blocks' dims in order (abi::KvBlocksDim). An MLA cache's one row is
  // its key and its value: both parts alias kv 0.
  int64_t kv = shape->mla ? abi::kKeyPart : part;
  return {page, e->index(kv), layer, slot, kvHead, lane};
}

Value PagedCache::loadVector(abi::KvPart part, Value page, Value slot,
                             Value kvHead, Value lane) const {
  return e->loadVector(shape->vectorType(), kvBlocks,
                       indices(part, page, slot, kvHead, lane));
}

void PagedCache::storeVector(Value vector, abi::KvPart part, Value page,
                             Value slot, Value kvHead, Value lane) const {
  e->storeVector(vector, kvBlocks, indices(part, page, slot, kvHead, lane));
}
