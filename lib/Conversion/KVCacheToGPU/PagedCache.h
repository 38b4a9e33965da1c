//===- PagedCache.h - The paged cache as kernels read it --------*- C++ -*-===//
//
// One layer of the paged cache as the GPU kernels see it: the kv_blocks
// pool [total_num_pages, kv_dim, num_layers, page_size, num_kv_heads,
// head_dim] and the requests' page ids in lookup_table. This is the one
// place that knows that layout, how a position maps to (page, slot), which
// kv_dim index is K or V, and when a page id is off the pool; store, decode
// (both engines) and prefill address the cache only through it, MLA caches
// included (their value part aliases the key row). FP8 dequantisation
// (kv_scales) belongs here too.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_PAGEDCACHE_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_PAGEDCACHE_H

#include "Emitter.h"
#include "Kernels.h"

#include "kvcache/ABI/ABI.h"

namespace kvcache::gpukernels {

class PagedCache {
public:
  PagedCache() = default;
  /// The cache at `layer` (an index) of `kvBlocks`, with page ids in
  /// `lookupTable` (i32 [batch, max_pages], read as unsigned). `e` and
  /// `shape` must outlive it.
  PagedCache(Emitter &e, const KernelShape &shape, Value kvBlocks,
             Value lookupTable, Value layer)
      : e(&e), shape(&shape), kvBlocks(kvBlocks), lookupTable(lookupTable),
        layer(layer), totalNumPages(e.dim(kvBlocks, abi::kTotalNumPagesDim)) {}

  /// total_num_pages, kv_blocks dim 0 (read where the accessor is made).
  Value numPages() const { return totalNumPages; }
  /// The page index and slot of key `position` of a request.
  Value pageIndex(Value position) const;
  Value slot(Value position) const;
  /// The pages that hold keys [0, `keyEnd`): ceil(keyEnd / page_size).
  Value pagesFor(Value keyEnd) const;
  /// The first key of page index `page`.
  Value firstKey(Value page) const;
  /// Page `index` of `request`'s table row, as an index (unsigned).
  Value pageId(Value request, Value index) const;
  /// The same entry as the i32 it is stored as.
  Value pageIdWord(Value request, Value index) const;
  /// Whether page id `page` is on the pool; true (a constant) when the
  /// kernels do not check page ids (shape.pageGuard off).
  Value onPool(Value page) const;

  /// The 16-byte vector of `part`'s row at (page, slot, kv head) from lane
  /// `lane` (a multiple of the vector width) on.
  Value loadVector(abi::KvPart part, Value page, Value slot, Value kvHead,
                   Value lane) const;
  void storeVector(Value vector, abi::KvPart part, Value page, Value slot,
                   Value kvHead, Value lane) const;

private:
  llvm::SmallVector<Value, 6> indices(abi::KvPart part, Value page, Value slot,
                                      Value kvHead, Value lane) const;

  Emitter *e = nullptr;
  const KernelShape *shape = nullptr;
  Value kvBlocks, lookupTable, layer, totalNumPages;
};

} // namespace kvcache::gpukernels

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_PAGEDCACHE_H
