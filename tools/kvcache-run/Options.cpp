//===- Options.cpp - kvcache-run's command line ---------------------------===//

#include "Options.h"

#include "kvcache/Runtime/Error.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <vector>

namespace kvcache::run {

using runtime::InputError;

std::optional<int> cudaOrdinal(const std::string &device) {
  if (device == "cpu")
    return std::nullopt;
  if (device == "cuda")
    return 0;
  bool digits = device.size() > 5 && device.compare(0, 5, "cuda:") == 0 &&
                device.find_first_not_of("0123456789", 5) == std::string::npos;
  if (!digits)
    throw InputError("--device must be cpu, cuda or cuda:N, got '" + device +
                     "'");
  // Any ordinal the driver might have; the driver says how many it has.
  errno = 0;
  unsigned long long ordinal = std::strtoull(device.c_str() + 5, nullptr, 10);
  if (errno == ERANGE || ordinal > 0x7fffffffull)
    throw InputError("--device '" + device +
                     "': a CUDA device ordinal is at most 2147483647");
  return static_cast<int>(ordinal);
}

const char *usage() {
  return R"(usage:
  kvcache-run DIR [--entry NAME] --inputs IN --outputs OUT
      [--write NAME,...] [--device cpu|cuda|cuda:N] [--verbose]
      [--no-cache-checks]
      Runs function NAME of the compiled bundle in DIR (manifest.json and its
      library). Reads IN/<argument>.npy for every argument of the function,
      checks dtypes, ranks, static dims and the cache inputs' consistency,
      calls the entry point and writes every memref argument (or only those
      --write names) to OUT/<argument>.npy. --entry may be omitted when the bundle has one
      function. --device defaults to the bundle's kind of target: cpu for a
      "cpu" bundle, cuda (device 0) for a GPU bundle ("sm_90a", or "sim",
      whose kernels only the stand-in libcuda of build/fake-cuda runs). GPU
      bundles run through libcuda.so.1: arguments placed on the device are
      copied there and back, host-placed ones stay in host memory, workspace
      arguments are zero-filled device buffers (never read from IN).
      --verbose prints the device and where each argument was placed.
      A layer or page id out of range that the bundle's own guards find
      fails the call (exit 1, with the fault), after OUT is written with
      what the call left. --no-cache-checks skips the cache inputs'
      consistency checks, so that only those guards stand.

  kvcache-run DIR --bench [--device cuda|cuda:N] [--entry NAME] --inputs IN
      [--outputs OUT] [--repeat N] [--warmup N] [--kv-bytes BYTES]
      [--copy-bandwidth [BYTES]] [--bench-json FILE] [--verbose]
      Benchmarks a GPU bundle's function: N warm-up calls (default 3), then
      N timed calls (default 30; the protocol asks for >= 20), each after an
      L2 flush (a memset of twice the device's L2). The kernel time is
      CUDA events on the runtime's stream around a stream-ordered call
      (its waits skipped), queued right after the flush as PyTorch
      benchmarks do, so host costs do not count; N more calls after an
      idle wait time the whole entry call (host clock, launches and the
      final wait included).
      Prints medians; --kv-bytes adds GB/s = BYTES / median kernel time;
      --copy-bandwidth adds the copy bandwidth below; --bench-json writes
      every raw timing.

  kvcache-run --copy-bandwidth [BYTES] [--device cuda|cuda:N] [--repeat N]
      [--bench-json FILE]
      Measures a device-to-device copy of BYTES (default 2G; K, M, G
      suffixes are powers of 1024), read + write counted, median of N runs
      (default 20), and prints GB/s.

  kvcache-run --generate OUTDIR (--context-lengths L1,L2,... | --batch B
      --context-length L) --prompt-length N --num-q-heads H --num-kv-heads K
      --head-dim D --page-size P --num-layers NL [--value-dim V]
      [--dtype f32|f16|bf16|f8E4M3FN] [--activation-dtype f32|f16|bf16]
      [--granularity G] [--seed S] [--total-pages T] [--num-sms S]
      [--steps-remaining R]
      Writes random inputs for one attention step: kv_blocks (its pages
      shuffled), cache_lengths, lookup_table, max_lengths, kv_scales (an
      f8E4M3FN cache), attention_dispatch_metadata, input_row_offsets, q,
      key, value and out. --value-dim V makes an MLA cache (kv_dim 1,
      --num-kv-heads 1): key holds the latent rows, there is no value, out
      has V lanes, and mla_num_partitions follows the dispatch metadata
      (3 entries). Context lengths are the tokens already cached per
      request; each request adds N new tokens. --total-pages defaults to the
      pages the batch needs. --dtype is the cache's; q, key, value and out
      have it too, except on an f8E4M3FN cache, whose activations are
      --activation-dtype (default f32) and whose pool holds random values
      quantised with their kv_scales, one per G lanes (default 128, or
      head_dim when 128 does not divide it).

dtypes: f32 <f4, f16 <f2, bf16 <u2 (uint16 bit patterns: NumPy has no
bfloat16), f8E4M3FN |u1 (bit patterns), i32 <i4 or <u4, i64 and index <i8.
Scalars are 0-d arrays.

exit codes: 0 success, 1 bad input or usage, 2 bundle, device or internal
error (a failed launch names its kernel), 77 unsupported here (no CUDA
device or driver, a device the bundle's chip cannot run on, an unknown
bundle target).
)";
}

namespace {

enum class Option {
  Entry,
  Inputs,
  Outputs,
  Write,
  Device,
  Verbose,
  NoCacheChecks,
  Bench,
  Repeat,
  Warmup,
  BenchJson,
  KvBytes,
  CopyBandwidth,
  Generate,
  Batch,
  ContextLengths,
  ContextLength,
  PromptLength,
  NumQHeads,
  NumKvHeads,
  HeadDim,
  ValueDim,
  PageSize,
  NumLayers,
  DType,
  ActivationDType,
  Granularity,
  Seed,
  TotalPages,
  NumSms,
  StepsRemaining,
};

/// Whether an option takes a value: always, never (a flag), or when the
/// next argument is a number (--copy-bandwidth's byte count).
enum class Value { Required, None, OptionalNumber };

struct OptionSpec {
  const char *name;
  Option option;
  bool generateOnly;
  Value value = Value::Required;
};

constexpr OptionSpec kOptions[] = {
    {"entry", Option::Entry, false},
    {"inputs", Option::Inputs, false},
    {"outputs", Option::Outputs, false},
    {"write", Option::Write, false},
    {"device", Option::Device, false},
    {"verbose", Option::Verbose, false, Value::None},
    {"no-cache-checks", Option::NoCacheChecks, false, Value::None},
    {"bench", Option::Bench, false, Value::None},
    {"repeat", Option::Repeat, false},
    {"warmup", Option::Warmup, false},
    {"bench-json", Option::BenchJson, false},
    {"kv-bytes", Option::KvBytes, false},
    {"copy-bandwidth", Option::CopyBandwidth, false, Value::OptionalNumber},
    {"generate", Option::Generate, true},
    {"batch", Option::Batch, true},
    {"context-lengths", Option::ContextLengths, true},
    {"context-length", Option::ContextLength, true},
    {"prompt-length", Option::PromptLength, true},
    {"num-q-heads", Option::NumQHeads, true},
    {"num-kv-heads", Option::NumKvHeads, true},
    {"head-dim", Option::HeadDim, true},
    {"value-dim", Option::ValueDim, true},
    {"page-size", Option::PageSize, true},
    {"num-layers", Option::NumLayers, true},
    {"dtype", Option::DType, true},
    {"activation-dtype", Option::ActivationDType, true},
    {"granularity", Option::Granularity, true},
    {"seed", Option::Seed, true},
    {"total-pages", Option::TotalPages, true},
    {"num-sms", Option::NumSms, true},
    {"steps-remaining", Option::StepsRemaining, true},
};

const OptionSpec &specOf(Option option) {
  for (const OptionSpec &spec : kOptions)
    if (spec.option == option)
      return spec;
  throw std::logic_error("unknown option");
}

std::string flag(Option option) {
  return std::string("--") + specOf(option).name;
}

int64_t parseInteger(Option option, const std::string &text) {
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE ||
      !(text[0] == '-' || (text[0] >= '0' && text[0] <= '9')))
    throw InputError(flag(option) + ": expected an integer, got '" + text +
                     "'");
  return value;
}

uint64_t parseUnsigned(Option option, const std::string &text) {
  errno = 0;
  char *end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || text[0] < '0' ||
      text[0] > '9')
    throw InputError(flag(option) + ": expected a non-negative integer, got '" +
                     text + "'");
  return value;
}

