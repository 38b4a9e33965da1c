//===- CudaRun.cpp - Run, benchmark and measure on a CUDA device ----------===//
//
// A GPU bundle's library loads its kernels from a constructor that calls
// the runtime's mgpuModuleLoad, so the device is opened and the runtime
// installed before the library is dlopen'ed, and the entry points' latch is
// checked right after (a module that fails to load) and after every entry
// call (they return void and cannot report failure otherwise).
//
// Without a usable device (no libcuda.so.1, cuInit failing, no such
// ordinal, a chip the bundle's cubin does not run on) kvcache-run prints one
// line and exits 77: the bundle is fine, this machine cannot run it.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "RunCommon.h"
#include "kvcache/ABI/SimKernelABI.h"
#include "kvcache/Runtime/Json.h"

#include "kvcache/Runtime/CudaRuntime.h"
#include "kvcache/Runtime/DeviceArguments.h"
#include "kvcache/Runtime/EntryPoint.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/InputFault.h"
#include "kvcache/Runtime/SharedLibrary.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace kvcache::run {

using namespace kvcache::runtime;
namespace fs = std::filesystem;

namespace {

/// The device, or null after printing why there is none (exit 77).
std::unique_ptr<CudaRuntime> openDevice(int ordinal) {
  try {
    return CudaRuntime::open(ordinal);
  } catch (const DeviceUnavailableError &error) {
    std::cerr << "kvcache-run: no CUDA device: " << error.what() << "\n";
    return nullptr;
  }
}

/// Makes `runtime` the one the entry points use, while in scope.
class InstalledRuntime {
public:
  explicit InstalledRuntime(CudaRuntime &runtime) {
    setGlobalCudaRuntime(&runtime);
  }
  ~InstalledRuntime() { setGlobalCudaRuntime(nullptr); }
  InstalledRuntime(const InstalledRuntime &) = delete;
  InstalledRuntime &operator=(const InstalledRuntime &) = delete;
};

/// Device memory kvcache-run owns for a measurement.
class DeviceBuffer {
public:
  DeviceBuffer(CudaRuntime &runtime, size_t bytes, const std::string &what)
      : runtime(runtime), pointer(runtime.allocateDevice(bytes, what)) {}
  ~DeviceBuffer() { runtime.freeDevice(pointer); }
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  cuda::CUdeviceptr get() const { return pointer; }

private:
  CudaRuntime &runtime;
  cuda::CUdeviceptr pointer;
};

class TimingEvent {
public:
  explicit TimingEvent(CudaRuntime &runtime)
      : runtime(runtime), event(runtime.createTimingEvent()) {}
  ~TimingEvent() { runtime.destroyTimingEvent(event); }
  TimingEvent(const TimingEvent &) = delete;
  TimingEvent &operator=(const TimingEvent &) = delete;
  cuda::CUevent get() const { return event; }

private:
  CudaRuntime &runtime;
  cuda::CUevent event;
};

std::string formatBytes(uint64_t bytes) {
  char text[64];
  if (bytes >= (uint64_t(1) << 30))
    std::snprintf(text, sizeof(text), "%.1f GiB", bytes / double(1 << 30));
  else
    std::snprintf(text, sizeof(text), "%.1f MiB", bytes / double(1 << 20));
  return text;
}

std::string driverVersion(int version) {
  return std::to_string(version / 1000) + "." +
         std::to_string(version % 1000 / 10);
}

std::string describeDevice(const DeviceInfo &device) {
  return "device " + std::to_string(device.ordinal) + ": " + device.name +
         " (" + device.chip() + ", " + std::to_string(device.numSms) +
         " SMs, " + formatBytes(device.l2CacheBytes) + " L2, " +
         formatBytes(device.totalMemoryBytes) + ", driver " +
         driverVersion(device.driverVersion) + ")";
}

/// Throws the entry points' first latched failure, naming the function.
void checkLatch(CudaRuntime &runtime, const ManifestFunction &function) {
  if (std::optional<CudaFailure> failure = runtime.takeFailure())
    throw DeviceError("function '" + function.name + "' (" + function.entry +
                      "): " + failure->message());
}

/// One entry call, complete and checked.
void callEntry(CudaRuntime &runtime, EntryPoint entry,
               DeviceArguments &arguments, const ManifestFunction &function) {
  entry(arguments.data());
  // Through the entry point, so that a fault names the last kernel.
  runtime.synchronizeStream(runtime.stream());
  checkLatch(runtime, function);
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/// GB/s for `bytes` moved in `microseconds`.
double gigabytesPerSecond(double bytes, double microseconds) {
  return microseconds > 0 ? bytes / microseconds / 1e3 : 0;
}

//===----------------------------------------------------------------------===//
// The JSON report
//===----------------------------------------------------------------------===//

using kvcache::runtime::quoteJson;

std::string number(double value) {
  if (!std::isfinite(value))
    return "null";
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", value);
  return text;
}

/// An object written key by key, one member per line.
class JsonObject {
public:
  JsonObject &raw(const std::string &key, const std::string &json) {
    members.push_back(quoteJson(key) + ": " + json);
    return *this;
  }
  JsonObject &string(const std::string &key, const std::string &value) {
    return raw(key, quoteJson(value));
  }
  JsonObject &integer(const std::string &key, uint64_t value) {
    return raw(key, std::to_string(value));
  }
  JsonObject &real(const std::string &key, double value) {
    return raw(key, number(value));
  }
  JsonObject &reals(const std::string &key, const std::vector<double> &values) {
    std::string json = "[";
    for (size_t i = 0; i < values.size(); ++i)
      json += (i ? ", " : "") + number(values[i]);
    return raw(key, json + "]");
  }
  JsonObject &object(const std::string &key, const JsonObject &value,
                     int indent) {
    return raw(key, value.str(indent));
  }
  std::string str(int indent = 0) const {
    std::string pad(indent + 2, ' ');
    std::string json = "{\n";
    for (size_t i = 0; i < members.size(); ++i)
      json += pad + members[i] + (i + 1 < members.size() ? ",\n" : "\n");
    return json + std::string(indent, ' ') + "}";
  }

private:
  std::vector<std::string> members;
};

JsonObject deviceJson(const DeviceInfo &device) {
  JsonObject json;
  json.integer("ordinal", device.ordinal)
      .string("name", device.name)
      .string("chip", device.chip())
      .integer("sms", device.numSms)
      .integer("l2_bytes", device.l2CacheBytes)
      .integer("memory_bytes", device.totalMemoryBytes)
      .string("driver", driverVersion(device.driverVersion));
  return json;
}

void writeJson(const std::string &path, const JsonObject &json) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << json.str() << "\n";
  file.close();
  if (!file)
    throw InputError("--bench-json '" + path + "': cannot write the file");
}

//===----------------------------------------------------------------------===//
// Copy bandwidth
//===----------------------------------------------------------------------===//

struct CopyResult {
  uint64_t bytes = 0;
  std::vector<double> microseconds;
  double medianMicroseconds = 0;
  /// Read + write: twice the buffer per copy.
  double gigabytesPerSecond = 0;

