//===- KVCacheToLoops.cpp - kvcache compute ops as scf loops --------------===//
//
// convert-kvcache-to-loops: the executable reference for kvcache.store and
// kvcache.attention. The loops are deliberately plain (two passes over the
// keys for the softmax, no tiling): obviously correct first, fast elsewhere.
//
//===----------------------------------------------------------------------===//

#include "kvcache/Conversion/Passes.h"

#include "../Emitter.h"
#include "../Float8.h"
#include "../Guards.h"
#include "../Lowerable.h"

#include "mlir/IR/Builders.h"

#include <limits>

namespace kvcache {
#define GEN_PASS_DEF_CONVERTKVCACHETOLOOPS
#include "kvcache/Conversion/Passes.h.inc"
} // namespace kvcache

using namespace mlir;
using namespace kvcache;
using abi::Field;
using namespace kvcache::conversion;

namespace {

/// The shared emitter plus the reference's scalar math (exact exp and log,
/// NaN-propagating max) and step-1 loops.
struct Emitter : conversion::Emitter {
  using conversion::Emitter::Emitter;

  Value loadF32(Value memref, ValueRange indices) {
    return extToF32(load(memref, indices));
  }
  Value maxF(Value x, Value y) {
    return arith::MaximumFOp::create(b, loc, x, y);
  }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value log(Value x) { return math::LogOp::create(b, loc, x); }

  /// `for iv in [lb, ub)` without loop-carried values.
  void loop(Value lb, Value ub, function_ref<void(Value)> body) {
    conversion::Emitter::loop(lb, ub, index(1), body);
  }
  /// `for iv in [lb, ub)` carrying one value; returns its final value.
  Value reduce(Value lb, Value ub, Value init,
               function_ref<Value(Value, Value)> body) {
    return conversion::Emitter::loop(lb, ub, index(1), init,
                                     [&](Value iv, ValueRange args) {
                                       return SmallVector<Value>{
                                           body(iv, args.front())};
                                     })
        .front();
  }
};

/// The fields an op reads, fetched with kvcache.get at the op.
struct Fields {
  Value kvBlocks, cacheLengths, lookupTable;
  /// On an 8-bit float cache: one f32 scale per `granularity` lanes.
  Value kvScales;
  int64_t granularity = 0;
  /// kv_blocks dim 0: page ids at or past it are never dereferenced.
  Value totalPages;

  Fields(OpBuilder &b, Location loc, Value bundle) {
    auto type = cast<InputsType>(bundle.getType());
    kvBlocks = GetOp::create(b, loc, bundle, Field::kv_blocks);
    cacheLengths = GetOp::create(b, loc, bundle, Field::cache_lengths);
    lookupTable = GetOp::create(b, loc, bundle, Field::lookup_table);
    totalPages = memref::DimOp::create(b, loc, kvBlocks, 0);
    if (type.isFP8()) {
      kvScales = GetOp::create(b, loc, bundle, Field::kv_scales);
      int64_t groups =
          cast<MemRefType>(kvScales.getType()).getDimSize(abi::kHeadDimDim);
      granularity = type.getHeadDim() / groups;
    }
  }

