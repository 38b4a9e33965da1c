//===- RunBundle.cpp - Run a bundle's function on .npy files --------------===//
//
// The order matters for what a user sees first: the bundle (manifest, target,
// library, entry symbol) is checked before any input is read, every input
// before the cache inputs are cross-checked, and everything before the call,
// so that a failure never leaves half-written outputs.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include "kvcache/Runtime/ArgumentCheck.h"
#include "kvcache/Runtime/Consistency.h"
#include "kvcache/Runtime/EntryPoint.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/Manifest.h"
#include "kvcache/Runtime/Npy.h"
#include "kvcache/Runtime/SharedLibrary.h"

#include <filesystem>
#include <iostream>

namespace kvcache::run {

using namespace kvcache::runtime;
namespace fs = std::filesystem;

namespace {

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

bool isStatic(const ManifestArgument &argument) {
  for (int64_t dim : argument.shape)
    if (dim < 0)
      return false;
  return true;
}

/// The array for one argument: its .npy file or, for a workspace of static
/// shape whose file is absent, zeros (a workspace is scratch; its contents
/// do not matter to the caller).
Array loadArgument(const ManifestArgument &argument, const fs::path &inputs) {
  fs::path path = inputs / (argument.name + ".npy");
  std::error_code error;
  if (!fs::exists(path, error)) {
    if (argument.role == ArgumentRole::Workspace && isStatic(argument))
      return Array(acceptedDTypes(argument.elementType).front(),
                   argument.shape);
    throw InputError(argument.describe() + ": missing input file '" +
                     path.string() + "'");
  }
  Array array = readNpy(path.string());
  checkArgument(argument, array);
  return array;
}

void requireDirectory(const std::string &path, const char *what) {
  std::error_code error;
  if (!fs::is_directory(path, error))
    throw InputError(std::string(what) + " '" + path + "' is not a directory");
}

} // namespace

int runBundle(const RunOptions &options) {
  requireDirectory(options.bundleDir, "bundle directory");
  Manifest manifest = loadManifest(options.bundleDir);
  if (manifest.target != "cpu") {
    std::cerr << "kvcache-run: GPU bundles are not supported yet\n";
    return kExitUnsupported;
  }
  std::string device = options.device.value_or("cpu");
  if (device != "cpu")
    throw InputError("--device '" + device +
                     "' does not match the bundle's target 'cpu'");
  const ManifestFunction &function = selectFunction(manifest, options);

  SharedLibrary library = SharedLibrary::open(
      (fs::path(options.bundleDir) / manifest.library).string());
  EntryPoint entry = lookupEntry(library, function);

  requireDirectory(options.inputsDir, "--inputs");
  std::vector<Array> arrays;
  for (const ManifestArgument &argument : function.arguments)
    arrays.push_back(loadArgument(argument, options.inputsDir));
  checkCacheConsistency(function, arrays);

  std::error_code error;
  fs::create_directories(options.outputsDir, error);
  if (error || !fs::is_directory(options.outputsDir))
    throw InputError("--outputs '" + options.outputsDir +
                     "': cannot create the directory" +
                     (error ? ": " + error.message() : std::string()));

  invoke(entry, function, arrays);

  for (const ManifestArgument &argument : function.arguments)
    if (argument.kind == ArgumentKind::MemRef)
      writeNpy(
          (fs::path(options.outputsDir) / (argument.name + ".npy")).string(),
          arrays[argument.index]);
  return kExitSuccess;
}

} // namespace kvcache::run
