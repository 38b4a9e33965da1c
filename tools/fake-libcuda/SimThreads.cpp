//===- SimThreads.cpp - Simulated CUDA threads on one host thread ---------===//

#include "SimThreads.h"

#include "kvcache/ABI/MmaFragments.h"
#include "kvcache/ABI/SimKernelABI.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define KVCACHE_SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KVCACHE_SIM_ASAN 1
#endif
#endif
#ifdef KVCACHE_SIM_ASAN
#include <sanitizer/common_interface_defs.h>
// ASan's runtime entry for stack (not user) memory: a GCC builtin, declared
// here for clang (the runtime takes two pointer-sized integers).
#if defined(__clang__)
extern "C" void __asan_unpoison_stack_memory(void *address, long size);
#endif
#endif

using namespace kvcache::fakecuda;
namespace sim = kvcache::sim;

//===----------------------------------------------------------------------===//
// Fibers
//===----------------------------------------------------------------------===//

#if defined(__x86_64__)
// Saves the callee-saved registers on the current stack, stores the stack
// pointer in *from, and resumes the stack `to` (a fiber saved the same way,
// or a fresh one that starts at its entry). Hand-written rather than
// swapcontext, which makes a system call per switch: a simulated kernel
// switches fibers millions of times.
extern "C" void kvcache_sim_switch(void **from, void *to);
asm(R"(
  .text
  .p2align 4
  .globl kvcache_sim_switch
  .hidden kvcache_sim_switch
  .type kvcache_sim_switch,@function
kvcache_sim_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size kvcache_sim_switch, .-kvcache_sim_switch
  .section .note.GNU-stack,"",@progbits
  .text
)");
#endif

namespace {

constexpr size_t kStackBytes = 256 * 1024;

/// One fiber stack, with a guard page below it.
class Stack {
public:
  Stack() {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    mapping = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) {
      std::perror("fake libcuda: cannot map a simulated thread's stack");
      std::abort();
    }
    mprotect(mapping, page, PROT_NONE);
    bottom = static_cast<char *>(mapping) + page;
    mapped = kStackBytes + page;
  }
  ~Stack() { munmap(mapping, mapped); }
  Stack(const Stack &) = delete;
  Stack &operator=(const Stack &) = delete;

  char *bottom = nullptr;

private:
  void *mapping = nullptr;
  size_t mapped = 0;
};

/// A saved execution context: the scheduler's or a thread's.
struct Context {
#if defined(__x86_64__)
  void *sp = nullptr;
#else
  ucontext_t context;
#endif
  /// The stack it runs on, for ASan; for the scheduler, what ASan reports
  /// when a thread is switched to from it.
  const void *stackBottom = nullptr;
  size_t stackSize = 0;
};

/// The scheduler's context, which ASan must be told the stack of when a
/// thread switches back to it.
Context *schedulerContext = nullptr;

/// A thread now runs, switched to from the scheduler: tells ASan, and
/// learns the scheduler's stack from it.
void finishSwitchToThread(void *fakeStack) {
#ifdef KVCACHE_SIM_ASAN
  __sanitizer_finish_switch_fiber(fakeStack, &schedulerContext->stackBottom,
                                  &schedulerContext->stackSize);
#else
  (void)fakeStack;
#endif
}

/// Switches from the running context to `to`. `leaving`: the running one
/// is never resumed (its thread exited or the launch failed).
void switchContext(Context &from, Context &to, bool leaving = false) {
#ifdef KVCACHE_SIM_ASAN
  void *fakeStack = nullptr;
  __sanitizer_start_switch_fiber(leaving ? nullptr : &fakeStack, to.stackBottom,
                                 to.stackSize);
#else
  (void)leaving;
#endif
#if defined(__x86_64__)
  kvcache_sim_switch(&from.sp, to.sp);
#else
  swapcontext(&from.context, &to.context);
#endif
#ifdef KVCACHE_SIM_ASAN
  if (&from == schedulerContext)
    __sanitizer_finish_switch_fiber(fakeStack, nullptr, nullptr);
  else
    finishSwitchToThread(fakeStack);
#endif
}

