//===- ExpandF16Casts.cpp - f16 <-> f32 without conversion builtins -------===//
//
// x86 without F16C (the generic CPU that bundles are built for) converts
// between half and float with calls to __extendhfsf2 and __truncsfhf2,
// builtins that only recent libgcc versions have. arith-expand does the same
// for bf16 (include-bf16) but has nothing for f16, so the two casts are
// written out here as integer arithmetic (and one exact f32 operation each),
// with the IEEE results: extension is exact, truncation rounds to nearest
// even, overflows to infinity and keeps NaN a (quiet) NaN. The pass also
// keeps every 16-bit cast a rounding (see runOnOperation).
//
//===----------------------------------------------------------------------===//

#include "kvcache/Pipelines/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace {

/// `type` (a scalar or a vector of one) with its element type replaced.
Type withElementType(Type type, Type element) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(element);
  return element;
}

bool hasElementType(Type type, function_ref<bool(Type)> predicate) {
  return predicate(getElementTypeOrSelf(type));
}

/// Integer arithmetic on scalars or vectors of i32.
struct Bits {
  OpBuilder &b;
  Location loc;
  Type i32;

  Value c(int64_t value) {
    return createScalarOrSplatConstant(b, loc, i32, value);
  }
  Value andI(Value x, int64_t mask) {
    return arith::AndIOp::create(b, loc, x, c(mask));
  }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shl(Value x, int64_t n) {
    return arith::ShLIOp::create(b, loc, x, c(n));
  }
  Value shr(Value x, int64_t n) {
    return arith::ShRUIOp::create(b, loc, x, c(n));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate predicate, Value x, int64_t y) {
    return arith::CmpIOp::create(b, loc, predicate, x, c(y));
  }
  Value select(Value condition, Value x, Value y) {
    return arith::SelectOp::create(b, loc, condition, x, y);
  }
};

/// f16 -> f32, exact. Normal numbers rebias the exponent; infinities and
/// NaNs keep an all-ones exponent; zeros and subnormals are mantissa * 2^-24,
/// which an f32 multiplication computes exactly.
struct ExpandExtF : public OpRewritePattern<arith::ExtFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::ExtFOp op,
                                PatternRewriter &rewriter) const override {
    Type inType = op.getIn().getType(), outType = op.getType();
    if (!hasElementType(inType, [](Type t) { return t.isF16(); }) ||
        !hasElementType(outType, [](Type t) { return t.isF32(); }))
      return rewriter.notifyMatchFailure(op, "not f16 to f32");
    Location loc = op.getLoc();
    Type i16 = withElementType(inType, rewriter.getI16Type());
    Bits e{rewriter, loc, withElementType(inType, rewriter.getI32Type())};
    Value half = arith::BitcastOp::create(rewriter, loc, i16, op.getIn());
    Value w = arith::ExtUIOp::create(rewriter, loc, e.i32, half);
    Value sign = e.shl(e.andI(w, 0x8000), 16);
    Value exponent = e.andI(e.shr(w, 10), 0x1f);
    Value mantissa = e.andI(w, 0x3ff);
    Value shiftedMantissa = e.shl(mantissa, 13);
    Value normal = e.add(e.shl(exponent, 23), e.c(112 << 23));
    Value special = e.c(0x7f800000);
    Value subnormal = arith::MulFOp::create(
        rewriter, loc,
        arith::UIToFPOp::create(rewriter, loc, outType, mantissa),
        createScalarOrSplatConstant(rewriter, loc, outType, APFloat(0x1p-24f)));
    Value subnormalBits =
        arith::BitcastOp::create(rewriter, loc, e.i32, subnormal);
    Value magnitude =
        e.select(e.cmp(arith::CmpIPredicate::eq, exponent, 0), subnormalBits,
                 e.orI(e.select(e.cmp(arith::CmpIPredicate::eq, exponent, 0x1f),
                                special, normal),
                       shiftedMantissa));
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, outType,
                                                  e.orI(sign, magnitude));
    return success();
  }
};