/// A byte count: digits with an optional K, M, G or T suffix (powers of
/// 1024).
uint64_t parseBytes(Option option, const std::string &text) {
  std::string digits = text;
  uint64_t scale = 1;
  if (!digits.empty()) {
    switch (digits.back()) {
    case 'K':
      scale = uint64_t(1) << 10;
      break;
    case 'M':
      scale = uint64_t(1) << 20;
      break;
    case 'G':
      scale = uint64_t(1) << 30;
      break;
    case 'T':
      scale = uint64_t(1) << 40;
      break;
    }
    if (scale != 1)
      digits.pop_back();
  }
  errno = 0;
  char *end = nullptr;
  unsigned long long value = std::strtoull(digits.c_str(), &end, 10);
  if (digits.empty() || *end != '\0' || errno == ERANGE || digits[0] < '0' ||
      digits[0] > '9' || value > UINT64_MAX / scale)
    throw InputError(flag(option) +
                     ": expected a byte count (2147483648, 512M, 2G), got '" +
                     text + "'");
  return value * scale;
}

/// A count of runs in [minimum, 1000000].
int64_t parseCount(Option option, const std::string &text, int64_t minimum) {
  int64_t value = parseInteger(option, text);
  if (value < minimum || value > 1000000)
    throw InputError(flag(option) + " must be in " + std::to_string(minimum) +
                     "..1000000, got " + text);
  return value;
}

