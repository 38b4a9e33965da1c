//===- OnlineSoftmax.h - The softmax arithmetic the kernels share -*- C++ -*-=//
//
// Every attention kernel (decode on both engines, prefill, combine) keeps
// per query row a running max m, a sum s = Σ exp2(score - m) and an
// accumulator o = Σ exp2(score - m) · v, in log2 units: q is pre-scaled by
// scale · log2(e), so exp2 replaces exp. The arithmetic of that state is
// defined here once: its constants, the weight that moves a score or a
// state kept relative to one max onto another (a key's probability, the
// rescale of an old state, the weights of a merge), the lazy-rescale test
// and the final normalisation. How a kernel lays the state out over lanes,
// warps and registers is the kernel's own.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_KVCACHETOGPU_ONLINESOFTMAX_H
#define KVCACHE_LIB_CONVERSION_KVCACHETOGPU_ONLINESOFTMAX_H

#include "Emitter.h"

namespace kvcache::gpukernels::softmax {

/// Initial running max: finite, so exp2(max - newMax) never sees -inf - -inf.
inline constexpr float kNoScore = -1.0e30f;
inline constexpr float kLog2E = 1.4426950408889634f;
/// The lazy rescale (as in FlashAttention-3): a row keeps its reference max
/// until a score exceeds it by more than this (log2 units), so its
/// probabilities stay below 2^8 and most steps skip rescaling.
inline constexpr float kLazyRescale = 8.0f;

/// exp2(value - max): a key's probability for its score, or the factor that
/// rescales a state kept relative to max `value` to `max`.
inline Value weight(Emitter &e, Value value, Value max) {
  return e.exp2(e.subF(value, max));
}

/// Whether `newMax` is past the lazy bound of the reference max `max`.
inline Value exceedsLazyBound(Emitter &e, Value newMax, Value max) {
  return e.cmpF(mlir::arith::CmpFPredicate::OGT, newMax,
                e.addF(max, e.f32(kLazyRescale)));
}

/// Whether a row's sum has a key in it (a row with none has sum 0).
inline Value nonEmpty(Emitter &e, Value sum) {
  return e.cmpF(mlir::arith::CmpFPredicate::OGT, sum, e.f32(0.0f));
}

/// 1 / sum, or 0 for an empty row (`isNonEmpty`: nonEmpty(sum)), whose
/// output is then 0.
inline Value inverseSum(Emitter &e, Value sum, Value isNonEmpty) {
  return e.select(isNonEmpty, e.divF(e.f32(1.0f), sum), e.f32(0.0f));
}

} // namespace kvcache::gpukernels::softmax

#endif // KVCACHE_LIB_CONVERSION_KVCACHETOGPU_ONLINESOFTMAX_H
