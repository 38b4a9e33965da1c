//===- SimThreadsTest.cpp - The stand-in libcuda's simulated threads ------===//
//
// Kernels written as C++ lambdas against the hooks a sim bundle's kernels
// call: the semantics of ids, barriers, shuffles, the tensor-core MMA and
// workgroup memory, and that kernels which break the rules fail with a
// message rather than hang or pass.
//
//===----------------------------------------------------------------------===//

#include "SimThreads.h"

#include "kvcache/ABI/SimKernelABI.h"
#include "kvcache/Runtime/FloatBits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

using namespace kvcache::fakecuda;
using kvcache::sim::MmaType;
using kvcache::sim::ShuffleMode;

namespace {

constexpr int32_t kXor = static_cast<int32_t>(ShuffleMode::Xor);
constexpr int32_t kIdx = static_cast<int32_t>(ShuffleMode::Idx);
constexpr int32_t kDown = static_cast<int32_t>(ShuffleMode::Down);

float shuffleXor(float value, int32_t offset, int32_t site) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  uint64_t result = simShuffle(bits, offset, 32, kXor, site);
  EXPECT_TRUE(result >> 32) << "xor within 32 lanes is always valid";
  auto low = static_cast<uint32_t>(result);
  float out;
  std::memcpy(&out, &low, 4);
  return out;
}

TEST(SimThreadsTest, IdsCoverTheGridAndBlock) {
  std::vector<int> seen(3 * 2 * 64, 0);
  std::string error = simulateLaunch("ids", {3, 2, 1}, {64, 1, 1}, [&] {
    EXPECT_EQ(simGridDim(0), 3);
    EXPECT_EQ(simGridDim(1), 2);
    EXPECT_EQ(simBlockDim(0), 64);
    int64_t block = simBlockId(0) + 3 * simBlockId(1);
    ++seen[block * 64 + simThreadId(0)];
  });
  EXPECT_EQ(error, "");
  for (int count : seen)
    EXPECT_EQ(count, 1);
}

TEST(SimThreadsTest, BarrierOrdersWorkgroupMemory) {
  // Each thread writes its slot, then reads its neighbour's: only correct
  // if every write happened before any read.
  std::vector<int32_t> out(2 * 128);
  std::string error = simulateLaunch("neighbours", {2, 1, 1}, {128, 1, 1}, [&] {
    auto *shared = static_cast<int32_t *>(simWorkgroup(0, 128 * 4));
    int64_t tid = simThreadId(0), block = simBlockId(0);
    shared[tid] = static_cast<int32_t>(1000 * block + tid);
    simBarrier(0);
    out[block * 128 + tid] = shared[(tid + 1) % 128];
    simBarrier(1);
  });
  ASSERT_EQ(error, "");
  for (int block = 0; block < 2; ++block)
    for (int tid = 0; tid < 128; ++tid)
      EXPECT_EQ(out[block * 128 + tid], 1000 * block + (tid + 1) % 128);
}

TEST(SimThreadsTest, AMissingBarrierReadsPoison) {
  // The same kernel without its barrier: thread t reads slot t + 1 before
  // thread t + 1 ran, i.e. the 0xff bytes workgroup memory starts with.
  std::vector<float> out(64);
  std::string error = simulateLaunch("no-barrier", {1, 1, 1}, {64, 1, 1}, [&] {
    auto *shared = static_cast<float *>(simWorkgroup(0, 64 * 4));
    int64_t tid = simThreadId(0);
    shared[tid] = 1.0f;
    out[tid] = shared[(tid + 1) % 64];
  });
  ASSERT_EQ(error, "");
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_EQ(out[63], 1.0f) << "slot 0 was written before thread 63 ran";
}

TEST(SimThreadsTest, AMissingBarrierReadsPoisonInReverse) {
  // Thread t reads slot t - 1: only the reverse schedule runs it first.
  std::vector<float> out(64);
  auto kernel = [&] {
    auto *shared = static_cast<float *>(simWorkgroup(0, 64 * 4));
    int64_t tid = simThreadId(0);
    shared[tid] = 1.0f;
    out[tid] = shared[(tid + 63) % 64];
  };
  ASSERT_EQ(simulateLaunch("forward", {1, 1, 1}, {64, 1, 1}, kernel), "");
  EXPECT_EQ(out[1], 1.0f);
  ASSERT_EQ(simulateLaunch("reverse", {1, 1, 1}, {64, 1, 1}, kernel,
                           Schedule::Reverse),
            "");
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_EQ(out[0], 1.0f) << "slot 63 was written before thread 0 ran";
}

