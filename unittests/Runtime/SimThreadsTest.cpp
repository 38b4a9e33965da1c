//===- SimThreadsTest.cpp - The stand-in libcuda's simulated threads ------===//
//
// Kernels written as C++ lambdas against the hooks a sim bundle's kernels
// call: the semantics of ids, barriers, shuffles and workgroup memory, and
// that kernels which break the rules fail with a message rather than hang
// or pass.
//
//===----------------------------------------------------------------------===//

#include "SimThreads.h"

#include "kvcache/ABI/SimKernelABI.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

using namespace kvcache::fakecuda;
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
