//===- DecodeMmaKernel.cpp - Split-K paged decode on tensor cores ---------===//
//
// The decode kernel for 16-bit caches (bf16, f16) with head_dim 64 or 128:
// the same algorithm, grid and workspace as DecodeKernel.cpp, with the dot
// products and the P·V sums on tensor cores (mma.sync m16n8k16, f32
// accumulators). On CUDA cores the H200 profile showed the kernel
// issue-bound, at about 7 bytes of K/V per warp instruction; here a warp
// step of 16 keys is about 180 PTX instructions for 8 KiB of K/V.
//
// Each warp takes a tile of 16 consecutive keys per step; the CTA's warps
// take consecutive tiles. Lane = 4 g + t (PTX's groupID and thread in
// group). A chunk holds the query rows the kernel keeps in registers: up to
// 16 (the GQA group of a one-token query, token x group rows of a
// multi-token one), in one or two halves of 8 (rows h·8 + 0..7); rows past
// the chunk's end are zeros. Two halves double the accumulators: such
// kernels fit two CTAs per SM, one half three.
//
//   S = Q Kᵀ (M = 16 query rows, N = 8 keys, K = 16 dims; two N tiles): the
//   A fragment is q, loaded once per chunk; the B fragment is the keys' rows
//   as stored, because the contraction order over head_dim is free: lane
//   (g, t) loads 16 bytes of key g (and 8 + g) at dims 32 p + 8 t for p <
//   head_dim / 32, and the q fragment holds the same dims of rows g and
//   8 + g. A lane's S values are then rows g's and 8 + g's scores of keys
//   2t, 2t+1 (tile 0) and 8+2t, 8+2t+1 (tile 1).
//
//   Oᵀ = Vᵀ Pᵀ (M = 16 dims, N = 8 query rows of a half, K = 16 keys): the
//   B fragment (keys 2t, 2t+1, 2t+8, 2t+9 of row g of the half) is exactly
//   the P a lane computed from its S values, so P never moves between lanes
//   (as in FlashAttention-2, transposed). The A fragment pairs two keys of one
//   dim in each 32-bit register: lane (g, t) loads 16 bytes (dims 64 c +
//   8 g ...) of keys 2t, 2t+1, 2t+8, 2t+9 and packs halves (one prmt
//   each). M tile (c, r) holds dims 64 c + 8 g + 2 r (rows g) and + 1 (rows
//   g + 8), so each lane ends with 8 consecutive dims of query rows 2t and
//   2t+1 of each half: 16-byte stores to workgroup memory.
//
// Softmax: lane (g, t) keeps rows g's and 8 + g's running max (the same in
// its four lanes) and its share of their sums, in log2 units (S is scaled by
// scale * log2(e)). The max is lazy as in DecodeKernel.cpp: the warp
// rescales only when some row's max grows by more than 2^8, so P <= 2^8,
// which P's 16-bit type holds; the sum adds P as rounded for the product.
//
// Tiles that lie entirely before the window's end (and, causal, before the
// chunk's first row's limit) skip masking; the rest clamp their loads to
// the window's last key and mask scores to -inf. With pages of a multiple
// of 16 keys and splits rounded to 16 keys, a tile lies in one page: one
// page-id read per tile. A window with a page id off the pool (see
// streamWindows) takes every tile masked and checked: such keys are masked
// and their V read as zeros, in a copy of the loop that other windows skip.
//
//===----------------------------------------------------------------------===//

#include "DecodeCommon.h"
#include "Plan.h"

#include "kvcache/ABI/MmaFragments.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace kvcache;
using namespace kvcache::gpukernels;