TEST(SimThreadsTest, ShuffleXorSumsAWarp) {
  std::vector<float> sums(64);
  std::string error = simulateLaunch("sum", {1, 1, 1}, {64, 1, 1}, [&] {
    int64_t tid = simThreadId(0);
    float value = static_cast<float>(tid);
    for (int32_t offset = 16; offset > 0; offset /= 2)
      value += shuffleXor(value, offset, 0);
    sums[tid] = value;
  });
  ASSERT_EQ(error, "");
  for (int tid = 0; tid < 32; ++tid)
    EXPECT_EQ(sums[tid], 496.0f); // 0 + ... + 31
  for (int tid = 32; tid < 64; ++tid)
    EXPECT_EQ(sums[tid], 1520.0f); // 32 + ... + 63
}

TEST(SimThreadsTest, ShuffleValidity) {
  std::vector<uint64_t> idx(32), down(32);
  std::string error = simulateLaunch("valid", {1, 1, 1}, {32, 1, 1}, [&] {
    int64_t lane = simThreadId(0);
    uint32_t bits = static_cast<uint32_t>(100 + lane);
    // Lane 5's value for everyone; then lane + 4, invalid past lane 27
    // (width 32), where the own value comes back.
    idx[lane] = simShuffle(bits, 5, 32, kIdx, 0);
    down[lane] = simShuffle(bits, 4, 32, kDown, 1);
  });
  ASSERT_EQ(error, "");
  for (int lane = 0; lane < 32; ++lane) {
    EXPECT_EQ(idx[lane], (uint64_t(1) << 32) | 105);
    if (lane + 4 < 32)
      EXPECT_EQ(down[lane], (uint64_t(1) << 32) | uint64_t(100 + lane + 4));
    else
      EXPECT_EQ(down[lane], uint64_t(100 + lane));
  }
}

/// One warp's m16n8k16 problem, D = A * B + C, with random entries chosen
/// so that every product and sum is exact in f32: D is the same whatever
/// the order of the sums, and any fragment read from the wrong place shows.
struct MmaProblem {
  float a[16][16], b[16][8], c[16][8];

  /// Entries k / `scale` with |k| <= `range`, from a fixed seed.
  MmaProblem(uint32_t seed, int range, float scale) {
    auto next = [&] {
      seed = seed * 1664525u + 1013904223u;
      int k = static_cast<int>((seed >> 8) % (2 * range + 1)) - range;
      return static_cast<float>(k) / scale;
    };
    for (auto &row : a)
      for (float &x : row)
        x = next();
    for (auto &row : b)
      for (float &x : row)
        x = next();
    for (auto &row : c)
      for (float &x : row)
        x = next();
  }

  float reference(int i, int j) const {
    double sum = c[i][j];
    for (int k = 0; k < 16; ++k)
      sum += double(a[i][k]) * double(b[k][j]);
    return static_cast<float>(sum);
  }
};

uint32_t packPair(float low, float high, MmaType type) {
  auto bits = [&](float x) -> uint32_t {
    return type == MmaType::BF16 ? kvcache::runtime::floatToBFloat16Bits(x)
                                 : kvcache::runtime::floatToHalfBits(x);
  };
  return bits(low) | bits(high) << 16;
}

/// Lane `lane`'s fragments of `p` and where its results belong, as the PTX
/// ISA lays them out for mma.m16n8k16 (row-major A, column-major B): with
/// g = lane / 4, t = lane % 4, a register holds two consecutive elements,
/// the lower-indexed one in its low half.
void simMmaOf(const MmaProblem &p, unsigned lane, MmaType type, float d[4]) {
  unsigned g = lane / 4, t = lane % 4;
  const uint32_t a[4] = {
      packPair(p.a[g][2 * t], p.a[g][2 * t + 1], type),
      packPair(p.a[g + 8][2 * t], p.a[g + 8][2 * t + 1], type),
      packPair(p.a[g][2 * t + 8], p.a[g][2 * t + 9], type),
      packPair(p.a[g + 8][2 * t + 8], p.a[g + 8][2 * t + 9], type)};
  const uint32_t b[2] = {packPair(p.b[2 * t][g], p.b[2 * t + 1][g], type),
                         packPair(p.b[2 * t + 8][g], p.b[2 * t + 9][g], type)};
  const float c[4] = {p.c[g][2 * t], p.c[g][2 * t + 1], p.c[g + 8][2 * t],
                      p.c[g + 8][2 * t + 1]};
  simMmaM16N8K16(a, b, c, d, static_cast<int32_t>(type), 0);
}

