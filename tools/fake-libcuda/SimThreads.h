//===- SimThreads.h - Simulated CUDA threads on one host thread -*- C++ -*-===//
//
// The stand-in libcuda runs the kernels of a sim bundle (kvcache-compile
// --target=sim) here: every CTA of the grid in turn, each of its threads a
// fiber on the calling thread, switched in a fixed order, so a run is
// deterministic. A thread runs until it waits (at a barrier or a warp
// collective: a shuffle or an MMA) or exits; the scheduler then resumes the
// next lane of its warp that can go on, and moves to the next warp only when
// this one waits at a barrier (see Schedule).
//
// It checks what the hardware leaves undefined and a GPU run would show, if
// at all, as wrong numbers or a hang: threads of a CTA meeting at different
// barriers, lanes of a warp at different collectives, a barrier or
// collective after a thread of its CTA (warp) exited, a thread exiting
// while others wait for it, a shuffle reading a lane the warp does not
// have, an MMA in a warp of fewer than 32 threads, and more static
// workgroup memory than a CTA has. Each is reported as an error
// naming the kernel, the CTA and the threads, and the launch stops.
// Workgroup memory starts as 0xff bytes in every CTA (NaN as floats), so
// reading it before writing it shows.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_TOOLS_FAKE_LIBCUDA_SIMTHREADS_H
#define KVCACHE_TOOLS_FAKE_LIBCUDA_SIMTHREADS_H

#include <cstdint>
#include <functional>
#include <string>

namespace kvcache::fakecuda {

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

/// Static workgroup memory a CTA may use (CUDA's limit without opt-in).
inline constexpr int64_t kStaticSharedBytes = 48 * 1024;

/// The order the scheduler visits a CTA's warps, and a warp's lanes, in.
/// Each runs as far as it can (a warp until all its lanes wait at a barrier
/// or exited), so the first ones race ahead of the others: Forward shows a
/// missing barrier where a thread reads what a later one writes, Reverse
/// where it reads what an earlier one writes.
enum class Schedule { Forward, Reverse };

/// Runs `thread` once per simulated thread of `grid` x `block`: it is the
/// kernel's body, and may call the sim* functions below. Returns "" when
/// every thread ran to its end, else what went wrong, naming `kernel`.
/// Not reentrant: one launch at a time.
std::string simulateLaunch(const std::string &kernel, Dim3 grid, Dim3 block,
                           const std::function<void()> &thread,
                           Schedule schedule = Schedule::Forward);

// What a simulated thread asks of the hardware (SimKernelABI.h's hooks).
// Called outside simulateLaunch's threads, they abort with a message.
int64_t simThreadId(int32_t dim);
int64_t simBlockId(int32_t dim);
int64_t simBlockDim(int32_t dim);
int64_t simGridDim(int32_t dim);
/// Waits until every thread of the CTA reached barrier `site`.
void simBarrier(int32_t site);
int32_t simBarrierOr(int32_t predicate, int32_t site);
/// Exchanges 32 bits within the warp (see SimKernelABI.h); every live lane
/// of the warp must reach shuffle `site`.
uint64_t simShuffle(uint32_t bits, int32_t offset, int32_t width, int32_t mode,
                    int32_t site);
/// The warp's m16n8k16 MMA (see SimKernelABI.h): D = A * B + C from the
/// lane's fragments `a`, `b` (16-bit elements of sim::MmaType `type`) and
/// `c`, its fragment of D into `d`. A warp collective like a shuffle, with
/// the same `site` numbers; the warp must have all 32 lanes.
void simMmaM16N8K16(const uint32_t a[4], const uint32_t b[2], const float c[4],
                    float d[4], int32_t type, int32_t site);
/// The CTA's workgroup buffer `index` of `bytes` bytes, 16-byte aligned.
void *simWorkgroup(int32_t index, int64_t bytes);

} // namespace kvcache::fakecuda

#endif // KVCACHE_TOOLS_FAKE_LIBCUDA_SIMTHREADS_H