/// Makes `context` start `entry` on `stack` when switched to.
void startContext(Context &context, Stack &stack, void (*entry)()) {
  context.stackBottom = stack.bottom;
  context.stackSize = kStackBytes;
#ifdef KVCACHE_SIM_ASAN
  // Frames a thread left behind (it exited, or the launch ended while it
  // waited) never returned to clear their redzones. The stack variant of
  // unpoisoning, which allow_user_poisoning=0 does not turn off.
  __asan_unpoison_stack_memory(stack.bottom, static_cast<long>(kStackBytes));
#endif
#if defined(__x86_64__)
  // The frame kvcache_sim_switch pops: six registers, then the return
  // address `entry`, above it a null return address for `entry` itself,
  // which is entered as if called (rsp + 8 aligned to 16).
  auto *top = reinterpret_cast<void **>(stack.bottom + kStackBytes);
  *--top = nullptr;
  *--top = reinterpret_cast<void *>(entry);
  for (int i = 0; i < 6; ++i)
    *--top = nullptr;
  context.sp = top;
#else
  getcontext(&context.context);
  context.context.uc_stack.ss_sp = stack.bottom;
  context.context.uc_stack.ss_size = kStackBytes;
  context.context.uc_link = nullptr;
  makecontext(&context.context, entry, 0);
#endif
}

//===----------------------------------------------------------------------===//
// The simulator
//===----------------------------------------------------------------------===//

enum class Wait { None, Barrier, Shuffle, Mma, Exited };

/// A warp collective's name in messages.
const char *collectiveName(Wait kind) {
  return kind == Wait::Mma ? "mma" : "shuffle";
}

struct Thread {
  Context context;
  Dim3 id;
  unsigned linear = 0;
  Wait wait = Wait::None;
  /// The site it waits at, and the generation of that barrier (its warp's
  /// collective) it waits to see end.
  int32_t site = 0;
  uint64_t generation = 0;
};

struct Warp {
  unsigned lanes = 0;
  unsigned arrived = 0;
  unsigned exited = 0;
  /// The collective the arrived lanes wait at (Wait::Shuffle or Wait::Mma),
  /// and its site.
  Wait collective = Wait::None;
  int32_t site = 0;
  uint64_t generation = 0;
  // A shuffle's operands and results, per lane.
  uint32_t bits[sim::kWarpSize] = {};
  int32_t offset[sim::kWarpSize] = {};
  int32_t width[sim::kWarpSize] = {};
  int32_t mode[sim::kWarpSize] = {};
  uint64_t result[sim::kWarpSize] = {};
  // An MMA's multiplicand type, and its fragments per lane.
  int32_t mmaType = 0;
  uint32_t mmaA[sim::kWarpSize][4] = {};
  uint32_t mmaB[sim::kWarpSize][2] = {};
  float mmaC[sim::kWarpSize][4] = {};
  float mmaD[sim::kWarpSize][4] = {};
};

