//===- RuntimeAPIBundle.cpp - Opening and describing bundles from C -------===//
//
// A bundle is checked whole when it is opened (the manifest, the library,
// every entry symbol, and for a GPU bundle the device, its chip and the
// kernels' module), so that a call can only fail on its arguments or the
// device.
//
//===----------------------------------------------------------------------===//

#include "RuntimeAPI.h"

#include "kvcache/ABI/SimKernelABI.h"
#include "kvcache/Runtime/InputFault.h"

#include <dlfcn.h>
#include <filesystem>
#include <mutex>

using namespace kvcache;
using namespace kvcache::runtime;
using namespace kvcache::runtime::capi;
namespace fs = std::filesystem;

namespace {

thread_local std::string lastError;

/// The device GPU bundles of this process run on, opened by the first one.
struct ProcessDevice {
  std::mutex mutex;
  CudaRuntime *runtime = nullptr;
  std::string driver;
  int ordinal = 0;
};

ProcessDevice &processDevice() {
  static ProcessDevice *device = new ProcessDevice; // never destroyed
  return *device;
}

/// The process's runtime on (`driver`, `ordinal`), opened and installed for
/// the entry points at first use.
CudaRuntime *openDevice(const std::string &driver, int ordinal) {
  ProcessDevice &device = processDevice();
  std::lock_guard<std::mutex> lock(device.mutex);
  if (device.runtime) {
    if (device.driver != driver || device.ordinal != ordinal)
      throw UsageError("GPU bundles of this process run on device " +
                       std::to_string(device.ordinal) + " through '" +
                       device.driver + "'; this bundle asks for device " +
                       std::to_string(ordinal) + " through '" + driver + "'");
    return device.runtime;
  }
  device.runtime = CudaRuntime::open(ordinal, driver).release();
  device.driver = driver;
  device.ordinal = ordinal;
  setGlobalCudaRuntime(device.runtime);
  return device.runtime;
}

/// Makes the library holding this code global, so that the bundles it
/// dlopens bind its mgpu* and kvcache_runtime_* definitions, also when it
/// was itself loaded RTLD_LOCAL (ctypes' default). A program that links the
/// runtime statically exports them itself (kvcache-run's dynamic list).
void exportRuntimeSymbols() {
  Dl_info self;
  if (dladdr(reinterpret_cast<void *>(&kvcache_bundle_open), &self) &&
      self.dli_fname)
    dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
}

void loadLibrary(kvcache_bundle &bundle) {
  std::string path =
      (fs::path(bundle.directory) / bundle.manifest.library).string();
  bundle.library = SharedLibrary::open(path);
  if (!bundle.gpu)
    return;
  // The library's constructor loaded its kernels.
  if (std::optional<CudaFailure> failure = bundle.runtime->takeFailure()) {
    std::string hint =
        bundle.manifest.target == sim::kTarget
            ? " (the kernels of a 'sim' bundle are host code that only the "
              "stand-in libcuda runs: open it with that driver)"
            : "";
    throw BundleError("loading the kernels of '" + path +
                      "' failed: " + failure->message() + hint);
  }
}

kvcache_argument_record describe(const ManifestArgument &argument) {
  kvcache_argument_record record;
  record.dtype = acceptedDTypes(argument.elementType).front().descr();
  kvcache_argument_info &info = record.info;
  info.index = argument.index;
  info.name = argument.name.c_str();
  info.kind = toString(argument.kind).data();
  info.element_type = toString(argument.elementType).data();
  info.rank = argument.rank;
  info.shape = argument.shape.data();
  info.role = toString(argument.role).data();
  info.placement = toString(argument.placement).data();
  info.field =
      argument.cache ? abi::name(argument.cache->field).data() : nullptr;
  info.device = argument.cache ? argument.cache->device : -1;
  info.cache = argument.cache ? argument.cache->cache.c_str() : nullptr;
  info.operand =
      argument.operand ? toString(*argument.operand).data() : nullptr;
  return record;
}

void open(const char *directory, const kvcache_open_options *options,
          kvcache_bundle *&result) {
  requireNonNull(directory, "directory");
  std::error_code error;
  if (!fs::is_directory(directory, error))
    throw InputError(std::string("bundle directory '") + printable(directory) +
                     "' is not a directory");
  auto bundle = std::make_unique<kvcache_bundle>();
  bundle->directory = directory;
  bundle->manifest = loadManifest(directory);
  // Every target but "cpu" is a GPU bundle, which runs through CUDA.
  bundle->gpu = bundle->manifest.target != "cpu";
  if (bundle->gpu) {
    std::string driver =
        options && options->driver ? options->driver : cuda::kDriverLibrary;
    bundle->runtime = openDevice(driver, options ? options->device : 0);
    // Only sm_XY targets say which chips they run on; the driver judges
    // anything else when it loads the module.
    if (bundle->manifest.target.compare(0, 3, "sm_") == 0)
      if (std::optional<std::string> mismatch = targetMismatch(
              bundle->manifest.target, bundle->runtime->device()))
        throw DeviceUnavailableError("cannot run this bundle here: " +
                                     *mismatch);
  }
  exportRuntimeSymbols();
  loadLibrary(*bundle);
  for (const ManifestFunction &function : bundle->manifest.functions) {
    bundle->entries.push_back(lookupEntry(*bundle->library, function));
    std::vector<kvcache_argument_record> records;
    for (const ManifestArgument &argument : function.arguments)
      records.push_back(describe(argument));
    bundle->arguments.push_back(std::move(records));
  }
  // The records' strings point into the manifest, which stays put.
  result = bundle.release();
}

} // namespace

