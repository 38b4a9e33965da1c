//===- Float8.cpp - f8E4M3FN conversions and the FP8 cache rule -----------===//

#include "Float8.h"

#include <limits>

using namespace mlir;
using namespace kvcache::conversion;

namespace {

/// `type` (a scalar or a vector) with `element` as its element type.
Type withElement(Type type, Type element) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(element);
  return element;
}

/// Integer and float ops on values of one shape (scalar or vector), with
/// constants of that shape, so the bit manipulation below reads as the C++
/// of include/kvcache/Runtime/FloatBits.h.
struct Bits {
  Emitter &e;
  Type i32;
  Type f32;

  Bits(Emitter &e, Type shape)
      : e(e), i32(withElement(shape, e.b.getI32Type())),
        f32(withElement(shape, e.b.getF32Type())) {}

  Value constant(Type type, TypedAttr scalar) {
    if (auto vector = dyn_cast<VectorType>(type))
      return arith::ConstantOp::create(e.b, e.loc,
                                       DenseElementsAttr::get(vector, scalar));
    return arith::ConstantOp::create(e.b, e.loc, scalar);
  }
  Value c(uint32_t value) {
    return constant(i32, e.b.getI32IntegerAttr(static_cast<int32_t>(value)));
  }
  Value cf(float value) { return constant(f32, e.b.getF32FloatAttr(value)); }

  Value toBits(Value x) { return arith::BitcastOp::create(e.b, e.loc, i32, x); }
  Value toFloat(Value x) {
    return arith::BitcastOp::create(e.b, e.loc, f32, x);
  }
  Value shl(Value x, uint32_t n) {
    return arith::ShLIOp::create(e.b, e.loc, x, c(n));
  }
  Value shr(Value x, Value n) {
    return arith::ShRUIOp::create(e.b, e.loc, x, n);
  }
  Value shr(Value x, uint32_t n) { return shr(x, c(n)); }
  Value mask(Value x, uint32_t m) { return e.andI(x, c(m)); }
  Value eq(Value x, uint32_t y) {
    return e.cmp(arith::CmpIPredicate::eq, x, c(y));
  }
  Value uge(Value x, uint32_t y) {
    return e.cmp(arith::CmpIPredicate::uge, x, c(y));
  }
  Value ugt(Value x, uint32_t y) {
    return e.cmp(arith::CmpIPredicate::ugt, x, c(y));
  }
  Value ult(Value x, uint32_t y) {
    return e.cmp(arith::CmpIPredicate::ult, x, c(y));
  }
};

/// f32 bits of an f8E4M3FN subnormal m * 2^-9 (m = `mantissa`, 0..7),
/// normalised by its leading bit without float ops.
Value subnormalToF32Bits(Bits &bits, Value mantissa) {
  Emitter &e = bits.e;
  // m in 4..7: 2^-7 * (1 + (m & 3) / 4); 2..3: 2^-8 * (1 + (m & 1) / 2);
  // 1: 2^-9.
  Value four = e.orI(bits.c(120u << 23), bits.shl(bits.mask(mantissa, 3), 21));
  Value two = e.orI(bits.c(119u << 23), bits.shl(bits.mask(mantissa, 1), 22));
  Value one = bits.c(118u << 23);
  return e.select(bits.uge(mantissa, 4), four,
                  e.select(bits.uge(mantissa, 2), two,
                           e.select(bits.eq(mantissa, 1), one, bits.c(0))));
}

/// The e4m3 code (0..8) of an f32 magnitude below 2^-6 (`magnitude`, its
/// bits): round(value / 2^-9) to even. The shift is clamped so that lanes
/// not in this range (selected away) never shift by 32 or more.
Value subnormalCode(Bits &bits, Value magnitude) {
  Emitter &e = bits.e;
  Value exponent = bits.shr(magnitude, 23);
  Value significand = e.orI(bits.mask(magnitude, 0x7fffff), bits.c(0x800000));
  // value / 2^-9 = significand * 2^(exponent - 141); below 2^-10 (shift
  // past 24) everything rounds to 0, as a shift of 25 gives.
  Value shift = arith::MinSIOp::create(
      e.b, e.loc,
      arith::MaxSIOp::create(e.b, e.loc, e.sub(bits.c(141), exponent),
                             bits.c(21)),
      bits.c(25));
  Value lsb = bits.mask(bits.shr(significand, shift), 1);
  Value halfMinusOne = e.sub(
      arith::ShLIOp::create(e.b, e.loc, bits.c(1), e.sub(shift, bits.c(1))),
      bits.c(1));
  return bits.shr(e.add(significand, e.add(halfMinusOne, lsb)), shift);
}