  /// K (kv 0) or V (kv 1, or 0 on an MLA cache) lane `lane` at (page,
  /// layer, slot, head) in f32: the element, or on an 8-bit float cache the
  /// decoded byte times its lane group's scale.
  Value loadCacheF32(Emitter &e, Value page, int64_t kv, Value layer,
                     Value slot, Value head, Value lane) const {
    Value element =
        e.load(kvBlocks, {page, e.index(kv), layer, slot, head, lane});
    if (!kvScales)
      return e.extToF32(element);
    Value bits = arith::BitcastOp::create(e.b, e.loc, e.b.getI8Type(), element);
    Value group = e.divU(lane, e.index(granularity));
    Value scale =
        e.load(kvScales, {page, e.index(kv), layer, slot, head, group});
    return e.mulF(emitF8E4M3FNToF32(e, bits), scale);
  }
};

/// Copies one row's K or V lanes (`rows`[row, head, :]) into the cache at
/// `at` (page, kv, layer, slot, head): the cache holds the rows' type.
void storeRowCopy(Emitter &e, Value rows, Value row, Value head,
                  const Fields &fields, ArrayRef<Value> at, int64_t headDim) {
  e.loop(e.index(0), e.index(headDim), [&](Value lane) {
    SmallVector<Value> indices(at);
    indices.push_back(lane);
    e.store(e.load(rows, {row, head, lane}), fields.kvBlocks, indices);
  });
}

/// Quantises one row's K or V lanes into an 8-bit float cache at `at`
/// (page, kv, layer, slot, head), group by group (docs/ABI.md, FP8
/// caches): the scale from the group's finite amax goes to kv_scales, each
/// lane's byte to kv_blocks.
void storeRowQuantised(Emitter &e, Value rows, Value row, Value head,
                       const Fields &fields, ArrayRef<Value> at,
                       int64_t headDim) {
  Type f8 = cast<MemRefType>(fields.kvBlocks.getType()).getElementType();
  Value granularity = e.index(fields.granularity);
  e.loop(e.index(0), e.index(headDim / fields.granularity), [&](Value group) {
    Value first = e.mul(group, granularity);
    Value last = e.add(first, granularity);
    auto loadLane = [&](Value lane) {
      return e.extToF32(e.load(rows, {row, head, lane}));
    };
    Value amax = e.reduce(first, last, e.f32(0.0f), [&](Value lane, Value m) {
      return emitFiniteAbsMax(e, m, loadLane(lane));
    });
    Value scale = emitFP8Scale(e, amax);
    SmallVector<Value> scaleAt(at);
    scaleAt.push_back(group);
    e.store(scale, fields.kvScales, scaleAt);
    e.loop(first, last, [&](Value lane) {
      Value bits = emitQuantise(e, loadLane(lane), scale);
      SmallVector<Value> indices(at);
      indices.push_back(lane);
      e.store(arith::BitcastOp::create(e.b, e.loc, f8, bits), fields.kvBlocks,
              indices);
    });
  });
}

/// Row `i` of request `b` goes to position cache_lengths[b] + i; a page id
/// past the pool is reported (with its request and position) and skipped.
void lowerStore(StoreOp op, func::FuncOp raiseHook) {
  OpBuilder b(op);
  Emitter e(b, op.getLoc());
  InputsType type = op.getBundle().getType();
  Fields fields(b, op.getLoc(), op.getBundle());
  Value offsets = op.getInputRowOffsets();
  Value pageSize = e.index(type.getPageSize());
  Value zero = e.index(0), one = e.index(1);
  Value batch =
      memref::DimOp::create(b, op.getLoc(), fields.cacheLengths, zero);
  guardLayer(e, raiseHook, op.getLayer(), type.getNumLayers(), [&] {
    e.loop(zero, batch, [&](Value request) {
      Value first = e.loadUnsigned(offsets, request);
      Value last = e.loadUnsigned(offsets, e.add(request, one));
      Value cacheLength = e.loadUnsigned(fields.cacheLengths, request);
      e.loop(first, last, [&](Value row) {
        Value position = e.add(cacheLength, e.sub(row, first));
        Value page = e.loadUnsigned(fields.lookupTable,
                                    {request, e.divU(position, pageSize)});
        Value slot = e.remU(position, pageSize);
        // An MLA cache has one part, the latent row `key` holds.
        SmallVector<std::pair<int64_t, Value>, 2> parts = {
            {abi::kKeyPart, op.getKey()}};
        if (Value value = op.getValue())
          parts.push_back({abi::kValuePart, value});
        auto storeRow = [&] {
          e.loop(zero, e.index(type.getNumKvHeads()), [&](Value head) {
            for (auto [kv, rows] : parts) {
              SmallVector<Value, 5> at = {page, e.index(kv), op.getLayer(),
                                          slot, head};
              (type.isFP8() ? storeRowQuantised : storeRowCopy)(
                  e, rows, row, head, fields, at, type.getHeadDim());
            }
          });
        };
        e.ifThenElse(e.ult(page, fields.totalPages), storeRow, [&] {
          raise(e, raiseHook, abi::Fault::PageOutOfRange,
                {request, position, page, fields.totalPages});
        });
      });
    });
  });
  op.erase();
}

void lowerAttention(AttentionOp op, int64_t splitsOption, int64_t splitsCap,
                    func::FuncOp raiseHook) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Emitter e(b, loc);
  InputsType type = op.getBundle().getType();
  Fields fields(b, loc, op.getBundle());
  Value q = op.getQ(), out = op.getOut(), offsets = op.getInputRowOffsets();
  Value layer = op.getLayer();
  auto qType = cast<MemRefType>(q.getType());
  int64_t numQHeads = qType.getDimSize(1);
  int64_t groupSize = numQHeads / type.getNumKvHeads();
  // An MLA value is the first value_dim lanes of the latent row, the key.
  int64_t valuePart = type.isMLA() ? abi::kKeyPart : abi::kValuePart;
  Value zero = e.index(0), one = e.index(1);
  Value pageSize = e.index(type.getPageSize());
  Value headDim = e.index(type.getHeadDim());
  Value valueDim = e.index(op.getValueDim());
  Value scale = e.f32(op.getScaleOrDefault());
  Value negInf = e.f32(-std::numeric_limits<float>::infinity());
  Value fzero = e.f32(0.0f);