/// f32 -> f16, to nearest even. Normal results round the 13 dropped bits
/// with an integer add (half an ulp, minus one unless the kept lsb is odd);
/// subnormal ones are rounded by an f32 addition of 0.5, whose ulp is the
/// smallest f16 subnormal; at or past 65520 the result is infinity.
struct ExpandTruncF : public OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    Type inType = op.getIn().getType(), outType = op.getType();
    if (!hasElementType(inType, [](Type t) { return t.isF32(); }) ||
        !hasElementType(outType, [](Type t) { return t.isF16(); }))
      return rewriter.notifyMatchFailure(op, "not f32 to f16");
    if (std::optional<arith::RoundingMode> mode = op.getRoundingmode())
      if (*mode != arith::RoundingMode::to_nearest_even)
        return rewriter.notifyMatchFailure(op, "not to nearest even");
    Location loc = op.getLoc();
    Bits e{rewriter, loc, withElementType(inType, rewriter.getI32Type())};
    Value x = arith::BitcastOp::create(rewriter, loc, e.i32, op.getIn());
    Value sign = e.andI(e.shr(x, 16), 0x8000);
    Value a = e.andI(x, 0x7fffffff);

    Value odd = e.andI(e.shr(a, 13), 1);
    Value normal = e.shr(e.add(e.add(a, e.c(-(112 << 23) + 0xfff)), odd), 13);

    Value magic =
        createScalarOrSplatConstant(rewriter, loc, inType, APFloat(0.5f));
    Value sum = arith::AddFOp::create(
        rewriter, loc, arith::BitcastOp::create(rewriter, loc, inType, a),
        magic);
    Value subnormal = arith::SubIOp::create(
        rewriter, loc, arith::BitcastOp::create(rewriter, loc, e.i32, sum),
        e.c(0x3f000000));

    Value magnitude = e.select(
        e.cmp(arith::CmpIPredicate::ugt, a, 0x7f800000), e.c(0x7e00),
        e.select(e.cmp(arith::CmpIPredicate::uge, a, 0x477ff000), e.c(0x7c00),
                 e.select(e.cmp(arith::CmpIPredicate::ult, a, 0x38800000),
                          subnormal, normal)));
    Type i16 = withElementType(inType, rewriter.getI16Type());
    Value bits =
        arith::TruncIOp::create(rewriter, loc, i16, e.orI(sign, magnitude));
    rewriter.replaceOpWithNewOp<arith::BitcastOp>(op, outType, bits);
    return success();
  }
};

struct ExpandF16CastsPass
    : public PassWrapper<ExpandF16CastsPass, OperationPass<>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ExpandF16CastsPass)

  StringRef getArgument() const final { return "kvcache-expand-f16-casts"; }
  StringRef getDescription() const final {
    return "Expands arith.extf f16 -> f32 and arith.truncf f32 -> f16 "
           "(to nearest even) into integer arithmetic, so that no "
           "__extendhfsf2 or __truncsfhf2 call is left";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect>();
  }

  void runOnOperation() override {
    // arith-emulate-unsupported-floats marks the casts it adds `contract`,
    // which lets extf(truncf(x)) fold to x: the 16-bit value would then
    // keep f32 precision between operations. Rounding after every operation
    // is what the graph says; the folds run in the rewrites below and in
    // arith-expand.
    getOperation()->walk([](Operation *op) {
      auto is16Bit = [](Type type) {
        Type element = getElementTypeOrSelf(type);
        return element.isF16() || element.isBF16();
      };
      if (auto ext = dyn_cast<arith::ExtFOp>(op)) {
        if (is16Bit(ext.getIn().getType()))
          ext.removeFastmathAttr();
      } else if (auto trunc = dyn_cast<arith::TruncFOp>(op)) {
        if (is16Bit(trunc.getType()))
          trunc.removeFastmathAttr();
      }
    });
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandExtF, ExpandTruncF>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> kvcache::createExpandF16CastsPass() {
  return std::make_unique<ExpandF16CastsPass>();
}