namespace {

/// The placement the file comment describes, checked against the fragment
/// table (kvcache/ABI/MmaFragments.h) for every lane (g, t) of a warp:
/// - S = Q Kᵀ: q's A fragment holds rows g and g + 8; the B fragment is key
///   g of the N tile; S (C) holds rows g, g + 8 of keys 2t, 2t + 1.
/// - Oᵀ = Vᵀ Pᵀ: the B fragment of N tile j (query row g, keys 8j + 2t,
///   + 1) is exactly S's tile j of row g, so P never moves between lanes;
///   Vᵀ's A fragment holds keys 2t, 2t + 1 (registers 0, 1) and 2t + 8,
///   2t + 9 (2, 3) of dims g and g + 8; Oᵀ (D) holds dims g, g + 8 of query
///   rows 2t, 2t + 1.
constexpr bool fragmentsAsBuilt() {
  using namespace kvcache::mma;
  for (unsigned lane = 0; lane < 32; ++lane) {
    unsigned g = lane / 4, t = lane % 4;
    for (unsigned reg = 0; reg < kARegisters; ++reg)
      for (unsigned half = 0; half < 2; ++half) {
        Element a = aElement(lane, reg, half);
        if (a.row != g + 8 * (reg % 2) || a.col != 2 * t + half + 8 * (reg / 2))
          return false;
      }
    for (unsigned j = 0; j < kBRegisters; ++j)
      for (unsigned half = 0; half < 2; ++half) {
        Element b = bElement(lane, j, half), s = cElement(lane, half);
        if (b.col != g || s.row != g || b.row != 8 * j + s.col)
          return false;
      }
    for (unsigned reg = 0; reg < kCRegisters; ++reg) {
      Element c = cElement(lane, reg);
      if (c.row != g + 8 * (reg / 2) || c.col != 2 * t + reg % 2)
        return false;
    }
  }
  return true;
}
static_assert(fragmentsAsBuilt(),
              "DecodeMmaKernel.cpp's fragment placement is not the one "
              "kvcache/ABI/MmaFragments.h defines");

/// The online-softmax state of a lane: per half h, row h·8 + g's max and
/// partial sum, and the Oᵀ accumulators acc[h][m][0..3] of the M tiles.
struct MmaState {
  SmallVector<Value> max, sum;
  SmallVector<SmallVector<SmallVector<Value>>> acc;

  SmallVector<Value> flatten() const {
    SmallVector<Value> values(max);
    llvm::append_range(values, sum);
    for (const auto &half : acc)
      for (const auto &tile : half)
        llvm::append_range(values, tile);
    return values;
  }
  static MmaState unflatten(ValueRange values, int64_t halves, int64_t mTiles) {
    MmaState state;
    state.max.assign(values.begin(), values.begin() + halves);
    state.sum.assign(values.begin() + halves, values.begin() + 2 * halves);
    auto next = values.begin() + 2 * halves;
    for (int64_t h = 0; h < halves; ++h) {
      state.acc.emplace_back();
      for (int64_t m = 0; m < mTiles; ++m, next += 4)
        state.acc[h].emplace_back(next, next + 4);
    }
    return state;
  }
};

class DecodeMmaKernelBuilder {
public:
  DecodeMmaKernelBuilder(OpBuilder &b, Location loc, const KernelShape &shape,
                         bool multiToken)
      : e(b, loc), shape(shape), multiToken(multiToken),
        plan(planDecodeMma(shape, multiToken)), rows(plan.rows),
        halves(plan.halves), kWords(plan.kWords), vChunks(plan.vChunks),
        mTiles(plan.mTiles) {}

  gpu::GPUFuncOp build(StringRef name, TypeRange argTypes);

private:
  void processChunk(Value chunkStart);
  /// One 16-key tile; `rowLimit[h]` is row h·8 + g's causal key limit.
  /// `checkPages` (masked tiles of a window with a page off the pool,
  /// see streamWindows): keys whose page is off the pool are masked and
  /// their V read as zeros.
  MmaState step(Value tile, bool masked, bool checkPages, Value window,
                Value windowEnd, ArrayRef<Value> rowLimit, MmaState state);
  /// The (page, slot) of key `tile + label`; masked tiles clamp the key to
  /// the window's last one.
  /// `checkPages`: the page is read through stagedPage and `onPool` set.
  std::pair<Value, Value> keySlot(Value tile, Value label, bool masked,
                                  Value window, Value windowEnd,
                                  bool checkPages = false,
                                  Value *onPool = nullptr);
  void writeWarpState(const MmaState &state);

  MmaState unflatten(ValueRange values) const {
    return MmaState::unflatten(values, halves, mTiles);
  }