  // Split count: the option, else the host's choice in the first split-count
  // field the bundle holds, clamped to [1, splits-cap] as the GPU clamps it
  // to its launched slots (it sizes an allocation), else one.
  std::optional<Field> splitField = op.getSplitCountField();
  Value splits;
  if (splitsOption > 0) {
    splits = e.index(splitsOption);
  } else if (splitField) {
    Value chosen = memref::LoadOp::create(
        b, loc, GetOp::create(b, loc, op.getBundle(), *splitField),
        ValueRange{e.index(abi::splitCountEntry(*splitField))});
    Type i64 = b.getI64Type();
    Value clamped = arith::MinSIOp::create(
        b, loc,
        arith::MaxSIOp::create(
            b, loc, chosen,
            arith::ConstantOp::create(b, loc, b.getIntegerAttr(i64, 1))),
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(i64, splitsCap)));
    splits = arith::IndexCastOp::create(b, loc, b.getIndexType(), clamped);
  } else {
    splits = one;
  }

  guardLayer(e, raiseHook, layer, type.getNumLayers(), [&] {
    // Per split: the partial output (f32, normalised) and its log-sum-exp.
    auto partialType = MemRefType::get({ShapedType::kDynamic, op.getValueDim()},
                                       b.getF32Type());
    auto lseType = MemRefType::get({ShapedType::kDynamic}, b.getF32Type());
    Value partial = memref::AllocOp::create(b, loc, partialType, splits);
    Value lse = memref::AllocOp::create(b, loc, lseType, splits);

    Value batch = memref::DimOp::create(b, loc, fields.cacheLengths, zero);
    e.loop(zero, batch, [&](Value request) {
      Value first = e.loadUnsigned(offsets, request);
      Value last = e.loadUnsigned(offsets, e.add(request, one));
      Value cacheLength = e.loadUnsigned(fields.cacheLengths, request);
      Value numKeys = e.add(cacheLength, e.sub(last, first));
      // Splits cut the request's keys into equal chunks, as the GPU kernel
      // does.
      Value chunk = arith::CeilDivUIOp::create(b, loc, numKeys, splits);
      e.loop(first, last, [&](Value row) {
        Value keyLimit = op.getCausal()
                             ? e.add(cacheLength, e.add(e.sub(row, first), one))
                             : numKeys;
        e.loop(zero, e.index(numQHeads), [&](Value qHead) {
          Value kvHead = e.divU(qHead, e.index(groupSize));
          // A key whose page id is past the pool is skipped: its score is
          // never computed, its value never read, and the fault is raised.
          auto pageOf = [&](Value key) {
            return e.loadUnsigned(fields.lookupTable,
                                  {request, e.divU(key, pageSize)});
          };
          auto onPage = [&](Value key, Value page, Type resultType,
                            function_ref<Value()> body, Value otherwise) {
            return e
                .ifThenElse(
                    e.ult(page, fields.totalPages), TypeRange{resultType},
                    [&] { return SmallVector<Value>{body()}; },
                    [&] {
                      raise(e, raiseHook, abi::Fault::PageOutOfRange,
                            {request, key, page, fields.totalPages});
                      return SmallVector<Value>{otherwise};
                    })
                .front();
          };
          auto score = [&](Value key, Value page) {
            Value slot = e.remU(key, pageSize);
            Value dot =
                e.reduce(zero, headDim, fzero, [&](Value lane, Value acc) {
                  Value qv = e.loadF32(q, {row, qHead, lane});
                  Value kv = fields.loadCacheF32(e, page, abi::kKeyPart, layer,
                                                 slot, kvHead, lane);
                  return e.addF(acc, e.mulF(qv, kv));
                });
            return e.mulF(dot, scale);
          };
          e.loop(zero, splits, [&](Value split) {
            Value lo = e.mul(split, chunk);
            Value hi = e.minU(e.add(lo, chunk), keyLimit);
            e.loop(zero, valueDim, [&](Value lane) {
              memref::StoreOp::create(b, loc, fzero, partial,
                                      ValueRange{split, lane});
            });
            Value max = e.reduce(lo, hi, negInf, [&](Value key, Value acc) {
              Value page = pageOf(key);
              return onPage(
                  key, page, b.getF32Type(),
                  [&] { return e.maxF(acc, score(key, page)); }, acc);
            });
            Value sum = e.reduce(lo, hi, fzero, [&](Value key, Value acc) {
              Value page = pageOf(key);
              return onPage(
                  key, page, b.getF32Type(),
                  [&] {
                    Value p = e.exp(e.subF(score(key, page), max));
                    Value slot = e.remU(key, pageSize);
                    e.loop(zero, valueDim, [&](Value lane) {
                      Value v = fields.loadCacheF32(e, page, valuePart, layer,
                                                    slot, kvHead, lane);
                      Value old = memref::LoadOp::create(
                          b, loc, partial, ValueRange{split, lane});
                      memref::StoreOp::create(b, loc, e.addF(old, e.mulF(p, v)),
                                              partial, ValueRange{split, lane});
                    });
                    return e.addF(acc, p);
                  },
                  acc);
            });
            // An empty split (past the causal limit) contributes nothing.
            // A split is empty when no key of it is on a page of the pool
            // (past the causal limit, or every page id out of range).
            Value nonEmpty = e.reduce(
                lo, hi, arith::ConstantOp::create(b, loc, b.getBoolAttr(false)),
                [&](Value key, Value any) {
                  return e.orI(any, e.ult(pageOf(key), fields.totalPages));
                });
            scf::IfOp::create(
                b, loc, nonEmpty,
                [&](OpBuilder &, Location) {
                  e.loop(zero, valueDim, [&](Value lane) {
                    Value acc = memref::LoadOp::create(b, loc, partial,
                                                       ValueRange{split, lane});
                    memref::StoreOp::create(b, loc, e.divF(acc, sum), partial,
                                            ValueRange{split, lane});
                  });
                  memref::StoreOp::create(b, loc, e.addF(max, e.log(sum)), lse,
                                          ValueRange{split});
                  scf::YieldOp::create(b, loc);
                },
                [&](OpBuilder &, Location) {
                  memref::StoreOp::create(b, loc, negInf, lse,
                                          ValueRange{split});
                  scf::YieldOp::create(b, loc);
                });
          });
          // Combine: weights exp(lse_s - max lse); empty splits weigh 0.
          Value maxLse =
              e.reduce(zero, splits, negInf, [&](Value s, Value acc) {
                return e.maxF(acc, memref::LoadOp::create(b, loc, lse, s));
              });
          // With every split empty (every page id out of range) the row has
          // no keys and its output is 0, as on the GPU.
          Value anyKeys = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::UNE, maxLse, negInf);
          auto weight = [&](Value s) {
            Value w =
                e.exp(e.subF(memref::LoadOp::create(b, loc, lse, s), maxLse));
            return e.select(anyKeys, w, fzero);
          };
          Value total = e.reduce(zero, splits, fzero, [&](Value s, Value acc) {
            return e.addF(acc, weight(s));
          });
          e.loop(zero, valueDim, [&](Value lane) {
            Value sum = e.reduce(zero, splits, fzero, [&](Value s, Value acc) {
              Value o =
                  memref::LoadOp::create(b, loc, partial, ValueRange{s, lane});
              return e.addF(acc, e.mulF(weight(s), o));
            });
            Value result = e.select(anyKeys, e.divF(sum, total), fzero);
            if (!qType.getElementType().isF32())
              result = arith::TruncFOp::create(b, loc, qType.getElementType(),
                                               result);
            memref::StoreOp::create(b, loc, result, out,
                                    ValueRange{row, qHead, lane});
          });
        });
      });
    });
    memref::DeallocOp::create(b, loc, partial);
    memref::DeallocOp::create(b, loc, lse);
  });
  op.erase();
}

