//===- PageAllocator.cpp - A free list of KV-cache pages ------------------===//

#include "kvcache/Runtime/PageAllocator.h"
#include "kvcache/Runtime/Random.h"

#include <algorithm>
#include <limits>
#include <string>

namespace kvcache::runtime {

PageAllocator::PageAllocator(int64_t totalNumPages,
                             std::optional<uint64_t> shuffleSeed)
    : total(totalNumPages) {
  // Page ids and the sentinel (totalNumPages) must fit the ABI's i32 fields
  // whether they are read as int32 or uint32.
  if (totalNumPages < 0 || totalNumPages > std::numeric_limits<int32_t>::max())
    throw PagedCacheError("total_num_pages must be in 0.." +
                          std::to_string(std::numeric_limits<int32_t>::max()) +
                          ", got " + std::to_string(totalNumPages));
  allocated.assign(static_cast<size_t>(totalNumPages), false);
  std::vector<uint32_t> order(static_cast<size_t>(totalNumPages));
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = static_cast<uint32_t>(i);
  if (shuffleSeed) {
    SplitMix64 random(*shuffleSeed);
    random.shuffle(order);
  }
  freeList.assign(order.rbegin(), order.rend());
}

bool PageAllocator::isAllocated(uint32_t page) const {
  return page < allocated.size() && allocated[page];
}

std::vector<uint32_t> PageAllocator::allocate(int64_t count) {
  if (count < 0)
    throw PagedCacheError("cannot allocate " + std::to_string(count) +
                          " pages");
  if (count > numFreePages())
    throw OutOfPagesError("out of KV-cache pages: " + std::to_string(count) +
                          " needed, " + std::to_string(numFreePages()) +
                          " of " + std::to_string(total) + " free");
  std::vector<uint32_t> pages(freeList.rbegin(),
                              freeList.rbegin() + static_cast<size_t>(count));
  freeList.resize(freeList.size() - static_cast<size_t>(count));
  for (uint32_t page : pages)
    allocated[page] = true;
  return pages;
}

void PageAllocator::release(const std::vector<uint32_t> &pages) {
  // Check everything first so that a bad list changes nothing.
  std::vector<uint32_t> sorted(pages);
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    uint32_t page = sorted[i];
    if (page >= allocated.size())
      throw PagedCacheError("cannot release page " + std::to_string(page) +
                            ": the pool has pages 0.." +
                            std::to_string(total - 1));
    if (i > 0 && sorted[i - 1] == page)
      throw PagedCacheError("cannot release page " + std::to_string(page) +
                            " twice in one call");
    if (!allocated[page])
      throw PagedCacheError("cannot release page " + std::to_string(page) +
                            ": it is not allocated (a double release?)");
  }
  // Reverse, so that the first page released is the first handed out again
  // and a released request's pages come back in their order.
  for (auto it = pages.rbegin(); it != pages.rend(); ++it) {
    allocated[*it] = false;
    freeList.push_back(*it);
  }
}

} // namespace kvcache::runtime
