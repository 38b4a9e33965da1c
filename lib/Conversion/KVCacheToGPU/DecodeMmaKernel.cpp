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
// group). A chunk holds up to 8 query rows (the GQA group, or token x group
// rows of a multi-token query); rows past the chunk's end are zeros.
//
//   S = Q Kᵀ (M = 16 query rows, of which the chunk's rows 0..7 are real,
//   N = 8 keys, K = 16 dims; two N tiles): the A fragment is q, loaded once
//   per chunk; the B fragment is the keys' rows as stored, because the
//   contraction order over head_dim is free: lane (g, t) loads 16 bytes of
//   key g (and 8 + g) at dims 32 p + 8 t for p < head_dim / 32, and the q
//   fragment holds the same dims of row g. A lane's S values are then row
//   g's scores of keys 2t, 2t+1 (tile 0) and 8+2t, 8+2t+1 (tile 1).
//
//   Oᵀ = Vᵀ Pᵀ (M = 16 dims, N = 8 query rows, K = 16 keys): the B fragment
//   (keys 2t, 2t+1, 2t+8, 2t+9 of row g) is exactly the P a lane computed
//   from its S values, so P never moves between lanes (as in
//   FlashAttention-2, transposed). The A fragment pairs two keys of one
//   dim in each 32-bit register: lane (g, t) loads 16 bytes (dims 64 c +
//   8 g ...) of keys 2t, 2t+1, 2t+8, 2t+9 and packs halves (one prmt
//   each). M tile (c, r) holds dims 64 c + 8 g + 2 r (rows g) and + 1 (rows
//   g + 8), so each lane ends with 8 consecutive dims of query rows 2t and
//   2t+1: 16-byte stores to workgroup memory.
//
// Softmax: lane (g, t) keeps row g's running max (the same in its four
// lanes) and its share of row g's sum, in log2 units (S is scaled by
// scale * log2(e)). The max is lazy as in DecodeKernel.cpp: the warp
// rescales only when some row's max grows by more than 2^8, so P <= 2^8,
// which P's 16-bit type holds; the sum adds P as rounded for the product.
//
// Tiles that lie entirely before the window's end (and, causal, before the
// chunk's first row's limit) skip masking; the rest clamp their loads to
// the window's last key and mask scores to -inf. With pages of a multiple
// of 16 keys and splits rounded to 16 keys, a tile lies in one page: one
// page-id read per tile.
//
//===----------------------------------------------------------------------===//

#include "DecodeCommon.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace kvcache::gpukernels;

namespace {

/// Keys per warp step (the mma's K for P·V, two N tiles for Q·Kᵀ).
constexpr int64_t kTileKeys = 16;
/// Query rows per chunk: the N of the P·V product.
constexpr int64_t kMaxRows = 8;
/// Log2 units a row's max may grow before the warp rescales.
constexpr float kLazyRescale = 8.0f;

/// The online-softmax state of a lane: row g's max and partial sum, and
/// the Oᵀ accumulators acc[m][0..3] of the M tiles.
struct MmaState {
  Value max, sum;
  SmallVector<SmallVector<Value>> acc;

  SmallVector<Value> flatten() const {
    SmallVector<Value> values = {max, sum};
    for (const auto &tile : acc)
      llvm::append_range(values, tile);
    return values;
  }
  static MmaState unflatten(ValueRange values, int64_t mTiles) {
    MmaState state;
    state.max = values[0];
    state.sum = values[1];
    for (int64_t m = 0; m < mTiles; ++m)
      state.acc.emplace_back(values.begin() + 2 + 4 * m,
                             values.begin() + 2 + 4 * (m + 1));
    return state;
  }
};

class DecodeMmaKernelBuilder {
public:
  DecodeMmaKernelBuilder(OpBuilder &b, Location loc, const KernelShape &shape,
                         bool multiToken)
      : e(b, loc), shape(shape),
        rows(multiToken ? kMaxRows : std::min(shape.groupSize(), kMaxRows)),
        kWords(shape.headDim / 32), vChunks(shape.headDim / 64),
        mTiles(shape.headDim / 16) {}