/// A 16-bit float's value (exact in f32).
float bf16Value(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}
float f16Value(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  uint32_t wide;
  if (exponent == 0x1f) { // Infinity or NaN.
    wide = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent == 0) { // Zero or subnormal: mantissa * 2^-24.
    float magnitude = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    return sign ? -magnitude : magnitude;
  } else {
    wide = sign | ((exponent + 112) << 23) | (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

/// D = A * B + C from the warp's fragments of mma.sync.m16n8k16, laid out
/// as kvcache/ABI/MmaFragments.h defines (A row-major, B column-major,
/// 16-bit floats packed two per register, the lower-indexed element in the
/// low half). Products of 16-bit floats are exact in f32; they are summed
/// in f32 with k ascending, then C is added.
void multiplyM16N8K16(Warp &warp) {
  using namespace kvcache::mma;
  float (*value)(uint16_t) =
      warp.mmaType == static_cast<int32_t>(sim::MmaType::BF16) ? bf16Value
                                                               : f16Value;
  float a[kM][kK], b[kK][kN], c[kM][kN];
  for (unsigned lane = 0; lane < sim::kWarpSize; ++lane) {
    for (unsigned half = 0; half < 2; ++half) {
      auto element = [&](uint32_t word) {
        return value(static_cast<uint16_t>(word >> (16 * half)));
      };
      for (unsigned reg = 0; reg < kARegisters; ++reg) {
        Element at = aElement(lane, reg, half);
        a[at.row][at.col] = element(warp.mmaA[lane][reg]);
      }
      for (unsigned reg = 0; reg < kBRegisters; ++reg) {
        Element at = bElement(lane, reg, half);
        b[at.row][at.col] = element(warp.mmaB[lane][reg]);
      }
    }
    for (unsigned reg = 0; reg < kCRegisters; ++reg) {
      Element at = cElement(lane, reg);
      c[at.row][at.col] = warp.mmaC[lane][reg];
    }
  }
  float d[kM][kN];
  for (unsigned i = 0; i < kM; ++i)
    for (unsigned j = 0; j < kN; ++j) {
      float sum = 0.0f;
      for (unsigned k = 0; k < kK; ++k)
        sum += a[i][k] * b[k][j];
      d[i][j] = sum + c[i][j];
    }
  for (unsigned lane = 0; lane < sim::kWarpSize; ++lane)
    for (unsigned reg = 0; reg < kCRegisters; ++reg) {
      Element at = cElement(lane, reg);
      warp.mmaD[lane][reg] = d[at.row][at.col];
    }
}

const char *mmaTypeName(int32_t type) {
  return type == static_cast<int32_t>(sim::MmaType::BF16) ? "bf16" : "f16";
}

struct WorkgroupBuffer {
  std::unique_ptr<unsigned char, decltype(&std::free)> data{nullptr,
                                                            &std::free};
  int64_t capacity = 0;
  int64_t bytes = 0;
  /// The CTA that last asked for it: the first ask in a CTA poisons it.
  uint64_t cta = 0;
};

class Simulator {
public:
  Schedule schedule = Schedule::Forward;
  std::string run(const std::string &kernel, Dim3 grid, Dim3 block,
                  const std::function<void()> &body);

  Thread &current() { return *threads[currentIndex]; }
  Dim3 blockId, grid, block;

  /// Waits at barrier `site`; returns whether any thread arrived with
  /// `predicate` set.
  bool barrier(int32_t site, bool predicate = false);
  uint64_t shuffle(uint32_t bits, int32_t offset, int32_t width, int32_t mode,
                   int32_t site);
  void mmaM16N8K16(const uint32_t a[4], const uint32_t b[2], const float c[4],
                   float d[4], int32_t type, int32_t site);
  void *workgroup(int32_t index, int64_t bytes);
  /// A memory fault (signal) in the running thread: ends the launch.
  [[noreturn]] void fault(int signal, const void *address);
  /// Whether a simulated thread (not the scheduler) is running.
  bool inThread = false;

private:
  static void threadEntry();
  bool runnable(const Thread &thread) const;
  std::string runCTA();
  void exitThread();
  /// Ends the launch with a message (printf-style, about the current
  /// thread): back to the scheduler, never to return. Formatted into a
  /// fixed buffer: the thread's frames are abandoned, and anything they
  /// allocated would leak.
  [[noreturn]] __attribute__((format(printf, 2, 3))) void
  fail(const char *format, ...);
  /// Back to the scheduler until the current thread may go on.
  void yield();
  /// The current lane reaches warp collective `kind` #`site`: fails unless
  /// the lanes that wait already are at the same one, and none exited.
  Warp &arrive(Wait kind, int32_t site);
  /// Counts the current lane in; unless it is the last one, waits until the
  /// last one (which computes every lane's result) ends the collective.
  /// Returns whether the current lane is the last.
  bool waitForWarp(Warp &warp, Wait kind, int32_t site);
  /// The last lane ends the warp's collective.
  void releaseWarp(Warp &warp);
  std::string where(const Thread &thread) const;
  std::string deadlock() const;

  std::string kernel;
  const std::function<void()> *body = nullptr;
  std::vector<std::unique_ptr<Thread>> threads;
  std::vector<std::unique_ptr<Stack>> stacks;
  size_t currentIndex = 0;
  Context scheduler;
  /// Set by fail(), for the scheduler to report.
  bool failed = false;
  char failure[512] = {};

  // The running CTA.
  uint64_t ctaSerial = 0;
  unsigned exited = 0;
  unsigned barrierArrived = 0;
  int32_t barrierSite = 0;
  uint64_t barrierGeneration = 0;
  /// The OR of the predicates of the barrier being filled, and of the last
  /// completed one (what its threads return: none of them can arrive at
  /// the next barrier before all have resumed from this one).
  bool barrierAny = false, completedAny = false;
  std::vector<Warp> warps;
  std::vector<WorkgroupBuffer> buffers;
};

Simulator *active = nullptr;

/// Memory faults in kernel code end the launch with an error naming the
/// thread, like a GPU's illegal-address error, rather than the process.
/// The handler runs on its own stack (a thread's may have overflowed) and
/// leaves by switching to the scheduler, never returning; SA_NODEFER keeps
/// the signal unblocked after that.
class FaultHandlers {
public:
  FaultHandlers() {
    alternate.resize(kAlternateStackBytes);
    stack_t stack = {};
    stack.ss_sp = alternate.data();
    stack.ss_size = alternate.size();
    sigaltstack(&stack, &previousStack);
    struct sigaction action = {};
    action.sa_sigaction = &FaultHandlers::handle;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previousSegv);
    sigaction(SIGBUS, &action, &previousBus);
  }
  ~FaultHandlers() {
    sigaction(SIGSEGV, &previousSegv, nullptr);
    sigaction(SIGBUS, &previousBus, nullptr);
    sigaltstack(&previousStack, nullptr);
  }
  FaultHandlers(const FaultHandlers &) = delete;
  FaultHandlers &operator=(const FaultHandlers &) = delete;

private:
  static constexpr size_t kAlternateStackBytes = 64 * 1024;

  static void handle(int signal, siginfo_t *info, void *) {
    if (active && active->inThread)
      active->fault(signal, info->si_addr);
    // Not a simulated thread's: the default action, on return (the
    // faulting instruction runs again).
    ::signal(signal, SIG_DFL);
  }

  std::vector<char> alternate;
  stack_t previousStack = {};
  struct sigaction previousSegv = {}, previousBus = {};
};

Simulator &activeSimulator(const char *hook) {
  if (!active) {
    std::fprintf(stderr,
                 "fake libcuda: %s called outside a simulated launch (a sim "
                 "kernel must be launched with cuLaunchKernel)\n",
                 hook);
    std::abort();
  }
  return *active;
}

std::string dims(Dim3 d) {
  return "(" + std::to_string(d.x) + ", " + std::to_string(d.y) + ", " +
         std::to_string(d.z) + ")";
}

unsigned component(Dim3 d, int32_t dim) {
  return dim == 0 ? d.x : dim == 1 ? d.y : d.z;
}

std::string Simulator::where(const Thread &thread) const {
  return "thread " + dims(thread.id);
}

void Simulator::threadEntry() {
  finishSwitchToThread(nullptr);
  Simulator &s = *active;
  (*s.body)();
  s.exitThread();
  switchContext(s.current().context, s.scheduler, /*leaving=*/true);
  // A finished thread is never resumed.
  std::abort();
}

void Simulator::fail(const char *format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(failure, sizeof(failure), format, args);
  va_end(args);
  failed = true;
  switchContext(current().context, scheduler, /*leaving=*/true);
  std::abort();
}

void Simulator::fault(int signal, const void *address) {
  auto at = reinterpret_cast<uintptr_t>(address);
  auto bottom = reinterpret_cast<uintptr_t>(current().context.stackBottom);
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (at < bottom && at + page >= bottom)
    fail("overflows its %zu-byte stack (%s at %p)", kStackBytes,
         signal == SIGSEGV ? "SIGSEGV" : "SIGBUS", address);
  const char *name = signal == SIGSEGV ? "SIGSEGV" : "SIGBUS";
  // The kernel reports no address for a non-canonical one.
  if (!address)
    fail("makes an illegal memory access (%s, a wild address): out of "
         "bounds, or an address read from memory nobody wrote?",
         name);
  fail("makes an illegal memory access at %p (%s): out of bounds, or an "
       "address read from memory nobody wrote?",
       address, name);
}

void Simulator::yield() {
  switchContext(current().context, scheduler);
  current().wait = Wait::None;
}

bool Simulator::runnable(const Thread &thread) const {
  switch (thread.wait) {
  case Wait::None:
    return true;
  case Wait::Barrier:
    return barrierGeneration != thread.generation;
  case Wait::Shuffle:
  case Wait::Mma:
    return warps[thread.linear / sim::kWarpSize].generation !=
           thread.generation;
  case Wait::Exited:
    return false;
  }
  return false;
}

void Simulator::exitThread() {
  Thread &thread = current();
  Warp &warp = warps[thread.linear / sim::kWarpSize];
  if (barrierArrived > 0)
    fail("exits while %u threads of its CTA wait at barrier #%d (a barrier "
         "in divergent control flow?)",
         barrierArrived, barrierSite);
  if (warp.arrived > 0)
    fail("exits while %u lanes of its warp wait at %s #%d", warp.arrived,
         collectiveName(warp.collective), warp.site);
  thread.wait = Wait::Exited;
  ++exited;
  ++warp.exited;
}

bool Simulator::barrier(int32_t site, bool predicate) {
  Thread &thread = current();
  if (exited > 0)
    fail("reaches barrier #%d after %u threads of its CTA exited (they "
         "never will)",
         site, exited);
  if (barrierArrived == 0)
    barrierSite = site;
  else if (barrierSite != site)
    fail("reaches barrier #%d while %u threads of its CTA wait at barrier "
         "#%d (divergent barriers)",
         site, barrierArrived, barrierSite);
  barrierAny = barrierAny || predicate;
  if (++barrierArrived == threads.size()) {
    // The last to arrive releases the others and goes on.
    barrierArrived = 0;
    ++barrierGeneration;
    completedAny = barrierAny;
    barrierAny = false;
    return completedAny;
  }
  thread.wait = Wait::Barrier;
  thread.site = site;
  thread.generation = barrierGeneration;
  yield();
  return completedAny;
}

Warp &Simulator::arrive(Wait kind, int32_t site) {
  Warp &warp = warps[current().linear / sim::kWarpSize];
  const char *name = collectiveName(kind);
  if (warp.exited > 0)
    fail("reaches %s #%d after %u lanes of its warp exited", name, site,
         warp.exited);
  if (warp.arrived == 0) {
    warp.collective = kind;
    warp.site = site;
  } else if (warp.collective != kind || warp.site != site) {
    fail("reaches %s #%d while %u lanes of its warp wait at %s #%d "
         "(divergent %s)",
         name, site, warp.arrived, collectiveName(warp.collective), warp.site,
         kind == Wait::Shuffle && warp.collective == Wait::Shuffle
             ? "shuffles"
             : "warp collectives");
  }
  return warp;
}

bool Simulator::waitForWarp(Warp &warp, Wait kind, int32_t site) {
  if (++warp.arrived == warp.lanes)
    return true;
  Thread &thread = current();
  thread.wait = kind;
  thread.site = site;
  thread.generation = warp.generation;
  yield();
  return false;
}

void Simulator::releaseWarp(Warp &warp) {
  warp.arrived = 0;
  ++warp.generation;
}

uint64_t Simulator::shuffle(uint32_t bits, int32_t offset, int32_t width,
                            int32_t mode, int32_t site) {
  Warp &warp = arrive(Wait::Shuffle, site);
  unsigned lane = current().linear % sim::kWarpSize;
  warp.bits[lane] = bits;
  warp.offset[lane] = offset;
  warp.width[lane] = width;
  warp.mode[lane] = mode;
  if (!waitForWarp(warp, Wait::Shuffle, site))
    return warp.result[lane];
  // The last lane to arrive computes every lane's result.
  for (unsigned l = 0; l < warp.lanes; ++l) {
    int64_t source = l;
    switch (static_cast<sim::ShuffleMode>(warp.mode[l])) {
    case sim::ShuffleMode::Xor:
      source = l ^ static_cast<uint32_t>(warp.offset[l]);
      break;
    case sim::ShuffleMode::Up:
      source = int64_t(l) - warp.offset[l];
      break;
    case sim::ShuffleMode::Down:
      source = int64_t(l) + warp.offset[l];
      break;
    case sim::ShuffleMode::Idx:
      source = warp.offset[l];
      break;
    default:
      fail("shuffle #%d has unknown mode %d", site, warp.mode[l]);
    }
    bool valid = source >= 0 && source < warp.width[l];
    if (valid && source >= warp.lanes)
      fail("shuffle #%d: lane %u reads lane %lld, which its warp of %u "
           "threads does not have",
           site, l, static_cast<long long>(source), warp.lanes);
    warp.result[l] = valid ? (uint64_t(1) << 32) | warp.bits[source]
                           : uint64_t(warp.bits[l]);
  }
  releaseWarp(warp);
  return warp.result[lane];
}

void Simulator::mmaM16N8K16(const uint32_t a[4], const uint32_t b[2],
                            const float c[4], float d[4], int32_t type,
                            int32_t site) {
  Warp &own = warps[current().linear / sim::kWarpSize];
  if (own.lanes != static_cast<unsigned>(sim::kWarpSize))
    fail("reaches mma #%d in a warp of %u threads; mma.sync needs all %d "
         "lanes",
         site, own.lanes, sim::kWarpSize);
  if (type != static_cast<int32_t>(sim::MmaType::BF16) &&
      type != static_cast<int32_t>(sim::MmaType::F16))
    fail("reaches mma #%d with unknown multiplicand type %d", site, type);
  Warp &warp = arrive(Wait::Mma, site);
  if (warp.arrived == 0)
    warp.mmaType = type;
  else if (warp.mmaType != type)
    fail("reaches mma #%d with %s multiplicands while %u lanes of its warp "
         "wait there with %s",
         site, mmaTypeName(type), warp.arrived, mmaTypeName(warp.mmaType));
  unsigned lane = current().linear % sim::kWarpSize;
  std::memcpy(warp.mmaA[lane], a, sizeof(warp.mmaA[lane]));
  std::memcpy(warp.mmaB[lane], b, sizeof(warp.mmaB[lane]));
  std::memcpy(warp.mmaC[lane], c, sizeof(warp.mmaC[lane]));
  if (waitForWarp(warp, Wait::Mma, site)) {
    // The last lane to arrive computes every lane's result.
    multiplyM16N8K16(warp);
    releaseWarp(warp);
  }
  std::memcpy(d, warp.mmaD[lane], sizeof(warp.mmaD[lane]));
}

void *Simulator::workgroup(int32_t index, int64_t bytes) {
  if (index < 0 || bytes < 0)
    fail("asks for workgroup buffer #%d of %lld bytes", index,
         static_cast<long long>(bytes));
  if (static_cast<size_t>(index) >= buffers.size())
    buffers.resize(index + 1);
  WorkgroupBuffer &buffer = buffers[index];
  if (buffer.cta == ctaSerial) {
    if (buffer.bytes != bytes)
      fail("asks for workgroup buffer #%d with %lld bytes, another thread "
           "with %lld",
           index, static_cast<long long>(bytes),
           static_cast<long long>(buffer.bytes));
    return buffer.data.get();
  }
  int64_t total = bytes;
  for (const WorkgroupBuffer &other : buffers)
    if (&other != &buffer && other.cta == ctaSerial)
      total += other.bytes;
  if (total > kStaticSharedBytes)
    fail("its CTA uses %lld bytes of workgroup memory; a CTA has %lld of "
         "static shared memory",
         static_cast<long long>(total),
         static_cast<long long>(kStaticSharedBytes));
  if (buffer.capacity < bytes || !buffer.data) {
    size_t rounded = (static_cast<size_t>(bytes) + 63) / 64 * 64 + 64;
    buffer.data.reset(
        static_cast<unsigned char *>(std::aligned_alloc(64, rounded)));
    buffer.capacity = static_cast<int64_t>(rounded);
  }
  std::memset(buffer.data.get(), 0xff, static_cast<size_t>(bytes));
  buffer.bytes = bytes;
  buffer.cta = ctaSerial;
  return buffer.data.get();
}

std::string Simulator::deadlock() const {
  std::string text = "kernel '" + kernel + "', CTA " + dims(blockId) +
                     ": deadlock, no thread can go on:";
  // Runs of consecutive threads waiting at the same place, one per line.
  size_t i = 0;
  while (i < threads.size()) {
    const Thread &first = *threads[i];
    size_t j = i + 1;
    while (j < threads.size() && threads[j]->wait == first.wait &&
           threads[j]->site == first.site)
      ++j;
    std::string what = first.wait == Wait::Barrier   ? "wait at barrier #"
                       : first.wait == Wait::Shuffle ? "wait at shuffle #"
                       : first.wait == Wait::Mma     ? "wait at mma #"
                                                     : "";
    if (!what.empty())
      text += "\n  threads " + std::to_string(first.linear) + ".." +
              std::to_string(threads[j - 1]->linear) + " " + what +
              std::to_string(first.site);
    else
      text += "\n  threads " + std::to_string(first.linear) + ".." +
              std::to_string(threads[j - 1]->linear) + " exited";
    i = j;
  }
  return text;
}

std::string Simulator::runCTA() {
  ++ctaSerial;
  exited = 0;
  barrierArrived = 0;
  barrierAny = false;
  for (Warp &warp : warps) {
    warp.arrived = 0;
    warp.exited = 0;
  }
  for (size_t i = 0; i < threads.size(); ++i) {
    threads[i]->wait = Wait::None;
    startContext(threads[i]->context, *stacks[i], &Simulator::threadEntry);
  }
  // A warp runs as far as it can (its lanes interleave at shuffles) before
  // the next one starts: warps drift apart as far as barriers let them, so
  // a missing barrier between warps shows.
  size_t numWarps = warps.size();
  while (true) {
    bool progressed = false, finished = true;
    for (size_t w = 0; w < numWarps; ++w) {
      size_t warp = schedule == Schedule::Forward ? w : numWarps - 1 - w;
      size_t lanes = warps[warp].lanes;
      for (bool warpProgressed = true; warpProgressed;) {
        warpProgressed = false;
        for (size_t l = 0; l < lanes; ++l) {
          currentIndex = warp * sim::kWarpSize +
                         (schedule == Schedule::Forward ? l : lanes - 1 - l);
          Thread &thread = *threads[currentIndex];
          if (thread.wait == Wait::Exited)
            continue;
          finished = false;
          if (!runnable(thread))
            continue;
          inThread = true;
          switchContext(scheduler, thread.context);
          inThread = false;
          if (failed)
            return "kernel '" + kernel + "', CTA " + dims(blockId) + ", " +
                   where(thread) + ": " + failure;
          warpProgressed = progressed = true;
        }
      }
    }
    if (finished)
      return "";
    if (!progressed)
      return deadlock();
  }
}

std::string Simulator::run(const std::string &name, Dim3 gridDims,
                           Dim3 blockDims, const std::function<void()> &fn) {
  kernel = name;
  schedulerContext = &scheduler;
  body = &fn;
  grid = gridDims;
  block = blockDims;
  failed = false;
  size_t count = size_t(block.x) * block.y * block.z;
  if (count == 0 || count > 1024)
    return "kernel '" + kernel + "': block " + dims(block) +
           " must have 1 to 1024 threads";
  while (stacks.size() < count)
    stacks.push_back(std::make_unique<Stack>());
  threads.clear();
  for (unsigned z = 0; z < block.z; ++z)
    for (unsigned y = 0; y < block.y; ++y)
      for (unsigned x = 0; x < block.x; ++x) {
        auto thread = std::make_unique<Thread>();
        thread->id = {x, y, z};
        thread->linear = static_cast<unsigned>(threads.size());
        threads.push_back(std::move(thread));
      }
  warps.assign((count + sim::kWarpSize - 1) / sim::kWarpSize, Warp());
  for (size_t w = 0; w < warps.size(); ++w)
    warps[w].lanes = static_cast<unsigned>(
        std::min<size_t>(sim::kWarpSize, count - w * sim::kWarpSize));
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        blockId = {x, y, z};
        if (std::string failure = runCTA(); !failure.empty())
          return failure;
      }
  return "";
}

} // namespace