  JsonObject json() const {
    JsonObject result;
    result.integer("bytes", bytes)
        .string("counted", "read + write (2 x bytes per copy)")
        .integer("runs", microseconds.size())
        .reals("copy_us", microseconds)
        .real("median_copy_us", medianMicroseconds)
        .real("gb_per_s", gigabytesPerSecond);
    return result;
  }
  std::string summary() const {
    char text[160];
    std::snprintf(text, sizeof(text),
                  "copy bandwidth: %.1f GB/s (device to device, %llu bytes, "
                  "read + write, median of %zu)",
                  gigabytesPerSecond, static_cast<unsigned long long>(bytes),
                  microseconds.size());
    return text;
  }
};

CopyResult measureCopy(CudaRuntime &runtime, uint64_t bytes, int64_t repeat,
                       int64_t warmup) {
  DeviceBuffer source(runtime, bytes, "the copy source");
  DeviceBuffer destination(runtime, bytes, "the copy destination");
  // Touch the source so that no page is first touched inside a timing.
  runtime.fill(source.get(), 1, bytes);
  runtime.fill(destination.get(), 0, bytes);
  runtime.synchronize();
  TimingEvent start(runtime), end(runtime);
  for (int64_t i = 0; i < warmup; ++i)
    runtime.copyOnDevice(destination.get(), source.get(), bytes);
  runtime.synchronize();
  CopyResult result;
  result.bytes = bytes;
  for (int64_t i = 0; i < repeat; ++i) {
    runtime.record(start.get());
    runtime.copyOnDevice(destination.get(), source.get(), bytes);
    runtime.record(end.get());
    result.microseconds.push_back(
        1e3 * runtime.elapsedMilliseconds(start.get(), end.get()));
  }
  result.medianMicroseconds = median(result.microseconds);
  result.gigabytesPerSecond =
      gigabytesPerSecond(2.0 * double(bytes), result.medianMicroseconds);
  return result;
}

//===----------------------------------------------------------------------===//
// The benchmark
//===----------------------------------------------------------------------===//

/// KERNELS.md's protocol: warm-up calls, then timed calls each after an L2
/// flush, kernel time from events around the call on the runtime's stream,
/// then as many calls timed whole on the host clock.
void benchmark(CudaRuntime &runtime, const Manifest &manifest,
               const ManifestFunction &function, EntryPoint entry,
               DeviceArguments &arguments, const RunOptions &options) {
  const BenchOptions &bench = options.benchOptions;
  const DeviceInfo &device = runtime.device();
  // Writing twice the L2 evicts whatever the previous call left there.
  uint64_t flushBytes = device.l2CacheBytes > 0
                            ? 2 * uint64_t(device.l2CacheBytes)
                            : uint64_t(256) << 20;
  DeviceBuffer flush(runtime, flushBytes, "the L2 flush buffer");
  TimingEvent start(runtime), end(runtime);

  for (int64_t i = 0; i < bench.warmup; ++i)
    callEntry(runtime, entry, arguments, function);

  std::vector<double> kernelMicroseconds, entryMicroseconds;
  // Kernel time: the flush, the start event, the call's kernels and the end
  // event are queued back to back on one stream (stream-ordered calls, as
  // the PyTorch peers are timed), so the events bracket the GPU's work:
  // neither the first launch's host cost nor the host's wake-up after the
  // last kernel counts as kernel time.
  for (int64_t run = 0; run < bench.repeat; ++run) {
    runtime.fill(flush.get(), static_cast<unsigned char>(run), flushBytes);
    runtime.record(start.get());
    runtime.setStreamOrdered(true);
    entry(arguments.data());
    runtime.setStreamOrdered(false);
    runtime.record(end.get());
    runtime.synchronizeStream(runtime.stream());
    checkLatch(runtime, function);
    kernelMicroseconds.push_back(
        1e3 * runtime.elapsedMilliseconds(start.get(), end.get()));
  }
  // The whole call on the host clock, from an idle stream: launches, the
  // wait for the kernels and the host code between them.
  for (int64_t run = 0; run < bench.repeat; ++run) {
    runtime.fill(flush.get(), static_cast<unsigned char>(run), flushBytes);
    runtime.synchronize();
    auto begin = std::chrono::steady_clock::now();
    entry(arguments.data());
    auto finish = std::chrono::steady_clock::now();
    checkLatch(runtime, function);
    entryMicroseconds.push_back(
        std::chrono::duration<double, std::micro>(finish - begin).count());
  }

  std::optional<CopyResult> copy;
  if (bench.copyBytes)
    copy = measureCopy(runtime, *bench.copyBytes, 20, 2);

  double kernelMedian = median(kernelMicroseconds);
  double entryMedian = median(entryMicroseconds);
  auto [kernelMin, kernelMax] =
      std::minmax_element(kernelMicroseconds.begin(), kernelMicroseconds.end());
  auto [entryMin, entryMax] =
      std::minmax_element(entryMicroseconds.begin(), entryMicroseconds.end());
  std::printf("%s\n", describeDevice(device).c_str());
  std::printf("function '%s': %lld timed runs after %lld warm-up runs, L2 "
              "flushed (%s) before each\n",
              function.name.c_str(), static_cast<long long>(bench.repeat),
              static_cast<long long>(bench.warmup),
              formatBytes(flushBytes).c_str());
  std::printf("kernel time (CUDA events): median %.3f us (min %.3f, max "
              "%.3f)\n",
              kernelMedian, *kernelMin, *kernelMax);
  std::printf("entry call (host clock):   median %.3f us (min %.3f, max "
              "%.3f)\n",
              entryMedian, *entryMin, *entryMax);
  if (bench.kvBytes)
    std::printf("bandwidth: %.1f GB/s (%llu KV bytes / median kernel time)\n",
                gigabytesPerSecond(double(*bench.kvBytes), kernelMedian),
                static_cast<unsigned long long>(*bench.kvBytes));
  if (copy)
    std::printf("%s\n", copy->summary().c_str());
  std::fflush(stdout);

  if (!bench.jsonPath)
    return;
  JsonObject json;
  json.string("tool", "kvcache-run --bench")
      .object("device", deviceJson(device), 2)
      .string("bundle", options.bundleDir)
      .string("target", manifest.target)
      .string("function", function.name)
      .string("entry", function.entry)
      .integer("warmup_runs", bench.warmup)
      .integer("timed_runs", bench.repeat)
      .integer("l2_flush_bytes", flushBytes)
      .string("kernel_time", "CUDA events on the runtime's stream around "
                             "a stream-ordered entry call, queued right "
                             "after the flush")
      .string("entry_time", "host clock around the entry call, from an "
                            "idle stream")
      .reals("kernel_us", kernelMicroseconds)
      .reals("entry_us", entryMicroseconds)
      .real("median_kernel_us", kernelMedian)
      .real("median_entry_us", entryMedian);
  if (bench.kvBytes)
    json.integer("kv_bytes", *bench.kvBytes)
        .real("kernel_gb_per_s",
              gigabytesPerSecond(double(*bench.kvBytes), kernelMedian));
  if (copy)
    json.object("copy", copy->json(), 2);
  writeJson(*bench.jsonPath, json);
}

void printPlacement(const CudaRuntime &runtime,
                    const ManifestFunction &function,
                    const DeviceArguments &arguments) {
  std::printf("%s\n", describeDevice(runtime.device()).c_str());
  for (const ManifestArgument &argument : function.arguments) {
    if (argument.kind == ArgumentKind::Scalar) {
      std::printf("%s: scalar, passed by value\n", argument.describe().c_str());
      continue;
    }
    std::printf("%s: %s %p %zu bytes\n", argument.describe().c_str(),
                arguments.onDevice(argument.index) ? "device" : "host",
                arguments.address(argument.index),
                arguments.bytes(argument.index));
  }
  std::fflush(stdout);
}

} // namespace