struct ConvertKVCacheToLoopsPass
    : public kvcache::impl::ConvertKVCacheToLoopsBase<
          ConvertKVCacheToLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    WalkResult result = getOperation().walk([&](Operation *op) {
      Value bundle;
      if (auto store = dyn_cast<StoreOp>(op))
        bundle = store.getBundle();
      else if (auto attention = dyn_cast<AttentionOp>(op))
        bundle = attention.getBundle();
      else
        return WalkResult::advance();
      if (failed(checkLowerable(op, cast<InputsType>(bundle.getType()),
                                getArgument())))
        return WalkResult::interrupt();
      ops.push_back(op);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    if (splits < 0) {
      emitError(getOperation().getLoc())
          << "convert-kvcache-to-loops: splits must be >= 0, got " << splits;
      return signalPassFailure();
    }
    if (splitsCap < 1) {
      emitError(getOperation().getLoc())
          << "convert-kvcache-to-loops: splits-cap must be >= 1, got "
          << splitsCap;
      return signalPassFailure();
    }
    if (ops.empty())
      return;
    FailureOr<func::FuncOp> raiseHook =
        declareRaiseHook(getOperation(), getArgument());
    if (failed(raiseHook))
      return signalPassFailure();
    for (Operation *op : ops) {
      if (auto store = dyn_cast<StoreOp>(op))
        lowerStore(store, *raiseHook);
      else
        lowerAttention(cast<AttentionOp>(op), splits, splitsCap, *raiseHook);
    }
  }
};

} // namespace
