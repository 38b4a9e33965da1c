//===- Consistency.h - Cross-checks of a call's cache inputs ----*- C++ -*-===//
//
// Each array can have the right dtype and shape and still be wrong for the
// others: a lookup_table with a row per request other than cache_lengths'
// batch, a page id past the pool, offsets that go backwards. Compiled kernels
// trust these values (an out-of-range page is an out-of-bounds read), so the
// runtime checks them before the call, per cache and device:
//
//  - len(cache_lengths) == lookup_table dim 0 (the batch);
//  - the row offsets, when an argument feeds that operand (the manifest's
//    "operand": row_offsets): batch + 1 entries, starting at 0,
//    non-decreasing, ending at dim 0 of every argument that feeds a query,
//    key, value or out operand (the packed rows);
//  - for every request b, lookup_table[b, p] < total_num_pages (kv_blocks dim
//    0) for every page p that holds one of its positions
//    0 .. cache_lengths[b] + n_b - 1, and the row has that many columns;
//  - when the function stores (an argument feeds a key operand), no page is
//    written by one (request, page column) and used by another: the new
//    positions of two requests, or a new position and a key another request
//    reads, must not share a page (read-only prefix pages may be shared);
//  - max_lengths row 0 and the dispatch metadata cover the batch: they are
//    upper bounds the kernels loop to, so a smaller value drops keys; and
//    max_lengths row 0 is at most the batch's new tokens and what a
//    lookup_table row holds, num_partitions at least 1;
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

/// The name the input generator gives the ragged row offsets.
inline constexpr const char *kInputRowOffsetsName = "input_row_offsets";

/// `arrays[i]` is bound to `function.arguments[i]` and has passed
/// checkArgument. Throws InputError at the first inconsistency.
void checkCacheConsistency(const ManifestFunction &function,
                           const std::vector<Array> &arrays);

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_CONSISTENCY_H