kvcache_status kvcache::runtime::capi::fail(kvcache_status status,
                                            std::string message) {
  lastError = std::move(message);
  return status;
}

void kvcache::runtime::capi::requireNonNull(const void *pointer,
                                            const char *what) {
  if (!pointer)
    throw UsageError(std::string(what) + " is null");
}

size_t kvcache_bundle::functionIndex(const char *entry) const {
  requireNonNull(entry, "entry");
  for (size_t i = 0; i < manifest.functions.size(); ++i)
    if (manifest.functions[i].name == entry)
      return i;
  throw InputError("the bundle has no function '" + printable(entry) +
                   "'; it has: " + manifest.functionNames());
}

//===----------------------------------------------------------------------===//
// The C functions
//===----------------------------------------------------------------------===//

int kvcache_runtime_api_version(void) { return KVCACHE_RUNTIME_API_VERSION; }

const char *kvcache_error_message(void) { return lastError.c_str(); }

kvcache_status kvcache_bundle_open(const char *directory,
                                   const kvcache_open_options *options,
                                   kvcache_bundle **bundle) {
  return guarded([&] {
    requireNonNull(bundle, "bundle");
    *bundle = nullptr;
    open(directory, options, *bundle);
  });
}

void kvcache_bundle_close(kvcache_bundle *bundle) {
  if (!bundle)
    return;
  if (bundle->liveCalls) {
    // Its calls point into it: leak it rather than leave them dangling.
    fail(KVCACHE_ERROR_USAGE,
         "kvcache_bundle_close: " + std::to_string(bundle->liveCalls) +
             " calls of the bundle are not destroyed; it stays open");
    return;
  }
  delete bundle;
}

const char *kvcache_bundle_target(const kvcache_bundle *bundle) {
  return bundle ? bundle->manifest.target.c_str() : nullptr;
}

int kvcache_bundle_is_gpu(const kvcache_bundle *bundle) {
  return bundle && bundle->gpu;
}

size_t kvcache_bundle_num_entries(const kvcache_bundle *bundle) {
  return bundle ? bundle->manifest.functions.size() : 0;
}

const char *kvcache_bundle_entry_name(const kvcache_bundle *bundle,
                                      size_t index) {
  if (!bundle || index >= bundle->manifest.functions.size())
    return nullptr;
  return bundle->manifest.functions[index].name.c_str();
}

kvcache_status kvcache_bundle_num_arguments(const kvcache_bundle *bundle,
                                            const char *entry, size_t *count) {
  return guarded([&] {
    requireNonNull(bundle, "bundle");
    requireNonNull(count, "count");
    *count = bundle->arguments[bundle->functionIndex(entry)].size();
  });
}

kvcache_status kvcache_bundle_argument(const kvcache_bundle *bundle,
                                       const char *entry, size_t index,
                                       kvcache_argument_info *info) {
  return guarded([&] {
    requireNonNull(bundle, "bundle");
    requireNonNull(info, "info");
    const auto &records = bundle->arguments[bundle->functionIndex(entry)];
    if (index >= records.size())
      throw UsageError("argument index " + std::to_string(index) +
                       " is past the end: '" + entry + "' has " +
                       std::to_string(records.size()) + " arguments");
    *info = records[index].info;
    info->dtype = records[index].dtype.c_str();
  });
}