void expectMmaMatchesReference(MmaType type, int range, float scale,
                               Schedule schedule) {
  // Two warps, each with its own problem, twice (the site is reused).
  std::vector<MmaProblem> problems = {MmaProblem(1, range, scale),
                                      MmaProblem(2, range, scale)};
  std::vector<float> out(64 * 4 * 2, -1.0f);
  std::string error = simulateLaunch(
      "mma", {1, 1, 1}, {64, 1, 1},
      [&] {
        int64_t tid = simThreadId(0);
        for (int round = 0; round < 2; ++round)
          simMmaOf(problems[(tid / 32 + round) % 2], tid % 32, type,
                   &out[(round * 64 + tid) * 4]);
      },
      schedule);
  ASSERT_EQ(error, "");
  for (int round = 0; round < 2; ++round)
    for (unsigned tid = 0; tid < 64; ++tid) {
      const MmaProblem &p = problems[(tid / 32 + round) % 2];
      unsigned g = tid % 32 / 4, t = tid % 4;
      const float *d = &out[(round * 64 + tid) * 4];
      EXPECT_EQ(d[0], p.reference(g, 2 * t)) << "thread " << tid;
      EXPECT_EQ(d[1], p.reference(g, 2 * t + 1)) << "thread " << tid;
      EXPECT_EQ(d[2], p.reference(g + 8, 2 * t)) << "thread " << tid;
      EXPECT_EQ(d[3], p.reference(g + 8, 2 * t + 1)) << "thread " << tid;
    }
}

TEST(SimThreadsTest, MmaBF16MatchesAReferenceMatmul) {
  // Multiples of 1/16 up to 8: exact in bf16 (8 significant bits).
  expectMmaMatchesReference(MmaType::BF16, 127, 16.0f, Schedule::Forward);
  expectMmaMatchesReference(MmaType::BF16, 127, 16.0f, Schedule::Reverse);
}

TEST(SimThreadsTest, MmaF16MatchesAReferenceMatmul) {
  // Multiples of 1/256 up to 2: exact in f16 (11 significant bits), not in
  // bf16, so reading them as bf16 would show.
  expectMmaMatchesReference(MmaType::F16, 500, 256.0f, Schedule::Forward);
  expectMmaMatchesReference(MmaType::F16, 500, 256.0f, Schedule::Reverse);
}

TEST(SimThreadsTest, MmaInAPartialWarpFails) {
  MmaProblem problem(3, 8, 1.0f);
  std::string error = simulateLaunch("partial-mma", {1, 1, 1}, {48, 1, 1}, [&] {
    float d[4];
    simMmaOf(problem, simThreadId(0) % 32, MmaType::BF16, d);
  });
  EXPECT_NE(error.find("kernel 'partial-mma', CTA (0, 0, 0), thread (32, 0, "
                       "0): reaches mma #0 in a warp of 16 threads; mma.sync "
                       "needs all 32 lanes"),
            std::string::npos)
      << error;
}

TEST(SimThreadsTest, MmaDivergentFromAShuffleFails) {
  // Shuffles and MMAs share the warp's site numbers: half the warp at
  // shuffle #0, the other half at mma #1.
  std::string error =
      simulateLaunch("mma-divergent", {1, 1, 1}, {32, 1, 1}, [] {
        if (simThreadId(0) < 16) {
          simShuffle(0, 1, 32, kXor, 0);
        } else {
          const uint32_t a[4] = {}, b[2] = {};
          const float c[4] = {};
          float d[4];
          simMmaM16N8K16(a, b, c, d, static_cast<int32_t>(MmaType::F16), 1);
        }
      });
  EXPECT_NE(error.find("kernel 'mma-divergent', CTA (0, 0, 0), thread (16, 0, "
                       "0): reaches mma #1 while 16 lanes of its warp wait at "
                       "shuffle #0 (divergent warp collectives)"),
            std::string::npos)
      << error;
}

TEST(SimThreadsTest, MmaMisuseFails) {
  const uint32_t a[4] = {}, b[2] = {};
  const float c[4] = {};
  std::string error = simulateLaunch("mma-type", {1, 1, 1}, {32, 1, 1}, [&] {
    float d[4];
    simMmaM16N8K16(a, b, c, d, 7, 2);
  });
  EXPECT_NE(error.find("thread (0, 0, 0): reaches mma #2 with unknown "
                       "multiplicand type 7"),
            std::string::npos)
      << error;
  // Lanes that disagree on the type.
  error = simulateLaunch("mma-types", {1, 1, 1}, {32, 1, 1}, [&] {
    float d[4];
    MmaType type = simThreadId(0) == 9 ? MmaType::F16 : MmaType::BF16;
    simMmaM16N8K16(a, b, c, d, static_cast<int32_t>(type), 0);
  });
  EXPECT_NE(error.find("thread (9, 0, 0): reaches mma #0 with f16 "
                       "multiplicands while 9 lanes of its warp wait there "
                       "with bf16"),
            std::string::npos)
      << error;
  // A lane that skips the MMA.
  error = simulateLaunch("mma-skip", {1, 1, 1}, {32, 1, 1}, [&] {
    float d[4];
    if (simThreadId(0) != 5)
      simMmaM16N8K16(a, b, c, d, static_cast<int32_t>(MmaType::BF16), 0);
  });
  EXPECT_NE(error.find("thread (5, 0, 0): exits while 5 lanes of its warp "
                       "wait at mma #0"),
            std::string::npos)
      << error;
}