/// The e4m3 code of an f32 magnitude in [2^-6, 448): rebias the exponent
/// (127 -> 7) and round the 23-bit mantissa to 3 bits, ties to even; a
/// carry moves into the exponent.
Value normalCode(Bits &bits, Value magnitude) {
  Emitter &e = bits.e;
  Value rebased = e.sub(magnitude, bits.c(120u << 23));
  Value lsb = bits.mask(bits.shr(rebased, 20), 1);
  return bits.shr(e.add(rebased, e.add(bits.c(0x7ffff), lsb)), 20);
}

} // namespace

Value kvcache::conversion::emitF8E4M3FNToF32(Emitter &e, Value byteBits) {
  Bits bits(e, byteBits.getType());
  Value word = arith::ExtUIOp::create(e.b, e.loc, bits.i32, byteBits);
  Value sign = bits.shl(bits.mask(word, 0x80), 24);
  Value magnitude = bits.mask(word, 0x7f);
  // A normal's exponent and mantissa, shifted into place, are the f32 ones
  // less the bias difference (127 - 7 = 120).
  Value normal = e.add(bits.shl(magnitude, 20), bits.c(120u << 23));
  Value subnormal = subnormalToF32Bits(bits, bits.mask(magnitude, 7));
  Value finite =
      e.select(bits.ult(magnitude, 8), subnormal, normal); // exponent 0
  Value result = e.select(bits.eq(magnitude, 0x7f), bits.c(0x7fc00000), finite);
  return bits.toFloat(e.orI(sign, result));
}

Value kvcache::conversion::emitF32ToF8E4M3FN(Emitter &e, Value value) {
  Bits bits(e, value.getType());
  Value word = bits.toBits(value);
  Value sign = bits.mask(bits.shr(word, 24), 0x80);
  Value magnitude = bits.mask(word, 0x7fffffff);
  Value code =
      e.select(bits.ult(magnitude, 0x3c800000), // below 2^-6
               subnormalCode(bits, magnitude), normalCode(bits, magnitude));
  // From 448 up (464 ties to 448, even; past it 480 is NaN) and +-inf:
  // satfinite.
  code = e.select(bits.uge(magnitude, 0x43e00000), bits.c(0x7e), code);
  Value result = e.select(bits.ugt(magnitude, 0x7f800000), bits.c(0x7f),
                          e.orI(sign, code));
  Type i8 = withElement(value.getType(), e.b.getI8Type());
  return arith::TruncIOp::create(e.b, e.loc, i8, result);
}

Value kvcache::conversion::emitFiniteAbsMax(Emitter &e, Value amax, Value x) {
  Bits bits(e, x.getType());
  Value magnitude = bits.toFloat(bits.mask(bits.toBits(x), 0x7fffffff));
  // Ordered compares: a NaN is never greater, and inf never below inf.
  Value finite = e.cmpF(arith::CmpFPredicate::OLT, magnitude,
                        bits.cf(std::numeric_limits<float>::infinity()));
  Value larger = e.cmpF(arith::CmpFPredicate::OGT, magnitude, amax);
  return e.select(e.andI(finite, larger), magnitude, amax);
}

Value kvcache::conversion::emitFP8Scale(Emitter &e, Value amax) {
  Bits bits(e, amax.getType());
  Value isZero = e.cmpF(arith::CmpFPredicate::OEQ, amax, bits.cf(0.0f));
  return e.select(isZero, bits.cf(1.0f), e.divF(amax, bits.cf(kF8E4M3FNMax)));
}

Value kvcache::conversion::emitQuantise(Emitter &e, Value x, Value scale) {
  return emitF32ToF8E4M3FN(e, e.divF(x, scale));
}
