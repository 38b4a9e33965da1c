//===- RunBundle.cpp - Run a bundle's function on .npy files --------------===//
//
// The order matters for what a user sees first: the bundle (manifest, target,
// device, library, entry symbol) is checked before any input is read, every
// input before the cache inputs are cross-checked, and everything before the
// call, so that a failure never leaves half-written outputs.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "RunCommon.h"
#include "RuntimeAPICall.h"

#include "kvcache/Runtime/ArgumentCheck.h"
#include "kvcache/Runtime/Consistency.h"
#include "kvcache/Runtime/CudaRuntime.h"
#include "kvcache/Runtime/EntryPoint.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/InputFault.h"
#include "kvcache/Runtime/Manifest.h"
#include "kvcache/Runtime/Npy.h"
#include "kvcache/Runtime/SharedLibrary.h"

#include <algorithm>

#include <filesystem>
#include <iostream>

namespace kvcache::run {

using namespace kvcache::runtime;
namespace fs = std::filesystem;

namespace {

bool isStatic(const ManifestArgument &argument) {
  for (int64_t dim : argument.shape)
    if (dim < 0)
      return false;
  return true;
}

/// The array for one argument: its .npy file or, for a workspace of static
/// shape whose file is absent (or for any workspace when
/// `workspacesAreZero`), zeros: a workspace is scratch, its contents do not
/// matter to the caller.
Array loadArgument(const ManifestArgument &argument, const fs::path &inputs,
                   bool workspacesAreZero) {
  fs::path path = inputs / (argument.name + ".npy");
  bool isWorkspace = argument.role == ArgumentRole::Workspace;
  if (isWorkspace && workspacesAreZero) {
    if (!isStatic(argument))
      throw BundleError(argument.describe() +
                        ": a workspace needs a static shape, got " +
                        formatShape(argument.shape));
    return Array(acceptedDTypes(argument.elementType).front(), argument.shape);
  }
  std::error_code error;
  if (!fs::exists(path, error)) {
    if (isWorkspace && isStatic(argument))
      return Array(acceptedDTypes(argument.elementType).front(),
                   argument.shape);
    throw InputError(argument.describe() + ": missing input file '" +
                     path.string() + "'");
  }
  Array array = readNpy(path.string());
  checkArgument(argument, array);
  return array;
}

/// --device: "cpu", "cuda" or "cuda:N".
struct DeviceChoice {
  bool cuda = false;
  int ordinal = 0;
};

DeviceChoice parseDevice(const std::string &device) {
  std::optional<int> ordinal = cudaOrdinal(device);
  return ordinal ? DeviceChoice{true, *ordinal} : DeviceChoice{};
}

/// A CPU bundle runs through the C runtime API, as a serving engine calls
/// it; the cache checks ran when the inputs were loaded.
int runCpuBundle(const ManifestFunction &function, const RunOptions &options) {
  ApiBundle bundle(options.bundleDir);
  std::vector<Array> arrays =
      loadArguments(function, options.inputsDir, /*workspacesAreZero=*/false,
                    !options.noCacheChecks);
  checkWriteOnly(function, options.writeOnly);
  createOutputDirectory(options.outputsDir);

  ApiCall call(bundle, function.name);
  for (const ManifestArgument &argument : function.arguments)
    call.bind(argument.name, arrays[argument.index]);
  kvcache_status status = call.run(KVCACHE_RUN_NO_CACHE_CHECKS);
  // What the call left, faults or not: the guards' effect can be seen.
  writeOutputs(function, arrays, options.outputsDir, options.writeOnly);
  throwIfFailed(status);
  return kExitSuccess;
}

} // namespace

void requireDirectory(const std::string &path, const char *what) {
  std::error_code error;
  if (!fs::is_directory(path, error))
    throw InputError(std::string(what) + " '" + path + "' is not a directory");
}

const ManifestFunction &selectFunction(const Manifest &manifest,
                                       const RunOptions &options) {
  if (!options.entry) {
    if (manifest.functions.size() == 1)
      return manifest.functions.front();
    throw InputError("missing --entry; the bundle has functions: " +
                     manifest.functionNames());
  }
  if (const ManifestFunction *function = manifest.findFunction(*options.entry))
    return *function;
  throw InputError("--entry '" + *options.entry +
                   "': the bundle has no such function; it has: " +
                   manifest.functionNames());
}

std::vector<Array> loadArguments(const ManifestFunction &function,
                                 const std::string &inputsDir,
                                 bool workspacesAreZero, bool cacheChecks) {
  requireDirectory(inputsDir, "--inputs");
  std::vector<Array> arrays;
  for (const ManifestArgument &argument : function.arguments)
    arrays.push_back(loadArgument(argument, inputsDir, workspacesAreZero));
  if (cacheChecks)
    checkCacheConsistency(function, arrays);
  return arrays;
}

void checkInputFault(const ManifestFunction &function) {
  if (std::optional<InputFault> fault = takeInputFault())
    throw InputError(fault->message());
}

void createOutputDirectory(const std::string &outputsDir) {
  std::error_code error;
  fs::create_directories(outputsDir, error);
  if (error || !fs::is_directory(outputsDir))
    throw InputError("--outputs '" + outputsDir +
                     "': cannot create the directory" +
                     (error ? ": " + error.message() : std::string()));
}

void checkWriteOnly(const ManifestFunction &function,
                    const std::vector<std::string> &only) {
  for (const std::string &name : only) {
    bool found = false;
    for (const ManifestArgument &argument : function.arguments)
      found |= argument.name == name && argument.kind == ArgumentKind::MemRef;
    if (!found)
      throw InputError("--write: '" + name + "' is not a memref argument of '" +
                       function.name + "'");
  }
}

void writeOutputs(const ManifestFunction &function,
                  const std::vector<Array> &arrays,
                  const std::string &outputsDir,
                  const std::vector<std::string> &only) {
  for (const ManifestArgument &argument : function.arguments)
    if (argument.kind == ArgumentKind::MemRef &&
        (only.empty() ||
         std::find(only.begin(), only.end(), argument.name) != only.end()))
      writeNpy((fs::path(outputsDir) / (argument.name + ".npy")).string(),
               arrays[argument.index]);
}

int runBundle(const RunOptions &options) {
  requireDirectory(options.bundleDir, "bundle directory");
  Manifest manifest = loadManifest(options.bundleDir);
  // Every target but "cpu" is a GPU bundle, which runs through CUDA.
  bool gpuBundle = manifest.target != "cpu";
  std::string device = options.device.value_or(gpuBundle ? "cuda" : "cpu");
  DeviceChoice choice = parseDevice(device);
  if (choice.cuda != gpuBundle)
    throw InputError("--device '" + device +
                     "' does not match the bundle's target '" +
                     manifest.target + "' (use --device " +
                     (gpuBundle ? "cuda" : "cpu") + ")");
  if (options.bench && !gpuBundle)
    throw InputError("--bench times GPU bundles; the bundle's target is 'cpu'");
  const ManifestFunction &function = selectFunction(manifest, options);
  if (gpuBundle)
    return runCudaBundle(manifest, function, options, choice.ordinal);
  if (options.verbose)
    std::cout << "device: cpu (arguments stay in host memory)\n";
  return runCpuBundle(function, options);
}

int parseCudaOrdinal(const std::string &device) {
  DeviceChoice choice = parseDevice(device);
  if (!choice.cuda)
    throw InputError("--copy-bandwidth measures a CUDA device; --device '" +
                     device + "' is not one");
  return choice.ordinal;
}

} // namespace kvcache::run