std::vector<int64_t> parseIntegerList(Option option, const std::string &text) {
  std::vector<int64_t> values;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string item = text.substr(start, comma - start);
    if (item.empty())
      throw InputError(flag(option) +
                       ": expected comma-separated integers, got '" + text +
                       "'");
    values.push_back(parseInteger(option, item));
    if (comma == std::string::npos)
      return values;
    start = comma + 1;
  }
}

/// The options given, by option, and the positional arguments.
struct RawCommandLine {
  std::map<Option, std::string> values;
  std::vector<std::string> positionals;
  bool help = false;
};

RawCommandLine tokenize(int argc, char **argv) {
  RawCommandLine raw;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      raw.help = true;
      continue;
    }
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0 || arg == "--") {
      if (!arg.empty() && arg[0] == '-' && arg != "-")
        throw InputError("unknown option '" + arg + "'");
      raw.positionals.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t equals = name.find('='); equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    }
    const OptionSpec *spec = nullptr;
    for (const OptionSpec &candidate : kOptions)
      if (name == candidate.name)
        spec = &candidate;
    if (!spec)
      throw InputError("unknown option '--" + name + "'");
    if (spec->value == Value::None) {
      if (value)
        throw InputError("--" + name + " takes no value");
      value = "";
    } else if (spec->value == Value::OptionalNumber) {
      if (!value)
        value = i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9'
                    ? argv[++i]
                    : "";
    } else if (!value) {
      if (i + 1 >= argc)
        throw InputError("--" + name + " needs a value");
      value = argv[++i];
    }
    if (raw.values.count(spec->option))
      throw InputError("--" + name + " is given twice");
    raw.values[spec->option] = *value;
  }
  return raw;
}

void rejectGenerateOnly(const RawCommandLine &raw) {
  for (const auto &[option, value] : raw.values)
    if (specOf(option).generateOnly)
      throw InputError(flag(option) + " is only valid with --generate");
}

const std::string *find(const RawCommandLine &raw, Option option) {
  auto it = raw.values.find(option);
  return it == raw.values.end() ? nullptr : &it->second;
}

/// --device: cpu, cuda or cuda:N. Checked here so that a misspelling is a
/// usage error whatever the bundle.
std::string deviceOption(const std::string &device) {
  cudaOrdinal(device); // Throws when malformed.
  return device;
}

/// The options of a timed run: --repeat, --warmup, --bench-json.
void timingOptions(const RawCommandLine &raw, int64_t &repeat, int64_t &warmup,
                   std::optional<std::string> &jsonPath) {
  if (const std::string *value = find(raw, Option::Repeat))
    repeat = parseCount(Option::Repeat, *value, 1);
  if (const std::string *value = find(raw, Option::Warmup))
    warmup = parseCount(Option::Warmup, *value, 0);
  if (const std::string *value = find(raw, Option::BenchJson)) {
    if (value->empty())
      throw InputError("--bench-json needs a file name");
    jsonPath = *value;
  }
}

