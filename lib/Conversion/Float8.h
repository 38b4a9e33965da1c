//===- Float8.h - f8E4M3FN conversions and the FP8 cache rule ---*- C++ -*-===//
//
// The IR that every lowering of an 8-bit float cache emits (docs/ABI.md,
// "FP8 caches"): f8E4M3FN <-> f32 as integer bit manipulation, and the
// quantisation rule of kvcache.store (a group's finite amax, its scale).
//
// The conversions use integer arith ops only, never arith.extf/truncf on
// f8E4M3FN: LLVM has no 8-bit float type, so those would become calls to
// soft-float builtins that a bundle cannot resolve, and a target's own FP8
// instructions may flush subnormals. Every builder works on scalars and on
// vectors alike (the GPU lowering converts 16-byte vectors).
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_LIB_CONVERSION_FLOAT8_H
#define KVCACHE_LIB_CONVERSION_FLOAT8_H

#include "Emitter.h"

namespace kvcache::conversion {

/// The largest finite f8E4M3FN value; also the rule's scale divisor.
inline constexpr float kF8E4M3FNMax = 448.0f;

/// The f32 value of f8E4M3FN bit patterns (`bits`: i8 or a vector of i8).
/// Exact: subnormals (m * 2^-9) stay, 0x7F and 0xFF become NaN.
Value emitF8E4M3FNToF32(Emitter &e, Value bits);

/// The f8E4M3FN bit patterns (i8, same shape) nearest an f32 `value`: ties
/// to even, subnormals included, saturating to +-448 (satfinite, so +-inf
/// give +-448), and every NaN becoming 0x7F.
Value emitF32ToF8E4M3FN(Emitter &e, Value value);

/// One step of the rule's amax: max(`amax`, |`x`|) where `x` (f32) is
/// finite, else `amax` (NaN and +-inf never set the scale).
Value emitFiniteAbsMax(Emitter &e, Value amax, Value x);

/// The rule's scale for a group whose finite amax is `amax` (f32):
/// fl32(amax / 448), or 1 when amax is 0.
Value emitFP8Scale(Emitter &e, Value amax);

/// The stored byte of `x` (f32) in a group of `scale`: the rule's true
/// division x / scale, then emitF32ToF8E4M3FN.
Value emitQuantise(Emitter &e, Value x, Value scale);

} // namespace kvcache::conversion

#endif // KVCACHE_LIB_CONVERSION_FLOAT8_H
