//===- PageAllocator.h - A free list of KV-cache pages ----------*- C++ -*-===//
//
// Page ids of a kv_blocks pool, handed out and taken back. Double releases
// and exhaustion are errors that leave the free list as it was, so that a
// caller can report them and carry on.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_PAGEALLOCATOR_H
#define KVCACHE_RUNTIME_PAGEALLOCATOR_H

#include "kvcache/Runtime/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace kvcache::runtime {

/// Misuse of the manager: a released request, an invalid size.
class PagedCacheError : public InputError {
public:
  using InputError::InputError;
};

/// The pool has fewer free pages than an allocation needs.
class OutOfPagesError : public PagedCacheError {
public:
  using PagedCacheError::PagedCacheError;
};

/// A free list of page ids 0 .. totalNumPages - 1. Released pages are reused
/// first (last in, first out), as a warm cache would.
class PageAllocator {
public:
  /// Without a seed pages come out in increasing order; with one, in a
  /// shuffled order that the seed fixes.
  explicit PageAllocator(int64_t totalNumPages,
                         std::optional<uint64_t> shuffleSeed = std::nullopt);

  int64_t totalNumPages() const { return total; }
  int64_t numFreePages() const { return static_cast<int64_t>(freeList.size()); }
  bool isAllocated(uint32_t page) const;

  /// Takes `count` pages. Throws OutOfPagesError, taking none, when fewer
  /// are free.
  std::vector<uint32_t> allocate(int64_t count);

  /// Returns pages to the free list. Throws PagedCacheError, returning none,
  /// when a page is out of range, not allocated (a double release) or listed
  /// twice.
  void release(const std::vector<uint32_t> &pages);

private:
  int64_t total;
  /// The next page to hand out is at the back.
  std::vector<uint32_t> freeList;
  std::vector<bool> allocated;
};

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_PAGEALLOCATOR_H