  Emitter e;
  const KernelShape &shape;
  bool multiToken;
  DecodeMmaPlan plan;
  /// The plan's figures, as the builder uses them (Plan.h says what each
  /// is).
  int64_t rows, halves, kWords, vChunks, mTiles;
  DecodeFrame frame;
  Value g, t;
  /// The chunk's q fragments: qLo[h][s], qHi[h][s] for k step s, rows
  /// h·8 + g (zeros past the chunk's rows).
  SmallVector<SmallVector<Value>> qLo, qHi;
};

gpu::GPUFuncOp DecodeMmaKernelBuilder::build(StringRef name,
                                             TypeRange argTypes) {
  return beginDecodeKernel(
             e, name, argTypes, shape, rows, plan.blocksPerSM, kMmaTileKeys,
             [&](DecodeFrame &begun) {
               frame = begun;
               g = e.divU(frame.lane, e.index(4));
               t = e.remU(frame.lane, e.index(4));
               e.loop(e.index(0), frame.numRows, e.index(rows),
                      [&](Value chunkStart) { processChunk(chunkStart); });
             })
      .kernel;
}

void DecodeMmaKernelBuilder::processChunk(Value chunkStart) {
  Value group = e.index(shape.groupSize());
  Value lastRow = e.sub(frame.numRows, e.index(1));
  Type i32 = e.b.getI32Type();
  Value zero = e.i32(0);
  auto limitOf = [&](Value row) {
    return e.add(frame.cacheLength, e.add(e.divU(row, group), e.index(1)));
  };
  // Rows h·8 + g of the chunk; lanes past the chunk's rows hold zeros.
  // Causal: a row sees keys below cacheLength + token + 1.
  SmallVector<Value> rowLimit;
  qLo.assign(halves, {});
  qHi.assign(halves, {});
  for (int64_t h = 0; h < halves; ++h) {
    Value row = e.add(g, e.index(h * kMmaHalfRows));
    Value rowValid = e.ult(row, e.index(rows));
    Value flat =
        e.minU(e.add(chunkStart, e.minU(row, e.index(rows - 1))), lastRow);
    auto [qRow, qHead] = queryRowAndHead(e, frame, shape, flat);
    for (int64_t p = 0; p < kWords; ++p) {
      Value vector = e.loadVector(
          shape.vectorType(), frame.arg(kDecodeQ),
          {qRow, qHead, e.add(e.index(32 * p), e.mul(t, e.index(8)))});
      Value words = e.bitcast(VectorType::get({4}, i32), vector);
      for (int64_t w = 0; w < 4; ++w) {
        Value word = e.select(rowValid, e.extract(words, w), zero);
        (w % 2 == 0 ? qLo : qHi)[h].push_back(word);
      }
    }
    rowLimit.push_back(shape.causal ? limitOf(flat) : frame.numKeys);
  }

  // Keys below the chunk's first row's limit need no mask for any row; its
  // last row sees the most keys.
  Value maskFree = frame.numKeys;
  Value keyEnd = frame.splitEnd;
  if (shape.causal) {
    maskFree = limitOf(chunkStart);
    Value chunkLast = e.sub(
        e.minU(e.add(chunkStart, e.index(rows)), frame.numRows), e.index(1));
    keyEnd = e.minU(frame.splitEnd, limitOf(chunkLast));
  }

  MmaState state;
  state.max.assign(halves, e.f32(kNoScore));
  state.sum.assign(halves, e.f32(0.0f));
  state.acc.assign(halves, SmallVector<SmallVector<Value>>(
                               mTiles, SmallVector<Value>(4, e.f32(0.0f))));

  SmallVector<Value> result = streamWindows(
      e, frame, shape, keyEnd, state.flatten(),
      [&](Value window, Value windowBegin, Value windowEnd, Value offPool,
          ValueRange values) {
        // Warp w takes tiles windowBegin + 16 (w + n · warps).
        Value stride = e.index(kMmaTileKeys * frame.warps);
        Value lb = e.add(windowBegin, e.mul(frame.warp, e.index(kMmaTileKeys)));
        auto masked = [&](Value from, bool checkPages, ValueRange init) {
          return e.loop(from, windowEnd, stride, init,
                        [&](Value tile, ValueRange current) {
                          return step(tile, /*masked=*/true, checkPages, window,
                                      windowEnd, rowLimit, unflatten(current))
                              .flatten();
                        });
        };
        // A window with a page off the pool takes every tile masked and
        // checked; the others run unchanged.
        return e.ifThenElse(
            offPool, values.getTypes(),
            [&] { return masked(lb, /*checkPages=*/true, values); },
            [&] {
              Value unmaskedEnd = e.minU(windowEnd, maskFree);
              Value tileKeys = e.index(kMmaTileKeys);
              // Tiles [lb, mainEnd) end by unmaskedEnd.
              Value fullTiles = e.select(
                  e.cmp(arith::CmpIPredicate::ule, e.add(lb, tileKeys),
                        unmaskedEnd),
                  e.add(e.divU(e.sub(unmaskedEnd, e.add(lb, tileKeys)), stride),
                        e.index(1)),
                  e.index(0));
              Value mainEnd = e.add(lb, e.mul(fullTiles, stride));
              SmallVector<Value> main = e.loop(
                  lb, mainEnd, stride, values,
                  [&](Value tile, ValueRange current) {
                    return step(tile, /*masked=*/false, /*checkPages=*/false,
                                window, windowEnd, rowLimit, unflatten(current))
                        .flatten();
                  });
              return masked(mainEnd, /*checkPages=*/false, main);
            });
      });
  MmaState final = unflatten(result);
  // Each row's sum over the keys of its four lanes t.
  for (Value &sum : final.sum)
    sum = e.groupSum(sum, 4);
  writeWarpState(final);
  finishChunk(e, frame, shape, rows, chunkStart);
}

std::pair<Value, Value>
DecodeMmaKernelBuilder::keySlot(Value tile, Value label, bool masked,
                                Value window, Value windowEnd, bool checkPages,
                                Value *onPool) {
  const PagedCache &cache = frame.cache;
  Value offset = label;
  if (masked)
    offset = e.minU(label, e.sub(e.sub(windowEnd, e.index(1)), tile));
  auto staged = [&](Value key) {
    Value page =
        e.loadUnsigned(frame.pageIds, e.sub(cache.pageIndex(key), window));
    if (checkPages)
      std::tie(page, *onPool) = stagedPage(e, page);
    return page;
  };
  // The tile lies in one page (tiles start at multiples of 16).
  if (shape.pageSize % kMmaTileKeys == 0)
    return {staged(tile), e.add(cache.slot(tile), offset)};
  Value key = e.add(tile, offset);
  return {staged(key), cache.slot(key)};
}

MmaState DecodeMmaKernelBuilder::step(Value tile, bool masked, bool checkPages,
                                      Value window, Value windowEnd,
                                      ArrayRef<Value> rowLimit,
                                      MmaState state) {
  const PagedCache &cache = frame.cache;
  Type i32 = e.b.getI32Type();
  auto words = VectorType::get({4}, i32);
  // Loads first, all of them, to keep 16 of them in flight.
  // K: keys g and 8 + g, dims 32 p + 8 t.
  SmallVector<SmallVector<Value>> kVectors(2);
  for (int64_t j = 0; j < 2; ++j) {
    Value onPool;
    auto [page, slot] = keySlot(tile, e.add(g, e.index(8 * j)), masked, window,
                                windowEnd, checkPages, &onPool);
    for (int64_t p = 0; p < kWords; ++p)
      kVectors[j].push_back(e.bitcast(
          words,
          cache.loadVector(abi::kKeyPart, page, slot, frame.kvHead,
                           e.add(e.index(32 * p), e.mul(t, e.index(8))))));
  }
  // V: keys 2t, 2t+1, 2t+8, 2t+9, dims 64 c + 8 g.
  SmallVector<SmallVector<Value>> vVectors(4);
  for (int64_t v = 0; v < 4; ++v) {
    Value label = e.add(e.mul(t, e.index(2)), e.index((v % 2) + 8 * (v / 2)));
    Value onPool;
    auto [page, slot] =
        keySlot(tile, label, masked, window, windowEnd, checkPages, &onPool);
    for (int64_t c = 0; c < vChunks; ++c) {
      Value vector =
          cache.loadVector(abi::kValuePart, page, slot, frame.kvHead,
                           e.add(e.index(64 * c), e.mul(g, e.index(8))));
      // A page off the pool is staged as page 0: P = 0 times its V must
      // not be NaN.
      if (onPool)
        vector = e.select(onPool, vector, e.zeros(shape.vectorType()));
      vVectors[v].push_back(vector);
    }
  }

  // S = Q Kᵀ, two N tiles of 8 keys: s[j][2h + i] is row h·8 + g's score
  // of key 8 j + 2 t + i.
  Value zero = e.i32(0);
  Value scale = e.f32(shape.scale * kLog2E);
  SmallVector<SmallVector<Value, 4>> s(2, SmallVector<Value, 4>(4, e.f32(0)));
  for (int64_t k = 0; k < 2 * kWords; ++k)
    for (int64_t j = 0; j < 2; ++j) {
      Value b0 = e.extract(kVectors[j][k / 2], 2 * (k % 2));
      Value b1 = e.extract(kVectors[j][k / 2], 2 * (k % 2) + 1);
      Value lo1 = halves > 1 ? qLo[1][k] : zero;
      Value hi1 = halves > 1 ? qHi[1][k] : zero;
      s[j] = e.mma16816(shape.elementType, {qLo[0][k], lo1, qHi[0][k], hi1},
                        {b0, b1}, s[j]);
    }
  // scores[h][2 j + i].
  Value noScore = e.f32(-std::numeric_limits<float>::infinity());
  SmallVector<SmallVector<Value>> scores(halves);
  for (int64_t h = 0; h < halves; ++h)
    for (int64_t j = 0; j < 2; ++j)
      for (int64_t i = 0; i < 2; ++i) {
        Value score = e.mulF(s[j][2 * h + i], scale);
        if (masked) {
          Value key =
              e.add(tile, e.add(e.mul(t, e.index(2)), e.index(8 * j + i)));
          Value valid = e.ult(key, windowEnd);
          if (shape.causal)
            valid = e.andI(valid, e.ult(key, rowLimit[h]));
          if (checkPages) {
            Value onPool;
            keySlot(tile, e.add(e.mul(t, e.index(2)), e.index(8 * j + i)),
                    /*masked=*/true, window, windowEnd, checkPages, &onPool);
            valid = e.andI(valid, onPool);
          }
          score = e.select(valid, score, noScore);
        }
        scores[h].push_back(score);
      }

  // Each row's max over the tile (its four lanes), and the lazy rescale.
  SmallVector<Value> newMax;
  Value grows;
  for (int64_t h = 0; h < halves; ++h) {
    const auto &row = scores[h];
    Value tileMax = e.maxF(e.maxF(row[0], row[1]), e.maxF(row[2], row[3]));
    newMax.push_back(e.maxF(state.max[h], e.groupMax(tileMax, 4)));
    Value rowGrows = softmax::exceedsLazyBound(e, newMax[h], state.max[h]);
    grows = grows ? e.orI(grows, rowGrows) : rowGrows;
  }
  // Any row of the warp: the four lanes of a row agree.
  grows = arith::ExtUIOp::create(e.b, e.loc, i32, grows);
  for (int64_t offset = 4; offset < 32; offset *= 2)
    grows = e.orI(grows, e.shuffleXor(grows, offset));
  SmallVector<Value> current = state.flatten();
  state = unflatten(e.ifThenElse(
      e.cmp(arith::CmpIPredicate::ne, grows, zero),
      ValueRange(current).getTypes(),
      [&] {
        MmaState next = state;
        for (int64_t h = 0; h < halves; ++h) {
          Value alpha = softmax::weight(e, state.max[h], newMax[h]);
          next.max[h] = newMax[h];
          next.sum[h] = e.mulF(state.sum[h], alpha);
          // The lane's accumulators are rows h·8 + 2t and + 2t+1, whose
          // maxes live in lanes 8t and 8t + 4.
          Value alpha0 = e.shuffleIdx(alpha, e.mul(t, e.index(8)));
          Value alpha1 =
              e.shuffleIdx(alpha, e.add(e.mul(t, e.index(8)), e.index(4)));
          for (auto &tileAcc : next.acc[h])
            for (int64_t i = 0; i < 4; ++i)
              tileAcc[i] = e.mulF(tileAcc[i], i % 2 == 0 ? alpha0 : alpha1);
        }
        return next.flatten();
      },
      [&] { return current; }));

  // P, rounded to the cache's type for the product; the sum adds P as
  // rounded. pWords[h] is the half's B fragment.
  auto pairType = VectorType::get({2}, e.b.getF32Type());
  SmallVector<SmallVector<Value>> pWords(halves);
  for (int64_t h = 0; h < halves; ++h)
    for (int64_t j = 0; j < 2; ++j) {
      SmallVector<Value> pair;
      for (int64_t i = 0; i < 2; ++i)
        pair.push_back(softmax::weight(e, scores[h][2 * j + i], state.max[h]));
      // One cvt.rn.bf16x2.f32 (f16x2) for the pair.
      Value packed =
          e.truncTo(shape.elementType,
                    vector::FromElementsOp::create(e.b, e.loc, pairType, pair));
      Value rounded = e.extToF32(packed);
      for (int64_t i = 0; i < 2; ++i)
        state.sum[h] = e.addF(state.sum[h], e.extract(rounded, i));
      pWords[h].push_back(e.bitcast(i32, packed));
    }

  // Oᵀ += Vᵀ Pᵀ: M tile (c, r) holds dims 64 c + 8 g + 2 r (+ 1); one
  // product per half of the rows.
  for (int64_t c = 0; c < vChunks; ++c)
    for (int64_t r = 0; r < 4; ++r) {
      const auto &v = vVectors;
      SmallVector<Value> a = {e.pack16(v[0][c], 2 * r, v[1][c], 2 * r),
                              e.pack16(v[0][c], 2 * r + 1, v[1][c], 2 * r + 1),
                              e.pack16(v[2][c], 2 * r, v[3][c], 2 * r),
                              e.pack16(v[2][c], 2 * r + 1, v[3][c], 2 * r + 1)};
      for (int64_t h = 0; h < halves; ++h) {
        auto &acc = state.acc[h][4 * c + r];
        SmallVector<Value, 4> d =
            e.mma16816(shape.elementType, a, pWords[h], acc);
        acc.assign(d.begin(), d.end());
      }
    }
  return state;
}

void DecodeMmaKernelBuilder::writeWarpState(const MmaState &state) {
  int64_t headDim = shape.headDim;
  auto f32x4 = VectorType::get({4}, e.b.getF32Type());
  // Rows h·8 + 2t and + 2t+1: dims 64 c + 8 g + 2 r (+ 1) of M tile (c, r).
  for (int64_t h = 0; h < halves; ++h)
    for (int64_t i = 0; i < 2; ++i) {
      Value row = e.add(e.mul(t, e.index(2)), e.index(h * kMmaHalfRows + i));
      e.ifThen(e.ult(row, e.index(rows)), [&] {
        Value rowBase = e.mul(e.add(e.mul(frame.warp, e.index(rows)), row),
                              e.index(headDim));
        for (int64_t c = 0; c < vChunks; ++c)
          for (int64_t quad = 0; quad < 2; ++quad) {
            SmallVector<Value> dims;
            for (int64_t r = 2 * quad; r < 2 * quad + 2; ++r) {
              dims.push_back(state.acc[h][4 * c + r][i]);
              dims.push_back(state.acc[h][4 * c + r][2 + i]);
            }
            Value vector =
                vector::FromElementsOp::create(e.b, e.loc, f32x4, dims);
            Value dim = e.add(e.index(64 * c + 4 * quad), e.mul(g, e.index(8)));
            e.storeVector(vector, frame.warpAcc, e.add(rowBase, dim));
          }
      });
    }
  // Row h·8 + g's (max, sum) from its lane t = 0.
  for (int64_t h = 0; h < halves; ++h) {
    Value row = e.add(g, e.index(h * kMmaHalfRows));
    e.ifThen(e.andI(e.cmp(arith::CmpIPredicate::eq, t, e.index(0)),
                    e.ult(row, e.index(rows))),
             [&] {
               Value base = e.mul(e.add(e.mul(frame.warp, e.index(rows)), row),
                                  e.index(2));
               e.store(state.max[h], frame.warpMaxSum, base);
               e.store(state.sum[h], frame.warpMaxSum, e.add(base, e.index(1)));
             });
  }
}

} // namespace

gpu::GPUFuncOp kvcache::gpukernels::buildDecodeMmaKernel(
    OpBuilder &b, Location loc, StringRef name, TypeRange argTypes,
    const KernelShape &shape, bool multiToken) {
  return DecodeMmaKernelBuilder(b, loc, shape, multiToken)
      .build(name, argTypes);
}