RunOptions runOptions(const RawCommandLine &raw) {
  rejectGenerateOnly(raw);
  RunOptions options;
  options.bench = raw.values.count(Option::Bench) != 0;
  if (!options.bench)
    for (Option option : {Option::Repeat, Option::Warmup, Option::BenchJson,
                          Option::KvBytes, Option::CopyBandwidth})
      if (raw.values.count(option))
        throw InputError(flag(option) + " is only valid with --bench" +
                         (option == Option::CopyBandwidth
                              ? std::string(" or without a bundle")
                              : std::string()));
  if (raw.positionals.size() != 1)
    throw InputError(raw.positionals.empty()
                         ? "missing the bundle directory"
                         : "expected one bundle directory, got " +
                               std::to_string(raw.positionals.size()) +
                               " positional arguments");
  options.bundleDir = raw.positionals[0];
  auto required = [&](Option option) {
    const std::string *value = find(raw, option);
    if (!value)
      throw InputError("missing " + flag(option));
    return *value;
  };
  options.inputsDir = required(Option::Inputs);
  if (options.bench) {
    if (const std::string *value = find(raw, Option::Outputs))
      options.outputsDir = *value;
  } else {
    options.outputsDir = required(Option::Outputs);
  }
  if (const std::string *value = find(raw, Option::Write)) {
    // Only these arguments are written back: a run over a huge pool need
    // not copy it to disk again.
    size_t start = 0;
    while (start <= value->size()) {
      size_t end = value->find(',', start);
      if (end == std::string::npos)
        end = value->size();
      if (end == start)
        throw InputError("--write needs comma-separated argument names, got '" +
                         *value + "'");
      options.writeOnly.push_back(value->substr(start, end - start));
      start = end + 1;
    }
  }
  if (const std::string *value = find(raw, Option::Entry))
    options.entry = *value;
  if (const std::string *value = find(raw, Option::Device))
    options.device = deviceOption(*value);
  options.verbose = raw.values.count(Option::Verbose) != 0;
  options.noCacheChecks = raw.values.count(Option::NoCacheChecks) != 0;
  if (options.bench) {
    BenchOptions &bench = options.benchOptions;
    timingOptions(raw, bench.repeat, bench.warmup, bench.jsonPath);
    if (const std::string *value = find(raw, Option::KvBytes))
      bench.kvBytes = parseBytes(Option::KvBytes, *value);
    if (const std::string *value = find(raw, Option::CopyBandwidth))
      bench.copyBytes = value->empty()
                            ? CopyBandwidthOptions::kDefaultCopyBytes
                            : parseBytes(Option::CopyBandwidth, *value);
    if (bench.copyBytes && *bench.copyBytes == 0)
      throw InputError("--copy-bandwidth must be at least 1 byte");
  }
  return options;
}

CopyBandwidthOptions copyBandwidthOptions(const RawCommandLine &raw) {
  rejectGenerateOnly(raw);
  for (Option option : {Option::Entry, Option::Inputs, Option::Outputs,
                        Option::KvBytes, Option::Verbose})
    if (raw.values.count(option))
      throw InputError(flag(option) +
                       " is not valid with --copy-bandwidth alone (it needs "
                       "a bundle and --bench)");
  if (!raw.positionals.empty())
    throw InputError("unexpected argument '" + raw.positionals[0] +
                     "' with --copy-bandwidth (a bundle benchmark needs "
                     "--bench)");
  CopyBandwidthOptions options;
  if (const std::string *value = find(raw, Option::Device))
    options.device = deviceOption(*value);
  const std::string &bytes = *find(raw, Option::CopyBandwidth);
  if (!bytes.empty())
    options.bytes = parseBytes(Option::CopyBandwidth, bytes);
  if (options.bytes == 0)
    throw InputError("--copy-bandwidth must be at least 1 byte");
  timingOptions(raw, options.repeat, options.warmup, options.jsonPath);
  return options;
}

