//===- Options.h - kvcache-run's command line -------------------*- C++ -*-===//
//
// Parses argv into the options of one of kvcache-run's modes (run or
// benchmark a bundle, measure copy bandwidth, generate inputs). Every
// mistake is an InputError that names the option.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUN_OPTIONS_H
#define KVCACHE_RUN_OPTIONS_H

#include "kvcache/Runtime/InputGenerator.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kvcache::run {

/// How --bench times a function (KERNELS.md, "Benchmark protocol").
struct BenchOptions {
  /// Timed runs, each after an L2 flush.
  int64_t repeat = 30;
  /// Untimed runs before them.
  int64_t warmup = 3;
  /// --bench-json: where the raw timings go.
  std::optional<std::string> jsonPath;
  /// --kv-bytes: the K/V bytes one call reads, for GB/s.
  std::optional<uint64_t> kvBytes;
  /// --copy-bandwidth in a bench run: also measure a device-to-device copy
  /// of this many bytes.
  std::optional<uint64_t> copyBytes;
};

/// The CUDA ordinal of a --device value ("cuda" is 0, "cuda:N" is N), or
/// nothing for "cpu"; throws InputError for anything else.
std::optional<int> cudaOrdinal(const std::string &device);

struct RunOptions {
  std::string bundleDir;
  /// The function to call; may be omitted when the bundle has one.
  std::optional<std::string> entry;
  std::string inputsDir;
  /// Empty only with --bench, which need not write outputs.
  std::string outputsDir;
  /// --write: the arguments to write to outputsDir; empty for all.
  std::vector<std::string> writeOnly;
  /// "cpu", "cuda" or "cuda:N"; the bundle's kind of target unless given.
  std::optional<std::string> device;
  /// --verbose: say where each argument was placed.
  bool verbose = false;
  /// --no-cache-checks: skip the cache inputs' consistency checks (batch
  /// sizes, page ids, row offsets), binding the arrays as a serving engine
  /// does, so that only the bundle's own guards stand (to test them).
  bool noCacheChecks = false;
  bool bench = false;
  BenchOptions benchOptions;
};

/// --copy-bandwidth without a bundle: the machine's device-to-device copy
/// bandwidth, read + write counted, as KERNELS.md's protocol asks.
struct CopyBandwidthOptions {
  /// "cuda" or "cuda:N".
  std::string device = "cuda";
  /// Bytes per buffer (source and destination each).
  uint64_t bytes = kDefaultCopyBytes;
  int64_t repeat = 20;
  int64_t warmup = 2;
  std::optional<std::string> jsonPath;

  static constexpr uint64_t kDefaultCopyBytes = uint64_t(2) << 30;
};

struct GenerateOptions {
  std::string outputDir;
  runtime::GeneratorOptions generator;
};

struct CommandLine {
  enum class Mode { Help, Run, Generate, CopyBandwidth } mode = Mode::Help;
  RunOptions run;
  GenerateOptions generate;
  CopyBandwidthOptions copyBandwidth;
};

/// Throws runtime::InputError for a malformed command line.
CommandLine parseCommandLine(int argc, char **argv);

/// The --help text.
const char *usage();

} // namespace kvcache::run

#endif // KVCACHE_RUN_OPTIONS_H