  gpu::GPUFuncOp build(StringRef name, TypeRange argTypes);

private:
  void processChunk(Value chunkStart);
  MmaState step(Value tile, bool masked, Value window, Value windowEnd,
                Value rowLimit, MmaState state);
  /// The (page, slot) of key `tile + label`; masked tiles clamp the key to
  /// the window's last one.
  std::pair<Value, Value> keySlot(Value tile, Value label, bool masked,
                                  Value window, Value windowEnd);
  void writeWarpState(const MmaState &state);

  Emitter e;
  const KernelShape &shape;
  int64_t rows;
  /// 16-byte K vectors per lane per key, V vectors per lane per key, and
  /// M tiles (16 dims each) of Oᵀ.
  int64_t kWords, vChunks, mTiles;
  DecodeFrame frame;
  Value g, t;
  /// The chunk's q fragments: qLo[s], qHi[s] for k step s (rows g).
  SmallVector<Value> qLo, qHi;
};

gpu::GPUFuncOp DecodeMmaKernelBuilder::build(StringRef name,
                                             TypeRange argTypes) {
  return beginDecodeKernel(
             e, name, argTypes, shape, rows, decodeBlocksPerSM(shape),
             kTileKeys,
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
  // Row g of the chunk; lanes past the chunk's rows hold zeros.
  Value rowValid = e.ult(g, e.index(rows));
  Value flat = e.minU(e.add(chunkStart, e.minU(g, e.index(rows - 1))), lastRow);
  auto [qRow, qHead] = queryRowAndHead(e, frame, shape, flat);
  Type i32 = e.b.getI32Type();
  Value zero = e.i32(0);
  qLo.clear();
  qHi.clear();
  for (int64_t p = 0; p < kWords; ++p) {
    Value vector = e.loadVector(
        shape.vectorType(), frame.arg(kDecodeQ),
        {qRow, qHead, e.add(e.index(32 * p), e.mul(t, e.index(8)))});
    Value words = e.bitcast(VectorType::get({4}, i32), vector);
    for (int64_t w = 0; w < 4; ++w) {
      Value word = e.select(rowValid, e.extract(words, w), zero);
      (w % 2 == 0 ? qLo : qHi).push_back(word);
    }
  }

  // Causal: row g sees keys below cacheLength + token + 1; keys below the
  // chunk's first row's limit need no mask for any row.
  Value rowLimit = frame.numKeys, maskFree = frame.numKeys;
  Value keyEnd = frame.splitEnd;
  if (shape.causal) {
    auto limitOf = [&](Value row) {
      return e.add(frame.cacheLength, e.add(e.divU(row, group), e.index(1)));
    };
    rowLimit = limitOf(flat);
    maskFree = limitOf(chunkStart);
    Value chunkLast = e.sub(
        e.minU(e.add(chunkStart, e.index(rows)), frame.numRows), e.index(1));
    keyEnd = e.minU(frame.splitEnd, limitOf(chunkLast));
  }

  MmaState state;
  state.max = e.f32(kNoScore);
  state.sum = e.f32(0.0f);
  state.acc.assign(mTiles, SmallVector<Value>(4, e.f32(0.0f)));

  SmallVector<Value> result = streamWindows(
      e, frame, shape, keyEnd, state.flatten(),
      [&](Value window, Value windowBegin, Value windowEnd, ValueRange values) {
        // Warp w takes tiles windowBegin + 16 (w + n · warps).
        Value stride = e.index(kTileKeys * frame.warps);
        Value lb = e.add(windowBegin, e.mul(frame.warp, e.index(kTileKeys)));
        Value unmaskedEnd = e.minU(windowEnd, maskFree);
        Value tileKeys = e.index(kTileKeys);
        // Tiles [lb, mainEnd) end by unmaskedEnd.
        Value fullTiles = e.select(
            e.cmp(arith::CmpIPredicate::ule, e.add(lb, tileKeys), unmaskedEnd),
            e.add(e.divU(e.sub(unmaskedEnd, e.add(lb, tileKeys)), stride),
                  e.index(1)),
            e.index(0));
        Value mainEnd = e.add(lb, e.mul(fullTiles, stride));
        SmallVector<Value> main = e.loop(
            lb, mainEnd, stride, values, [&](Value tile, ValueRange current) {
              return step(tile, /*masked=*/false, window, windowEnd, rowLimit,
                          MmaState::unflatten(current, mTiles))
                  .flatten();
            });
        return e.loop(mainEnd, windowEnd, stride, main,
                      [&](Value tile, ValueRange current) {
                        return step(tile, /*masked=*/true, window, windowEnd,
                                    rowLimit,
                                    MmaState::unflatten(current, mTiles))
                            .flatten();
                      });
      });
  MmaState final = MmaState::unflatten(result, mTiles);
  // Row g's sum over the keys of the four lanes t.
  final.sum = e.groupSum(final.sum, 4);
  writeWarpState(final);
  finishChunk(e, frame, shape, rows, chunkStart);
}

std::pair<Value, Value> DecodeMmaKernelBuilder::keySlot(Value tile, Value label,
                                                        bool masked,
                                                        Value window,
                                                        Value windowEnd) {
  Value pageSize = e.index(shape.pageSize);
  Value offset = label;
  if (masked)
    offset = e.minU(label, e.sub(e.sub(windowEnd, e.index(1)), tile));
  if (shape.pageSize % kTileKeys == 0) {
    // The tile lies in one page (tiles start at multiples of 16).
    Value page =
        e.loadUnsigned(frame.pageIds, e.sub(e.divU(tile, pageSize), window));
    return {page, e.add(e.remU(tile, pageSize), offset)};
  }
  Value key = e.add(tile, offset);
  Value page =
      e.loadUnsigned(frame.pageIds, e.sub(e.divU(key, pageSize), window));
  return {page, e.remU(key, pageSize)};
}

MmaState DecodeMmaKernelBuilder::step(Value tile, bool masked, Value window,
                                      Value windowEnd, Value rowLimit,
                                      MmaState state) {
  Value kvBlocks = frame.arg(kDecodeKvBlocks), layer = frame.arg(kDecodeLayer);
  Type i32 = e.b.getI32Type();
  auto words = VectorType::get({4}, i32);
  // Loads first, all of them, to keep 16 of them in flight.
  // K: keys g and 8 + g, dims 32 p + 8 t.
  SmallVector<SmallVector<Value>> kVectors(2);
  for (int64_t j = 0; j < 2; ++j) {
    auto [page, slot] =
        keySlot(tile, e.add(g, e.index(8 * j)), masked, window, windowEnd);
    for (int64_t p = 0; p < kWords; ++p)
      kVectors[j].push_back(e.bitcast(
          words, e.loadVector(shape.vectorType(), kvBlocks,
                              {page, e.index(0), layer, slot, frame.kvHead,
                               e.add(e.index(32 * p), e.mul(t, e.index(8)))})));
  }
  // V: keys 2t, 2t+1, 2t+8, 2t+9, dims 64 c + 8 g.
  SmallVector<SmallVector<Value>> vVectors(4);
  for (int64_t v = 0; v < 4; ++v) {
    Value label = e.add(e.mul(t, e.index(2)), e.index((v % 2) + 8 * (v / 2)));
    auto [page, slot] = keySlot(tile, label, masked, window, windowEnd);
    for (int64_t c = 0; c < vChunks; ++c)
      vVectors[v].push_back(
          e.loadVector(shape.vectorType(), kvBlocks,
                       {page, e.index(1), layer, slot, frame.kvHead,
                        e.add(e.index(64 * c), e.mul(g, e.index(8)))}));
  }

  // S = Q Kᵀ, two N tiles of 8 keys; the lane's scores are row g's, keys
  // 8 j + 2 t + i.
  Value zero = e.i32(0);
  Value scale = e.f32(shape.scale * kLog2E);
  SmallVector<Value> scores;
  SmallVector<SmallVector<Value, 4>> s(2, SmallVector<Value, 4>(4, e.f32(0)));
  for (int64_t k = 0; k < 2 * kWords; ++k)
    for (int64_t j = 0; j < 2; ++j) {
      Value b0 = e.extract(kVectors[j][k / 2], 2 * (k % 2));
      Value b1 = e.extract(kVectors[j][k / 2], 2 * (k % 2) + 1);
      s[j] = e.mma16816(shape.elementType, {qLo[k], zero, qHi[k], zero},
                        {b0, b1}, s[j]);
    }
  Value noScore = e.f32(-std::numeric_limits<float>::infinity());
  for (int64_t j = 0; j < 2; ++j)
    for (int64_t i = 0; i < 2; ++i) {
      Value score = e.mulF(s[j][i], scale);
      if (masked) {
        Value key =
            e.add(tile, e.add(e.mul(t, e.index(2)), e.index(8 * j + i)));
        Value valid = e.ult(key, windowEnd);
        if (shape.causal)
          valid = e.andI(valid, e.ult(key, rowLimit));
        score = e.select(valid, score, noScore);
      }
      scores.push_back(score);
    }

  // Row g's max over the tile (its four lanes), and the lazy rescale.
  Value tileMax =
      e.maxF(e.maxF(scores[0], scores[1]), e.maxF(scores[2], scores[3]));
  tileMax = e.groupMax(tileMax, 4);
  Value newMax = e.maxF(state.max, tileMax);
  Value grows =
      arith::ExtUIOp::create(e.b, e.loc, i32,
                             e.cmpF(arith::CmpFPredicate::OGT, newMax,
                                    e.addF(state.max, e.f32(kLazyRescale))));
  // Any row of the warp: the four lanes of a row agree.
  for (int64_t offset = 4; offset < 32; offset *= 2)
    grows = e.orI(grows, e.shuffleXor(grows, offset));
  SmallVector<Value> current = state.flatten();
  state = MmaState::unflatten(
      e.ifThenElse(
          e.cmp(arith::CmpIPredicate::ne, grows, zero),
          ValueRange(current).getTypes(),
          [&] {
            MmaState next = state;
            Value alpha = e.exp2(e.subF(state.max, newMax));
            next.max = newMax;
            next.sum = e.mulF(state.sum, alpha);
            // The lane's accumulators are rows 2t and 2t+1, whose maxes
            // live in lanes 8t and 8t + 4.
            Value alpha0 = e.shuffleIdx(alpha, e.mul(t, e.index(8)));
            Value alpha1 =
                e.shuffleIdx(alpha, e.add(e.mul(t, e.index(8)), e.index(4)));
            for (auto &tileAcc : next.acc)
              for (int64_t i = 0; i < 4; ++i)
                tileAcc[i] = e.mulF(tileAcc[i], i % 2 == 0 ? alpha0 : alpha1);
            return next.flatten();
          },
          [&] { return current; }),
      mTiles);

  // P, rounded to the cache's type for the product; the sum adds P as
  // rounded.
  auto pairType = VectorType::get({2}, e.b.getF32Type());
  SmallVector<Value> pWords;
  for (int64_t j = 0; j < 2; ++j) {
    SmallVector<Value> pair;
    for (int64_t i = 0; i < 2; ++i)
      pair.push_back(e.exp2(e.subF(scores[2 * j + i], state.max)));
    // One cvt.rn.bf16x2.f32 (f16x2) for the pair.
    Value packed =
        e.truncTo(shape.elementType,
                  vector::FromElementsOp::create(e.b, e.loc, pairType, pair));
    Value rounded = e.extToF32(packed);
    for (int64_t i = 0; i < 2; ++i)
      state.sum = e.addF(state.sum, e.extract(rounded, i));
    pWords.push_back(e.bitcast(i32, packed));
  }

  // Oᵀ += Vᵀ Pᵀ: M tile (c, r) holds dims 64 c + 8 g + 2 r (+ 1).
  for (int64_t c = 0; c < vChunks; ++c)
    for (int64_t r = 0; r < 4; ++r) {
      const auto &v = vVectors;
      SmallVector<Value> a = {e.pack16(v[0][c], 2 * r, v[1][c], 2 * r),
                              e.pack16(v[0][c], 2 * r + 1, v[1][c], 2 * r + 1),
                              e.pack16(v[2][c], 2 * r, v[3][c], 2 * r),
                              e.pack16(v[2][c], 2 * r + 1, v[3][c], 2 * r + 1)};
      SmallVector<Value, 4> d =
          e.mma16816(shape.elementType, a, pWords, state.acc[4 * c + r]);
      state.acc[4 * c + r].assign(d.begin(), d.end());
    }
  return state;
}

void DecodeMmaKernelBuilder::writeWarpState(const MmaState &state) {
  int64_t headDim = shape.headDim;
  auto f32x4 = VectorType::get({4}, e.b.getF32Type());
  // Rows 2t and 2t+1: dims 64 c + 8 g + 2 r (+ 1) of M tile (c, r).
  for (int64_t i = 0; i < 2; ++i) {
    Value row = e.add(e.mul(t, e.index(2)), e.index(i));
    e.ifThen(e.ult(row, e.index(rows)), [&] {
      Value rowBase =
          e.mul(e.add(e.mul(frame.warp, e.index(rows)), row), e.index(headDim));
      for (int64_t c = 0; c < vChunks; ++c)
        for (int64_t half = 0; half < 2; ++half) {
          SmallVector<Value> dims;
          for (int64_t r = 2 * half; r < 2 * half + 2; ++r) {
            dims.push_back(state.acc[4 * c + r][i]);
            dims.push_back(state.acc[4 * c + r][2 + i]);
          }
          Value vector =
              vector::FromElementsOp::create(e.b, e.loc, f32x4, dims);
          Value dim = e.add(e.index(64 * c + 4 * half), e.mul(g, e.index(8)));
          e.storeVector(vector, frame.warpAcc, e.add(rowBase, dim));
        }
    });
  }
  // Row g's (max, sum) from its lane t = 0.
  e.ifThen(e.andI(e.cmp(arith::CmpIPredicate::eq, t, e.index(0)),
                  e.ult(g, e.index(rows))),
           [&] {
             Value base =
                 e.mul(e.add(e.mul(frame.warp, e.index(rows)), g), e.index(2));
             e.store(state.max, frame.warpMaxSum, base);
             e.store(state.sum, frame.warpMaxSum, e.add(base, e.index(1)));
           });
}

} // namespace

bool kvcache::gpukernels::decodeUsesTensorCores(const KernelShape &shape) {
  return shape.tensorCores &&
         (shape.elementType.isBF16() || shape.elementType.isF16()) &&
         (shape.headDim == 64 || shape.headDim == 128);
}

int64_t kvcache::gpukernels::decodeBlocksPerSM(const KernelShape &shape) {
  // Tensor cores: 16 keys of K and V per lane in flight take 64 registers,
  // the accumulators 32 and q 16; three CTAs (168 registers) fit on sm_90,
  // while sm_80's ptxas spills there and gets two. Either keeps 32+ KiB of
  // K/V loads in flight per SM.
  int64_t ctas = !decodeUsesTensorCores(shape) ? 4
                 : shape.smVersion >= 90       ? 3
                                               : 2;
  return std::max<int64_t>(1, ctas * 128 / shape.blockSize);
}

gpu::GPUFuncOp kvcache::gpukernels::buildDecodeMmaKernel(
    OpBuilder &b, Location loc, StringRef name, TypeRange argTypes,
    const KernelShape &shape, bool multiToken) {
  return DecodeMmaKernelBuilder(b, loc, shape, multiToken)
      .build(name, argTypes);
}