TEST(SimThreadsTest, DivergentBarriersFail) {
  std::string error = simulateLaunch("divergent", {2, 1, 1}, {64, 1, 1}, [] {
    if (simThreadId(0) < 32)
      simBarrier(0);
    else
      simBarrier(1);
  });
  EXPECT_NE(error.find("kernel 'divergent', CTA (0, 0, 0), thread (32, 0, 0): "
                       "reaches barrier #1 while 32 threads of its CTA wait "
                       "at barrier #0 (divergent barriers)"),
            std::string::npos)
      << error;
}

TEST(SimThreadsTest, ExitingWhileOthersWaitFails) {
  std::string error = simulateLaunch("skips", {1, 1, 1}, {64, 1, 1}, [] {
    if (simThreadId(0) != 7)
      simBarrier(0);
  });
  EXPECT_NE(error.find("thread (7, 0, 0): exits while 7 threads of its CTA "
                       "wait at barrier #0"),
            std::string::npos)
      << error;
  // Thread 0 skips the barrier and exits before anyone waits: the others
  // then reach a barrier it will never reach.
  error = simulateLaunch("skips-first", {1, 1, 1}, {64, 1, 1}, [] {
    if (simThreadId(0) != 0)
      simBarrier(0);
  });
  EXPECT_NE(error.find("thread (1, 0, 0): reaches barrier #0 after 1 "
                       "threads of its CTA exited"),
            std::string::npos)
      << error;
}

TEST(SimThreadsTest, DeadlockIsReportedNotHung) {
  // Lane 0 waits at the barrier for its warp, whose other lanes wait at a
  // shuffle for lane 0.
  std::string error = simulateLaunch("deadlock", {1, 1, 1}, {64, 1, 1}, [] {
    int64_t tid = simThreadId(0);
    if (tid > 0 && tid < 32)
      simShuffle(0, 1, 32, kXor, 0);
    simBarrier(0);
  });
  EXPECT_NE(error.find("kernel 'deadlock', CTA (0, 0, 0): deadlock"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("threads 1..31 wait at shuffle #0"), std::string::npos)
      << error;
}

TEST(SimThreadsTest, ShuffleFromAMissingLaneFails) {
  std::string error = simulateLaunch("partial", {1, 1, 1}, {16, 1, 1},
                                     [] { simShuffle(0, 20, 32, kIdx, 3); });
  EXPECT_NE(error.find("shuffle #3: lane 0 reads lane 20, which its warp of "
                       "16 threads does not have"),
            std::string::npos)
      << error;
}

TEST(SimThreadsTest, WorkgroupMemoryIsLimited) {
  std::string error = simulateLaunch("greedy", {1, 1, 1}, {32, 1, 1}, [] {
    simWorkgroup(0, 40 * 1024);
    simWorkgroup(1, 16 * 1024);
  });
  EXPECT_NE(error.find("uses 57344 bytes of workgroup memory"),
            std::string::npos)
      << error;
}

TEST(SimThreadsTest, IllegalAddressFails) {
  // A wild store ends the launch, not the process, as a GPU's illegal
  // address error would.
  std::string error = simulateLaunch("wild", {2, 1, 1}, {32, 1, 1}, [] {
    if (simBlockId(0) == 1 && simThreadId(0) == 5)
      *reinterpret_cast<volatile int *>(uintptr_t(16)) = 1;
  });
  EXPECT_NE(error.find("kernel 'wild', CTA (1, 0, 0), thread (5, 0, 0): "
                       "makes an illegal memory access at 0x10 (SIGSEGV)"),
            std::string::npos)
      << error;
}

TEST(SimThreadsTest, RunsAgainAfterAFailure) {
  ASSERT_NE(simulateLaunch("fails", {1, 1, 1}, {32, 1, 1},
                           [] {
                             if (simThreadId(0) == 0)
                               simBarrier(0);
                           }),
            "");
  int count = 0;
  EXPECT_EQ(simulateLaunch("after", {2, 1, 1}, {32, 1, 1}, [&] { ++count; }),
            "");
  EXPECT_EQ(count, 64);
}

} // namespace