std::string kvcache::fakecuda::simulateLaunch(
    const std::string &kernel, Dim3 grid, Dim3 block,
    const std::function<void()> &thread, Schedule schedule) {
  // Stacks and buffers are kept for the next launch.
  static Simulator *simulator = new Simulator;
  active = simulator;
  simulator->schedule = schedule;
  FaultHandlers handlers;
  std::string result = simulator->run(kernel, grid, block, thread);
  active = nullptr;
  return result;
}

int64_t kvcache::fakecuda::simThreadId(int32_t dim) {
  return component(activeSimulator("kvcache_sim_thread_id").current().id, dim);
}
int64_t kvcache::fakecuda::simBlockId(int32_t dim) {
  return component(activeSimulator("kvcache_sim_block_id").blockId, dim);
}
int64_t kvcache::fakecuda::simBlockDim(int32_t dim) {
  return component(activeSimulator("kvcache_sim_block_dim").block, dim);
}
int64_t kvcache::fakecuda::simGridDim(int32_t dim) {
  return component(activeSimulator("kvcache_sim_grid_dim").grid, dim);
}
void kvcache::fakecuda::simBarrier(int32_t site) {
  activeSimulator("kvcache_sim_barrier").barrier(site);
}
int32_t kvcache::fakecuda::simBarrierOr(int32_t predicate, int32_t site) {
  return activeSimulator("kvcache_sim_barrier_or").barrier(site, predicate != 0)
             ? 1
             : 0;
}
uint64_t kvcache::fakecuda::simShuffle(uint32_t bits, int32_t offset,
                                       int32_t width, int32_t mode,
                                       int32_t site) {
  return activeSimulator("kvcache_sim_shuffle")
      .shuffle(bits, offset, width, mode, site);
}
void kvcache::fakecuda::simMmaM16N8K16(const uint32_t a[4], const uint32_t b[2],
                                       const float c[4], float d[4],
                                       int32_t type, int32_t site) {
  activeSimulator("kvcache_sim_mma_m16n8k16")
      .mmaM16N8K16(a, b, c, d, type, site);
}
void *kvcache::fakecuda::simWorkgroup(int32_t index, int64_t bytes) {
  return activeSimulator("kvcache_sim_workgroup").workgroup(index, bytes);
}