GenerateOptions generateOptions(const RawCommandLine &raw) {
  for (const auto &[option, value] : raw.values)
    if (!specOf(option).generateOnly)
      throw InputError(flag(option) + " is not valid with --generate");
  if (!raw.positionals.empty())
    throw InputError("unexpected argument '" + raw.positionals[0] +
                     "' with --generate");
  auto find = [&](Option option) -> const std::string * {
    auto it = raw.values.find(option);
    return it == raw.values.end() ? nullptr : &it->second;
  };
  auto integer = [&](Option option) {
    const std::string *value = find(option);
    if (!value)
      throw InputError("missing " + flag(option) + " (with --generate)");
    return parseInteger(option, *value);
  };

  GenerateOptions options;
  options.outputDir = *find(Option::Generate);
  runtime::GeneratorOptions &generator = options.generator;

  const std::string *lengths = find(Option::ContextLengths);
  const std::string *length = find(Option::ContextLength);
  const std::string *batch = find(Option::Batch);
  if (lengths && length)
    throw InputError("give --context-lengths or --context-length, not both");
  if (lengths) {
    generator.contextLengths =
        parseIntegerList(Option::ContextLengths, *lengths);
    if (batch && parseInteger(Option::Batch, *batch) !=
                     static_cast<int64_t>(generator.contextLengths.size()))
      throw InputError("--batch is " + *batch + " but --context-lengths has " +
                       std::to_string(generator.contextLengths.size()) +
                       " values");
  } else if (length) {
    if (!batch)
      throw InputError("--context-length needs --batch");
    int64_t batchSize = parseInteger(Option::Batch, *batch);
    if (batchSize <= 0 || batchSize > (1 << 24))
      throw InputError("--batch must be in 1.." + std::to_string(1 << 24) +
                       ", got " + *batch);
    generator.contextLengths.assign(
        static_cast<size_t>(batchSize),
        parseInteger(Option::ContextLength, *length));
  } else {
    throw InputError("missing --context-lengths or --context-length (with "
                     "--generate)");
  }

  generator.promptLength = integer(Option::PromptLength);
  generator.numQHeads = integer(Option::NumQHeads);
  generator.numKvHeads = integer(Option::NumKvHeads);
  generator.headDim = integer(Option::HeadDim);
  if (find(Option::ValueDim))
    generator.valueDim = integer(Option::ValueDim);
  generator.pageSize = integer(Option::PageSize);
  generator.numLayers = integer(Option::NumLayers);
  using runtime::ElementType;
  auto elementType = [&](Option option, std::vector<ElementType> allowed,
                         const char *names) {
    const std::string &text = *find(option);
    std::optional<ElementType> type = runtime::parseElementType(text);
    if (!type ||
        std::find(allowed.begin(), allowed.end(), *type) == allowed.end())
      throw InputError(flag(option) + " must be " + names + ", got '" + text +
                       "'");
    return *type;
  };
  if (find(Option::DType))
    generator.dtype = elementType(Option::DType,
                                  {ElementType::F32, ElementType::F16,
                                   ElementType::BF16, ElementType::F8E4M3FN},
                                  "f32, f16, bf16 or f8E4M3FN");
  if (find(Option::ActivationDType))
    generator.activationDType =
        elementType(Option::ActivationDType,
                    {ElementType::F32, ElementType::F16, ElementType::BF16},
                    "f32, f16 or bf16");
  if (find(Option::Granularity))
    generator.granularity = integer(Option::Granularity);
  if (const std::string *seed = find(Option::Seed))
    generator.seed = parseUnsigned(Option::Seed, *seed);
  if (find(Option::TotalPages))
    generator.totalPages = integer(Option::TotalPages);
  if (find(Option::NumSms))
    generator.numSms = integer(Option::NumSms);
  if (find(Option::StepsRemaining))
    generator.stepsRemaining = integer(Option::StepsRemaining);
  return options;
}

} // namespace

CommandLine parseCommandLine(int argc, char **argv) {
  RawCommandLine raw = tokenize(argc, argv);
  CommandLine commandLine;
  if (raw.help)
    return commandLine;
  if (raw.values.count(Option::Generate)) {
    commandLine.mode = CommandLine::Mode::Generate;
    commandLine.generate = generateOptions(raw);
  } else if (raw.values.count(Option::CopyBandwidth) &&
             !raw.values.count(Option::Bench)) {
    commandLine.mode = CommandLine::Mode::CopyBandwidth;
    commandLine.copyBandwidth = copyBandwidthOptions(raw);
  } else {
    commandLine.mode = CommandLine::Mode::Run;
    commandLine.run = runOptions(raw);
  }
  return commandLine;
}

} // namespace kvcache::run