int runCudaBundle(const Manifest &manifest, const ManifestFunction &function,
                  const RunOptions &options, int ordinal) {
  std::unique_ptr<CudaRuntime> runtime = openDevice(ordinal);
  if (!runtime)
    return kExitUnsupported;
  // Only sm_XY targets say which chips they run on; the driver judges
  // anything else when it loads the module.
  if (manifest.target.compare(0, 3, "sm_") == 0)
    if (std::optional<std::string> mismatch =
            targetMismatch(manifest.target, runtime->device())) {
      std::cerr << "kvcache-run: cannot run this bundle here: " << *mismatch
                << "\n";
      return kExitUnsupported;
    }
  InstalledRuntime installed(*runtime);

  std::string libraryPath =
      (fs::path(options.bundleDir) / manifest.library).string();
  SharedLibrary library = SharedLibrary::open(libraryPath);
  if (std::optional<CudaFailure> failure = runtime->takeFailure()) {
    // A real driver rejects a host object as an invalid image: say why.
    std::string hint =
        manifest.target == kvcache::sim::kTarget
            ? " (the kernels of a 'sim' bundle are host code that only the "
              "stand-in libcuda runs: put its directory, <build>/fake-cuda, "
              "on LD_LIBRARY_PATH)"
            : "";
    throw BundleError("loading the kernels of '" + libraryPath +
                      "' failed: " + failure->message() + hint);
  }
  EntryPoint entry = lookupEntry(library, function);

  std::vector<Array> arrays =
      loadArguments(function, options.inputsDir, /*workspacesAreZero=*/true,
                    !options.noCacheChecks);
  if (!options.outputsDir.empty()) {
    checkWriteOnly(function, options.writeOnly);
    createOutputDirectory(options.outputsDir);
  }

  DeviceArguments arguments(*runtime, function, arrays);
  if (options.verbose)
    printPlacement(*runtime, function, arguments);

  takeInputFault(); // None belongs to this call yet.
  if (options.bench)
    benchmark(*runtime, manifest, function, entry, arguments, options);
  else
    callEntry(*runtime, entry, arguments, function);

  // What the call left, faults or not: the guards' effect can be seen.
  if (!options.outputsDir.empty()) {
    arguments.copyToHost();
    writeOutputs(function, arrays, options.outputsDir, options.writeOnly);
  }
  checkInputFault(function);
  return kExitSuccess;
}

int measureCopyBandwidth(const CopyBandwidthOptions &options) {
  int ordinal = parseCudaOrdinal(options.device);
  std::unique_ptr<CudaRuntime> runtime = openDevice(ordinal);
  if (!runtime)
    return kExitUnsupported;
  CopyResult copy =
      measureCopy(*runtime, options.bytes, options.repeat, options.warmup);
  std::printf("%s\n%s\n", describeDevice(runtime->device()).c_str(),
              copy.summary().c_str());
  std::fflush(stdout);
  if (options.jsonPath) {
    JsonObject json;
    json.string("tool", "kvcache-run --copy-bandwidth")
        .object("device", deviceJson(runtime->device()), 2)
        .object("copy", copy.json(), 2);
    writeJson(*options.jsonPath, json);
  }
  return kExitSuccess;
}

} // namespace kvcache::run
