//===- Consistency.h - Cross-checks of a call's cache inputs ----*- C++ -*-===//
//
// Each array can have the right dtype and shape and still be wrong for the
// others: a lookup_table with a row per request other than cache_lengths'
// batch, a page id past the pool, offsets that go backwards. Compiled kernels
// trust these values (an out-of-range page is an out-of-bounds read), so the
// runtime checks them before the call, per cache and device:
//
//  - len(cache_lengths) == lookup_table dim 0 (the batch);
//  - input_row_offsets, when the function has an argument of that name:
//    batch + 1 entries, starting at 0, non-decreasing, ending at dim 0 of
//    every rank-3 input/output that is not a cache field (the packed rows);
//  - for every request b, lookup_table[b, p] < total_num_pages (kv_blocks dim
//    0) for every page p that holds one of its positions
//    0 .. cache_lengths[b] + n_b - 1, and the row has that many columns;
//  - max_lengths row 0 and the dispatch metadata cover the batch: they are
//    upper bounds the kernels loop to, so a smaller value drops keys;
//  - kv_scales has kv_blocks' first five dims.
//
// The ABI's i32 fields are read as uint32, as MAX's kernels read them.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_CONSISTENCY_H
#define KVCACHE_RUNTIME_CONSISTENCY_H

#include "kvcache/Runtime/Array.h"
#include "kvcache/Runtime/Manifest.h"

#include <vector>

namespace kvcache::runtime {

/// The argument name the ragged row offsets are recognised by.
inline constexpr const char *kInputRowOffsetsName = "input_row_offsets";

/// `arrays[i]` is bound to `function.arguments[i]` and has passed
/// checkArgument. Throws InputError at the first inconsistency.
void checkCacheConsistency(const ManifestFunction &function,
                           const std::vector<Array> &arrays);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_CONSISTENCY_H
