//===- FakeCuda.cpp - A stand-in libcuda.so.1 for machines without a GPU --===//
//
// CI has no GPU, but a GPU bundle's host side (the generated launch code,
// the runtime's mgpu* entry points, kvcache-run's argument placement) can
// still run end to end against this library, built as libcuda.so.1. It
// implements the driver functions the runtime uses on host memory:
//
//  - one device (132 SMs, 50 MiB of L2, compute capability 9.0), whose
//    "device memory" is aligned host memory, tracked allocation by
//    allocation; copies and memsets are memcpy/memset, checked to stay
//    inside an allocation;
//  - modules are recorded, not loaded. Kernel parameter lists come from PTX:
//    the image itself when it is PTX text, else every *.ptx file in
//    $KVCACHE_FAKE_CUDA_PTX_DIR (a bundle directory);
//  - cuLaunchKernel runs NOTHING. It checks the launch (dimensions, dynamic
//    shared memory, that each parameter's storage is readable host memory,
//    that every `.ptr` parameter holds an address inside a device
//    allocation with the pointee alignment PTX declares), classifies every
//    parameter as `device`, `host` or `value`, and appends the launch as one
//    JSON line to $KVCACHE_FAKE_CUDA_LOG. A failed check returns an error,
//    as a real driver would for a bad launch, and is logged and printed.
//
//  - except for a sim bundle's kernels (kvcache-compile --target=sim): an
//    image that is a host ELF object is dlopen'ed, and its kernels RUN on
//    the host, with simulated CUDA threads (SimThreads.h), after the same
//    launch checks; parameter types come from the object's K_param_types
//    (SimKernelABI.h). A simulator error fails the launch, naming the
//    kernel, CTA and threads. $KVCACHE_FAKE_CUDA_SIM_ORDER=reverse
//    schedules each CTA's threads last to first (SimThreads.h, Schedule).
//
// Other calls are logged too (module loads, function lookups, stream
// creation and synchronization, event records, allocations, copies), so
// tests can check caching, placement and the order of a benchmark's calls.
// Setting $KVCACHE_FAKE_CUDA_NO_DEVICE makes cuInit fail as on a machine
// without a GPU.
//
//===----------------------------------------------------------------------===//

#include "PtxEntries.h"
#include "SimThreads.h"

#include "kvcache/ABI/SimKernelABI.h"

#include "kvcache/Runtime/CudaDriver.h"
#include "kvcache/Runtime/Json.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

using namespace kvcache::cuda;
using kvcache::fakecuda::PtxEntry;
using kvcache::fakecuda::PtxParam;

struct CUctx_st {
  int device = 0;
};

struct CUmod_st;

/// A sim kernel's entry: cuLaunchKernel's kernelParams convention.
using SimEntry = void (*)(void **);

struct CUfunc_st {
  CUmod_st *module = nullptr;
  PtxEntry entry;
  int sharedBytesAllowed = 48 * 1024;
  /// Set for the kernels of a sim module: they run.
  SimEntry simEntry = nullptr;
};

struct CUmod_st {
  ~CUmod_st() {
    if (simLibrary)
      dlclose(simLibrary);
  }
  /// "cubin", "fatbin", "ptx" or "sim" (a host shared object).
  std::string format;
  /// The dlopen handle of a sim module.
  void *simLibrary = nullptr;
  /// The image's bytes when its size is known (cubin, PTX), to check that a
  /// kernel the PTX declares is in the image.
  std::string image;
  /// Where the parameter lists came from: "image" or the PTX directory.
  std::string ptxSource;
  std::map<std::string, PtxEntry> entries;
  std::map<std::string, std::unique_ptr<CUfunc_st>> functions;
};

struct CUstream_st {
  unsigned flags = 0;
};

struct CUevent_st {
  unsigned flags = 0;
  bool recorded = false;
  std::chrono::steady_clock::time_point time;
};

namespace {

constexpr int kNumSms = 132;
constexpr int kL2CacheBytes = 50 * 1024 * 1024;
constexpr int kComputeMajor = 9;
constexpr int kComputeMinor = 0;
constexpr int kSharedBytesOptIn = 227 * 1024;
constexpr size_t kTotalMemory = size_t(80) << 30;
constexpr int kDriverVersion = 13000;
constexpr size_t kAllocationAlignment = 256;
constexpr const char *kDeviceName =
    "kvcache stand-in CUDA device (fake libcuda: runs sim kernels only)";

struct State {
  std::mutex mutex;
  bool initialized = false;
  CUctx_st context;
  /// Device allocations: base address -> bytes.
  std::map<uintptr_t, size_t> allocations;
  size_t allocatedBytes = 0;
  std::map<uintptr_t, size_t> hostRegistrations;
  std::map<CUmod_st *, std::unique_ptr<CUmod_st>> modules;
  std::map<CUstream_st *, std::unique_ptr<CUstream_st>> streams;
  std::map<CUevent_st *, std::unique_ptr<CUevent_st>> events;
};

/// Never destroyed: a bundle's destructor may unload its module after this
/// library's static objects would be gone.
State &state() {
  static State *instance = new State;
  return *instance;
}

thread_local CUcontext currentContext = nullptr;

//===----------------------------------------------------------------------===//
// The log
//===----------------------------------------------------------------------===//

using kvcache::runtime::quoteJson;

/// One JSON object, written key by key.
class JsonObject {
public:
  JsonObject &raw(const std::string &key, const std::string &json) {
    text += (text.size() > 1 ? ", " : "") + quoteJson(key) + ": " + json;
    return *this;
  }
  JsonObject &string(const std::string &key, const std::string &value) {
    return raw(key, quoteJson(value));
  }
  JsonObject &number(const std::string &key, uint64_t value) {
    return raw(key, std::to_string(value));
  }
  JsonObject &boolean(const std::string &key, bool value) {
    return raw(key, value ? "true" : "false");
  }
  std::string str() const { return text + "}"; }

private:
  std::string text = "{";
};

std::string jsonDims(unsigned x, unsigned y, unsigned z) {
  return "[" + std::to_string(x) + ", " + std::to_string(y) + ", " +
         std::to_string(z) + "]";
}

/// Appends one line to $KVCACHE_FAKE_CUDA_LOG, if set. The file is opened
/// per line so that every line is on disk even if the process dies.
void log(const JsonObject &line) {
  const char *path = std::getenv("KVCACHE_FAKE_CUDA_LOG");
  if (!path || !*path)
    return;
  if (FILE *file = std::fopen(path, "a")) {
    std::fputs((line.str() + "\n").c_str(), file);
    std::fclose(file);
  }
}

/// A failed call: logged, printed (a real driver says only the error
/// code; the stand-in says what it checked) and returned.
CUresult fail(CUresult result, const std::string &call,
              const std::string &message) {
  std::fprintf(stderr, "fake libcuda: %s: %s\n", call.c_str(), message.c_str());
  log(JsonObject()
          .string("event", "error")
          .string("call", call)
          .number("result", static_cast<uint64_t>(result))
          .string("message", message));
  return result;
}

std::string hex(uintptr_t value) {
  char text[32];
  std::snprintf(text, sizeof(text), "0x%llx",
                static_cast<unsigned long long>(value));
  return text;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

/// The allocation holding address `address` (its end included, so that an
/// empty view at the end of a buffer is still in it), or null.
const std::pair<const uintptr_t, size_t> *findAllocation(State &s,
                                                         uintptr_t address) {
  auto it = s.allocations.upper_bound(address);
  if (it == s.allocations.begin())
    return nullptr;
  --it;
  if (address <= it->first + it->second)
    return &*it;
  return nullptr;
}

/// Empty when [address, address + bytes) lies in one device allocation,
/// else why not.
std::string checkDeviceRange(State &s, uintptr_t address, size_t bytes) {
  const auto *allocation = findAllocation(s, address);
  if (!allocation)
    return hex(address) + " is not in any device allocation";
  uintptr_t end = allocation->first + allocation->second;
  if (address + bytes > end)
    return hex(address) + " + " + std::to_string(bytes) +
           " bytes runs past the end of the allocation at " +
           hex(allocation->first) + " (" + std::to_string(allocation->second) +
           " bytes)";
  return {};
}

struct Mapping {
  uintptr_t begin, end;
};

/// The process's readable mappings, for telling host addresses from plain
/// integers.
std::vector<Mapping> readableMappings() {
  std::vector<Mapping> mappings;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long long begin = 0, end = 0;
    char permissions[8] = {};
    if (std::sscanf(line.c_str(), "%llx-%llx %7s", &begin, &end, permissions) ==
            3 &&
        permissions[0] == 'r')
      mappings.push_back(
          {static_cast<uintptr_t>(begin), static_cast<uintptr_t>(end)});
  }
  return mappings;
}

bool isHostAddress(const std::vector<Mapping> &mappings, uintptr_t address,
                   size_t bytes = 1) {
  for (const Mapping &mapping : mappings)
    if (address >= mapping.begin && address + bytes <= mapping.end)
      return true;
  return false;
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

/// The size of an ELF image from its header (section and program header
/// tables come last), or 0 when the header makes no sense.
size_t elfSize(const unsigned char *image) {
  if (image[4] != 2) // ELFCLASS64
    return 0;
  uint64_t phoff, shoff;
  uint16_t phentsize, phnum, shentsize, shnum;
  std::memcpy(&phoff, image + 0x20, 8);
  std::memcpy(&shoff, image + 0x28, 8);
  std::memcpy(&phentsize, image + 0x36, 2);
  std::memcpy(&phnum, image + 0x38, 2);
  std::memcpy(&shentsize, image + 0x3a, 2);
  std::memcpy(&shnum, image + 0x3c, 2);
  uint64_t size = std::max(phoff + uint64_t(phentsize) * phnum,
                           shoff + uint64_t(shentsize) * shnum);
  return size < (uint64_t(1) << 30) ? static_cast<size_t>(size) : 0;
}

/// Adds the entries of every *.ptx file in `directory` to `module`.
CUresult readPtxDirectory(const std::string &call, const std::string &directory,
                          CUmod_st &module) {
  DIR *dir = opendir(directory.c_str());
  if (!dir)
    return fail(CUDA_ERROR_INVALID_IMAGE, call,
                "KVCACHE_FAKE_CUDA_PTX_DIR '" + directory +
                    "' cannot be read: " + std::strerror(errno));
  std::vector<std::string> files;
  while (dirent *item = readdir(dir)) {
    std::string name = item->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".ptx") == 0)
      files.push_back(directory + "/" + name);
  }
  closedir(dir);
  std::sort(files.begin(), files.end());
  for (const std::string &file : files) {
    std::ifstream stream(file, std::ios::binary);
    std::stringstream text;
    text << stream.rdbuf();
    try {
      for (PtxEntry &entry : kvcache::fakecuda::parsePtxEntries(text.str()))
        module.entries.emplace(entry.name, std::move(entry));
    } catch (const kvcache::fakecuda::PtxError &error) {
      return fail(CUDA_ERROR_INVALID_PTX, call, file + ": " + error.what());
    }
  }
  module.ptxSource = directory;
  return CUDA_SUCCESS;
}

/// The ELF machine of a cubin; any other ELF image is a sim module.
constexpr uint16_t kElfMachineCuda = 190;

/// Makes this library's kvcache_sim_* hooks visible to the sim modules it
/// opens: the runtime opens libcuda.so.1 with RTLD_LOCAL, and a module's
/// undefined symbols resolve only against the global scope.
std::string exportHooksGlobally() {
  Dl_info self;
  if (!dladdr(reinterpret_cast<void *>(&exportHooksGlobally), &self) ||
      !self.dli_fname)
    return "cannot find the stand-in libcuda's own file (dladdr)";
  if (!dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL))
    return std::string("cannot reopen ") + self.dli_fname +
           " with RTLD_GLOBAL: " + dlerror();
  return {};
}

/// Opens the host shared object `image` (a sim bundle's kernels) through a
/// temporary file, since dlopen reads files only.
CUresult loadSimModule(const char *call, const std::string &image,
                       CUmod_st &module) {
  if (image.empty())
    return fail(CUDA_ERROR_INVALID_IMAGE, call,
                "a host ELF image whose size its header does not give");
  if (std::string why = exportHooksGlobally(); !why.empty())
    return fail(CUDA_ERROR_INVALID_IMAGE, call, why);
  const char *tmp = std::getenv("TMPDIR");
  std::string path =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/kvcache-sim-XXXXXX";
  int fd = mkstemp(path.data());
  if (fd < 0)
    return fail(CUDA_ERROR_INVALID_IMAGE, call,
                "cannot create '" + path + "': " + std::strerror(errno));
  bool written = write(fd, image.data(), image.size()) == ssize_t(image.size());
  close(fd);
  void *library =
      written ? dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL) : nullptr;
  std::string why = written ? (library ? "" : dlerror()) : "short write";
  unlink(path.c_str());
  if (!library)
    return fail(CUDA_ERROR_INVALID_IMAGE, call,
                "cannot load the sim kernels (a host shared object): " + why);
  module.simLibrary = library;
  return CUDA_SUCCESS;
}

/// A sim kernel's parameters, from its `K_param_types` ("ptr,i64,f32"),
/// laid out as PTX would lay them out; `ptr`s must be device addresses.
bool simParams(const std::string &name, const char *types, PtxEntry &entry) {
  entry.name = name;
  size_t offset = 0;
  std::string text = types;
  size_t begin = 0;
  while (begin <= text.size() && !text.empty()) {
    size_t end = text.find(',', begin);
    if (end == std::string::npos)
      end = text.size();
    std::string type = text.substr(begin, end - begin);
    PtxParam param;
    param.name = name + "_param_" + std::to_string(entry.params.size());
    if (type == "ptr") {
      param.size = 8;
      param.isPointer = true;
    } else if (type.size() > 1 && (type[0] == 'i' || type[0] == 'f')) {
      int bits = std::atoi(type.c_str() + 1);
      if (bits <= 0)
        return false;
      param.size = static_cast<size_t>((bits + 7) / 8);
    } else if (type == "bf16") {
      param.size = 2;
    } else {
      return false;
    }
    param.align = param.size;
    offset = (offset + param.align - 1) / param.align * param.align;
    param.offset = offset;
    offset += param.size;
    entry.params.push_back(param);
    begin = end + 1;
  }
  return true;
}

CUresult loadModule(const char *call, CUmodule *result, const void *data) {
  State &s = state();
  if (!result || !data)
    return fail(CUDA_ERROR_INVALID_VALUE, call, "null module or image");
  auto module = std::make_unique<CUmod_st>();
  const auto *image = static_cast<const unsigned char *>(data);
  uint32_t magic;
  std::memcpy(&magic, image, 4);
  if (std::memcmp(image,
                  "\x7f"
                  "ELF",
                  4) == 0) {
    uint16_t machine;
    std::memcpy(&machine, image + 0x12, 2);
    module->format = machine == kElfMachineCuda ? "cubin" : "sim";
    if (size_t size = elfSize(image))
      module->image.assign(reinterpret_cast<const char *>(image), size);
    if (module->format == "sim")
      if (CUresult error = loadSimModule(call, module->image, *module))
        return error;
  } else if (magic == 0xBA55ED50u) {
    module->format = "fatbin";
  } else {
    module->format = "ptx";
    module->image = reinterpret_cast<const char *>(image);
    try {
      for (PtxEntry &entry : kvcache::fakecuda::parsePtxEntries(module->image))
        module->entries.emplace(entry.name, std::move(entry));
    } catch (const kvcache::fakecuda::PtxError &error) {
      return fail(CUDA_ERROR_INVALID_PTX, call, error.what());
    }
    module->ptxSource = "image";
  }
  if (module->format == "cubin" || module->format == "fatbin") {
    const char *directory = std::getenv("KVCACHE_FAKE_CUDA_PTX_DIR");
    if (directory && *directory)
      if (CUresult error = readPtxDirectory(call, directory, *module))
        return error;
  }
  std::string kernels = "[";
  for (const auto &[name, entry] : module->entries)
    kernels += (kernels.size() > 1 ? ", " : "") + quoteJson(name);
  log(JsonObject()
          .string("event", "module_load")
          .string("call", call)
          .string("format", module->format)
          .number("bytes", module->image.size())
          .string("ptx_source", module->ptxSource)
          .raw("kernels", kernels + "]"));
  CUmod_st *handle = module.get();
  s.modules.emplace(handle, std::move(module));
  *result = handle;
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Launch checks
//===----------------------------------------------------------------------===//

/// Checks one launch and writes its log line; returns the first problem.
CUresult checkLaunch(State &s, CUfunc_st *function, unsigned gridX,
                     unsigned gridY, unsigned gridZ, unsigned blockX,
                     unsigned blockY, unsigned blockZ, unsigned sharedBytes,
                     CUstream stream, void **params, void **extra) {
  const PtxEntry &entry = function->entry;
  JsonObject line;
  line.string("event", "launch")
      .string("kernel", entry.name)
      .raw("grid", jsonDims(gridX, gridY, gridZ))
      .raw("block", jsonDims(blockX, blockY, blockZ))
      .number("shared_bytes", sharedBytes)
      .number("stream", reinterpret_cast<uintptr_t>(stream))
      .number("num_params", entry.params.size());
  std::string problem;
  auto problemIf = [&](bool condition, const std::string &text) {
    if (condition && problem.empty())
      problem = text;
  };
  problemIf(!gridX || !gridY || !gridZ || !blockX || !blockY || !blockZ,
            "a zero grid or block dimension");
  problemIf(gridX > 0x7fffffffu || gridY > 65535 || gridZ > 65535,
            "grid " + jsonDims(gridX, gridY, gridZ) + " exceeds the limits");
  problemIf(uint64_t(blockX) * blockY * blockZ > 1024 || blockZ > 64,
            "block " + jsonDims(blockX, blockY, blockZ) +
                " has more than 1024 threads or z > 64");
  problemIf(static_cast<int>(sharedBytes) > function->sharedBytesAllowed,
            std::to_string(sharedBytes) +
                " bytes of dynamic shared memory; the kernel allows " +
                std::to_string(function->sharedBytesAllowed));
  problemIf(extra != nullptr,
            "'extra' is not supported by the stand-in (use kernelParams)");
  problemIf(!params && !entry.params.empty(),
            "kernelParams is null but the kernel takes " +
                std::to_string(entry.params.size()) + " parameters");

  std::string paramsJson = "[";
  if (params) {
    std::vector<Mapping> mappings = readableMappings();
    for (size_t i = 0; i < entry.params.size(); ++i) {
      const PtxParam &param = entry.params[i];
      JsonObject item;
      item.number("index", i)
          .string("name", param.name)
          .number("bytes", param.size)
          .boolean("ptr", param.isPointer);
      auto storage = reinterpret_cast<uintptr_t>(params[i]);
      if (!isHostAddress(mappings, storage, param.size)) {
        // The host code passed fewer parameters than the kernel takes, or
        // a bad pointer: the driver would read garbage.
        problemIf(true, "parameter " + std::to_string(i) + " ('" + param.name +
                            "'): its storage " + hex(storage) +
                            " is not readable host memory (does the host "
                            "code pass fewer than " +
                            std::to_string(entry.params.size()) +
                            " parameters?)");
        item.string("kind", "unreadable");
        paramsJson += (i ? ", " : "") + item.str();
        continue;
      }
      uint64_t value = 0;
      if (param.size <= 8)
        std::memcpy(&value, params[i], param.size);
      std::string kind = "value";
      if (param.size == 8) {
        if (const auto *allocation = findAllocation(s, value)) {
          kind = "device";
          item.number("allocation", allocation->first)
              .number("offset", value - allocation->first);
        } else if (value && isHostAddress(mappings, value)) {
          kind = "host";
        }
      }
      item.string("kind", kind);
      if (param.size <= 8)
        item.number("value", value);
      if (param.isPointer) {
        std::string where =
            "parameter " + std::to_string(i) + " ('" + param.name + "', .ptr)";
        problemIf(kind == "host", where + " holds host address " + hex(value) +
                                      ": host memory passed to a kernel");
        problemIf(kind == "value", where + " holds " + hex(value) +
                                       ", which is not in any device "
                                       "allocation");
        problemIf(kind == "device" && value % param.pointeeAlign != 0,
                  where + " holds " + hex(value) + ", not aligned to the " +
                      std::to_string(param.pointeeAlign) +
                      " bytes PTX declares");
      }
      paramsJson += (i ? ", " : "") + item.str();
    }
  }
  line.raw("params", paramsJson + "]");
  if (!problem.empty())
    line.string("error", problem);
  log(line);
  if (!problem.empty())
    return fail(CUDA_ERROR_INVALID_VALUE, "cuLaunchKernel",
                "kernel '" + entry.name + "': " + problem);
  return CUDA_SUCCESS;
}

bool knownStream(State &s, CUstream stream) {
  return !stream || s.streams.count(stream);
}

} // namespace

#define FAKE_API extern "C" __attribute__((visibility("default")))
#define LOCK                                                                   \
  State &s = state();                                                          \
  std::lock_guard<std::mutex> lock(s.mutex)
#define REQUIRE_INIT                                                           \
  if (!s.initialized)                                                          \
  return CUDA_ERROR_NOT_INITIALIZED
#define REQUIRE_CONTEXT(call)                                                  \
  REQUIRE_INIT;                                                                \
  if (currentContext != &s.context)                                            \
  return fail(CUDA_ERROR_INVALID_CONTEXT, call,                                \
              "no current context on this thread (cuCtxSetCurrent)")

//===----------------------------------------------------------------------===//
// Errors, initialisation, device
//===----------------------------------------------------------------------===//

namespace {
const std::pair<CUresult, std::pair<const char *, const char *>> kErrors[] = {
    {CUDA_SUCCESS, {"CUDA_SUCCESS", "no error"}},
    {CUDA_ERROR_INVALID_VALUE,
     {"CUDA_ERROR_INVALID_VALUE", "invalid argument"}},
    {CUDA_ERROR_OUT_OF_MEMORY, {"CUDA_ERROR_OUT_OF_MEMORY", "out of memory"}},
    {CUDA_ERROR_NOT_INITIALIZED,
     {"CUDA_ERROR_NOT_INITIALIZED", "initialization error"}},
    {CUDA_ERROR_NO_DEVICE,
     {"CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"}},
    {CUDA_ERROR_INVALID_DEVICE,
     {"CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"}},
    {CUDA_ERROR_INVALID_IMAGE,
     {"CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"}},
    {CUDA_ERROR_INVALID_CONTEXT,
     {"CUDA_ERROR_INVALID_CONTEXT", "invalid device context"}},
    {CUDA_ERROR_INVALID_PTX,
     {"CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"}},
    {CUDA_ERROR_INVALID_HANDLE,
     {"CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"}},
    {CUDA_ERROR_NOT_FOUND, {"CUDA_ERROR_NOT_FOUND", "named symbol not found"}},
    {CUDA_ERROR_NOT_READY, {"CUDA_ERROR_NOT_READY", "device not ready"}},
    {CUDA_ERROR_ILLEGAL_ADDRESS,
     {"CUDA_ERROR_ILLEGAL_ADDRESS",
      "an illegal memory access was encountered"}},
    {CUDA_ERROR_LAUNCH_FAILED,
     {"CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"}},
    {CUDA_ERROR_NOT_SUPPORTED,
     {"CUDA_ERROR_NOT_SUPPORTED", "operation not supported"}},
    {CUDA_ERROR_UNKNOWN, {"CUDA_ERROR_UNKNOWN", "unknown error"}},
};
} // namespace

FAKE_API CUresult cuGetErrorName(CUresult error, const char **name) {
  for (const auto &[code, text] : kErrors)
    if (code == error) {
      *name = text.first;
      return CUDA_SUCCESS;
    }
  *name = nullptr;
  return CUDA_ERROR_INVALID_VALUE;
}

FAKE_API CUresult cuGetErrorString(CUresult error, const char **message) {
  for (const auto &[code, text] : kErrors)
    if (code == error) {
      *message = text.second;
      return CUDA_SUCCESS;
    }
  *message = nullptr;
  return CUDA_ERROR_INVALID_VALUE;
}

FAKE_API CUresult cuInit(unsigned flags) {
  LOCK;
  const char *noDevice = std::getenv("KVCACHE_FAKE_CUDA_NO_DEVICE");
  if (noDevice && *noDevice)
    return CUDA_ERROR_NO_DEVICE;
  if (flags != 0)
    return fail(CUDA_ERROR_INVALID_VALUE, "cuInit", "flags must be 0");
  if (!s.initialized)
    log(JsonObject()
            .string("event", "init")
            .string("device", kDeviceName)
            .number("sms", kNumSms)
            .number("l2_bytes", kL2CacheBytes));
  s.initialized = true;
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuDriverGetVersion(int *version) {
  *version = kDriverVersion;
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuDeviceGetCount(int *count) {
  LOCK;
  REQUIRE_INIT;
  *count = 1;
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuDeviceGet(CUdevice *device, int ordinal) {
  LOCK;
  REQUIRE_INIT;
  if (ordinal != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  *device = 0;
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuDeviceGetName(char *name, int length, CUdevice device) {
  LOCK;
  REQUIRE_INIT;
  if (device != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  if (!name || length <= 0)
    return CUDA_ERROR_INVALID_VALUE;
  std::snprintf(name, static_cast<size_t>(length), "%s", kDeviceName);
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute which,
                                       CUdevice device) {
  LOCK;
  REQUIRE_INIT;
  if (device != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  switch (which) {
  case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT:
    *value = kNumSms;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE:
    *value = kL2CacheBytes;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR:
    *value = kComputeMajor;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR:
    *value = kComputeMinor;
    return CUDA_SUCCESS;
  case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN:
    *value = kSharedBytesOptIn;
    return CUDA_SUCCESS;
  default:
    return fail(CUDA_ERROR_INVALID_VALUE, "cuDeviceGetAttribute",
                "the stand-in does not know attribute " +
                    std::to_string(which));
  }
}

FAKE_API CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device) {
  LOCK;
  REQUIRE_INIT;
  *bytes = kTotalMemory;
  return device == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

FAKE_API CUresult cuDevicePrimaryCtxRetain(CUcontext *context,
                                           CUdevice device) {
  LOCK;
  REQUIRE_INIT;
  if (device != 0)
    return CUDA_ERROR_INVALID_DEVICE;
  *context = &s.context;
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuCtxSetCurrent(CUcontext context) {
  LOCK;
  REQUIRE_INIT;
  if (context && context != &s.context)
    return fail(CUDA_ERROR_INVALID_CONTEXT, "cuCtxSetCurrent",
                "unknown context");
  currentContext = context;
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Modules and functions
//===----------------------------------------------------------------------===//

FAKE_API CUresult cuModuleLoadData(CUmodule *module, const void *image) {
  LOCK;
  REQUIRE_CONTEXT("cuModuleLoadData");
  return loadModule("cuModuleLoadData", module, image);
}

FAKE_API CUresult cuModuleLoadDataEx(CUmodule *module, const void *image,
                                     unsigned numOptions, CUjit_option *options,
                                     void **values) {
  LOCK;
  REQUIRE_CONTEXT("cuModuleLoadDataEx");
  return loadModule("cuModuleLoadDataEx", module, image);
}

FAKE_API CUresult cuModuleUnload(CUmodule module) {
  LOCK;
  REQUIRE_CONTEXT("cuModuleUnload");
  auto it = s.modules.find(module);
  if (it == s.modules.end())
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuModuleUnload", "unknown module");
  s.modules.erase(it);
  log(JsonObject().string("event", "module_unload"));
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuModuleGetFunction(CUfunction *function, CUmodule module,
                                      const char *name) {
  LOCK;
  REQUIRE_CONTEXT("cuModuleGetFunction");
  auto it = s.modules.find(module);
  if (it == s.modules.end())
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuModuleGetFunction",
                "unknown module");
  CUmod_st &loaded = *it->second;
  std::string kernel = name ? name : "";
  if (loaded.simLibrary && !loaded.entries.count(kernel)) {
    // A sim kernel: its entry and parameter types are symbols of the module.
    std::string packed = kernel + std::string(kvcache::sim::kPackedSuffix);
    std::string typesName =
        kernel + std::string(kvcache::sim::kParamTypesSuffix);
    void *entryPoint = dlsym(loaded.simLibrary, packed.c_str());
    const auto *types =
        static_cast<const char *>(dlsym(loaded.simLibrary, typesName.c_str()));
    if (!entryPoint || !types)
      return fail(CUDA_ERROR_NOT_FOUND, "cuModuleGetFunction",
                  "no kernel '" + kernel + "' in the sim module (" + packed +
                      " or " + typesName + " missing)");
    PtxEntry params;
    if (!simParams(kernel, types, params))
      return fail(CUDA_ERROR_INVALID_IMAGE, "cuModuleGetFunction",
                  "kernel '" + kernel + "': unreadable parameter types '" +
                      types + "'");
    loaded.entries.emplace(kernel, std::move(params));
    std::unique_ptr<CUfunc_st> &slot = loaded.functions[kernel];
    slot = std::make_unique<CUfunc_st>();
    slot->module = &loaded;
    slot->entry = loaded.entries[kernel];
    slot->simEntry = reinterpret_cast<SimEntry>(entryPoint);
  }
  auto entry = loaded.entries.find(kernel);
  if (entry == loaded.entries.end()) {
    if (loaded.ptxSource.empty())
      return fail(CUDA_ERROR_NOT_FOUND, "cuModuleGetFunction",
                  "no PTX for kernel '" + kernel +
                      "': set KVCACHE_FAKE_CUDA_PTX_DIR to the bundle "
                      "directory (its *.ptx files)");
    return fail(CUDA_ERROR_NOT_FOUND, "cuModuleGetFunction",
                "no .entry '" + kernel + "' in the PTX of " + loaded.ptxSource);
  }
  if (loaded.format == "cubin" && !loaded.image.empty() &&
      loaded.image.find(std::string(1, '\0') + kernel + std::string(1, '\0')) ==
          std::string::npos)
    return fail(CUDA_ERROR_NOT_FOUND, "cuModuleGetFunction",
                "kernel '" + kernel + "' is in the PTX of " + loaded.ptxSource +
                    " but not in the loaded cubin (PTX from another bundle?)");
  std::unique_ptr<CUfunc_st> &slot = loaded.functions[kernel];
  if (!slot) {
    slot = std::make_unique<CUfunc_st>();
    slot->module = &loaded;
    slot->entry = entry->second;
  }
  log(JsonObject()
          .string("event", "get_function")
          .string("kernel", kernel)
          .number("num_params", slot->entry.params.size()));
  *function = slot.get();
  return CUDA_SUCCESS;
}

namespace {
bool knownFunction(State &s, CUfunction function) {
  for (const auto &[handle, module] : s.modules)
    for (const auto &[name, candidate] : module->functions)
      if (candidate.get() == function)
        return true;
  return false;
}
} // namespace

FAKE_API CUresult cuFuncGetParamInfo(CUfunction function, size_t index,
                                     size_t *offset, size_t *size) {
  LOCK;
  REQUIRE_INIT;
  if (!knownFunction(s, function))
    return CUDA_ERROR_INVALID_HANDLE;
  // Past the last parameter is how callers find the count: no message.
  if (index >= function->entry.params.size())
    return CUDA_ERROR_INVALID_VALUE;
  if (offset)
    *offset = function->entry.params[index].offset;
  if (size)
    *size = function->entry.params[index].size;
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuFuncSetAttribute(CUfunction function,
                                     CUfunction_attribute attribute,
                                     int value) {
  LOCK;
  REQUIRE_INIT;
  if (!knownFunction(s, function))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuFuncSetAttribute",
                "unknown function");
  if (attribute == CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES) {
    if (value < 0 || value > kSharedBytesOptIn)
      return fail(CUDA_ERROR_INVALID_VALUE, "cuFuncSetAttribute",
                  std::to_string(value) +
                      " bytes of dynamic shared memory; the device allows " +
                      std::to_string(kSharedBytesOptIn));
    function->sharedBytesAllowed = value;
  }
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuLaunchKernel(CUfunction function, unsigned gridX,
                                 unsigned gridY, unsigned gridZ,
                                 unsigned blockX, unsigned blockY,
                                 unsigned blockZ, unsigned sharedBytes,
                                 CUstream stream, void **params, void **extra) {
  LOCK;
  REQUIRE_CONTEXT("cuLaunchKernel");
  if (!knownFunction(s, function))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuLaunchKernel",
                "unknown function " +
                    hex(reinterpret_cast<uintptr_t>(function)));
  if (!knownStream(s, stream))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuLaunchKernel", "unknown stream");
  if (CUresult error =
          checkLaunch(s, function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                      sharedBytes, stream, params, extra))
    return error;
  if (!function->simEntry)
    return CUDA_SUCCESS;
  auto started = std::chrono::steady_clock::now();
  SimEntry entry = function->simEntry;
  const char *order = std::getenv("KVCACHE_FAKE_CUDA_SIM_ORDER");
  auto schedule = order && std::string(order) == "reverse"
                      ? kvcache::fakecuda::Schedule::Reverse
                      : kvcache::fakecuda::Schedule::Forward;
  std::string problem = kvcache::fakecuda::simulateLaunch(
      function->entry.name, {gridX, gridY, gridZ}, {blockX, blockY, blockZ},
      [&] { entry(params); }, schedule);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  JsonObject line;
  line.string("event", "simulated")
      .string("kernel", function->entry.name)
      .number("microseconds", static_cast<uint64_t>(micros))
      .boolean("ok", problem.empty());
  log(line);
  if (!problem.empty())
    return fail(CUDA_ERROR_LAUNCH_FAILED, "cuLaunchKernel", problem);
  return CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Streams and events: everything is synchronous here.
//===----------------------------------------------------------------------===//

FAKE_API CUresult cuStreamCreate(CUstream *stream, unsigned flags) {
  LOCK;
  REQUIRE_CONTEXT("cuStreamCreate");
  auto created = std::make_unique<CUstream_st>();
  created->flags = flags;
  *stream = created.get();
  s.streams.emplace(created.get(), std::move(created));
  log(JsonObject()
          .string("event", "stream_create")
          .number("stream", reinterpret_cast<uintptr_t>(*stream)));
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuStreamDestroy_v2(CUstream stream) {
  LOCK;
  REQUIRE_INIT;
  if (!s.streams.erase(stream))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuStreamDestroy", "unknown stream");
  log(JsonObject()
          .string("event", "stream_destroy")
          .number("stream", reinterpret_cast<uintptr_t>(stream)));
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuStreamSynchronize(CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuStreamSynchronize");
  if (!knownStream(s, stream))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuStreamSynchronize",
                "unknown stream");
  log(JsonObject()
          .string("event", "stream_synchronize")
          .number("stream", reinterpret_cast<uintptr_t>(stream)));
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuStreamWaitEvent(CUstream stream, CUevent event,
                                    unsigned flags) {
  LOCK;
  REQUIRE_CONTEXT("cuStreamWaitEvent");
  if (!knownStream(s, stream) || !s.events.count(event))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuStreamWaitEvent",
                "unknown stream or event");
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuEventCreate(CUevent *event, unsigned flags) {
  LOCK;
  REQUIRE_CONTEXT("cuEventCreate");
  auto created = std::make_unique<CUevent_st>();
  created->flags = flags;
  *event = created.get();
  s.events.emplace(created.get(), std::move(created));
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuEventDestroy_v2(CUevent event) {
  LOCK;
  REQUIRE_INIT;
  if (!s.events.erase(event))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventDestroy", "unknown event");
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuEventRecord(CUevent event, CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuEventRecord");
  if (!s.events.count(event) || !knownStream(s, stream))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventRecord",
                "unknown event or stream");
  event->recorded = true;
  event->time = std::chrono::steady_clock::now();
  log(JsonObject()
          .string("event", "event_record")
          .number("stream", reinterpret_cast<uintptr_t>(stream)));
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuEventSynchronize(CUevent event) {
  LOCK;
  REQUIRE_INIT;
  if (!s.events.count(event))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventSynchronize",
                "unknown event");
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuEventElapsedTime_v2(float *milliseconds, CUevent start,
                                        CUevent end) {
  LOCK;
  REQUIRE_INIT;
  if (!s.events.count(start) || !s.events.count(end))
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime",
                "unknown event");
  if ((start->flags | end->flags) & CU_EVENT_DISABLE_TIMING)
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime",
                "an event was created with CU_EVENT_DISABLE_TIMING");
  if (!start->recorded || !end->recorded)
    return fail(CUDA_ERROR_INVALID_HANDLE, "cuEventElapsedTime",
                "an event was never recorded");
  *milliseconds =
      std::chrono::duration<float, std::milli>(end->time - start->time).count();
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuEventElapsedTime(float *milliseconds, CUevent start,
                                     CUevent end) {
  return cuEventElapsedTime_v2(milliseconds, start, end);
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

namespace {

CUresult allocate(const char *call, CUdeviceptr *pointer, size_t bytes,
                  bool managed) {
  State &s = state();
  if (!pointer || bytes == 0)
    return fail(CUDA_ERROR_INVALID_VALUE, call, "zero bytes or null result");
  size_t rounded = (bytes + kAllocationAlignment - 1) / kAllocationAlignment *
                   kAllocationAlignment;
  if (s.allocatedBytes + rounded > kTotalMemory)
    return fail(CUDA_ERROR_OUT_OF_MEMORY, call,
                std::to_string(bytes) + " bytes exceed the stand-in's " +
                    std::to_string(kTotalMemory) + " bytes");
  void *memory = std::aligned_alloc(kAllocationAlignment, rounded);
  if (!memory)
    return fail(CUDA_ERROR_OUT_OF_MEMORY, call,
                "host allocation of " + std::to_string(rounded) +
                    " bytes failed");
  std::memset(memory, 0, rounded);
  auto address = reinterpret_cast<uintptr_t>(memory);
  s.allocations[address] = bytes;
  s.allocatedBytes += rounded;
  *pointer = address;
  log(JsonObject()
          .string("event", "alloc")
          .number("address", address)
          .number("bytes", bytes)
          .boolean("managed", managed));
  return CUDA_SUCCESS;
}

/// A copy between host and device memory, `direction` being "htod",
/// "dtoh", "dtod" or, for cuMemcpyAsync, whatever the addresses say.
CUresult copy(const char *call, uintptr_t destination, uintptr_t source,
              size_t bytes, CUstream stream, const char *direction) {
  State &s = state();
  if (!knownStream(s, stream))
    return fail(CUDA_ERROR_INVALID_HANDLE, call, "unknown stream");
  std::string kind = direction;
  if (kind.empty())
    kind = std::string(findAllocation(s, source) ? "d" : "h") + "to" +
           (findAllocation(s, destination) ? "d" : "h");
  if (kind[0] == 'd')
    if (std::string why = checkDeviceRange(s, source, bytes); !why.empty())
      return fail(CUDA_ERROR_INVALID_VALUE, call, "source " + why);
  if (kind[3] == 'd')
    if (std::string why = checkDeviceRange(s, destination, bytes); !why.empty())
      return fail(CUDA_ERROR_INVALID_VALUE, call, "destination " + why);
  if (bytes)
    std::memmove(reinterpret_cast<void *>(destination),
                 reinterpret_cast<const void *>(source), bytes);
  log(JsonObject()
          .string("event", "memcpy")
          .string("kind", kind)
          .number("destination", destination)
          .number("source", source)
          .number("bytes", bytes));
  return CUDA_SUCCESS;
}

template <typename T>
CUresult fill(const char *call, CUdeviceptr destination, T value, size_t count,
              CUstream stream) {
  State &s = state();
  if (!knownStream(s, stream))
    return fail(CUDA_ERROR_INVALID_HANDLE, call, "unknown stream");
  if (destination % sizeof(T))
    return fail(CUDA_ERROR_INVALID_VALUE, call,
                hex(destination) + " is not aligned to " +
                    std::to_string(sizeof(T)) + " bytes");
  if (std::string why = checkDeviceRange(s, destination, count * sizeof(T));
      !why.empty())
    return fail(CUDA_ERROR_INVALID_VALUE, call, why);
  T *elements = reinterpret_cast<T *>(destination);
  std::fill(elements, elements + count, value);
  log(JsonObject()
          .string("event", "memset")
          .number("destination", destination)
          .number("bytes", count * sizeof(T)));
  return CUDA_SUCCESS;
}

} // namespace

FAKE_API CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  LOCK;
  REQUIRE_CONTEXT("cuMemAlloc");
  return allocate("cuMemAlloc", pointer, bytes, false);
}

FAKE_API CUresult cuMemAllocManaged(CUdeviceptr *pointer, size_t bytes,
                                    unsigned flags) {
  LOCK;
  REQUIRE_CONTEXT("cuMemAllocManaged");
  return allocate("cuMemAllocManaged", pointer, bytes, true);
}

FAKE_API CUresult cuMemFree_v2(CUdeviceptr pointer) {
  LOCK;
  REQUIRE_CONTEXT("cuMemFree");
  auto it = s.allocations.find(pointer);
  if (it == s.allocations.end())
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemFree",
                hex(pointer) + " is not the start of a device allocation");
  s.allocatedBytes -= (it->second + kAllocationAlignment - 1) /
                      kAllocationAlignment * kAllocationAlignment;
  s.allocations.erase(it);
  std::free(reinterpret_cast<void *>(pointer));
  log(JsonObject().string("event", "free").number("address", pointer));
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuMemGetInfo_v2(size_t *free, size_t *total) {
  LOCK;
  REQUIRE_CONTEXT("cuMemGetInfo");
  *free = kTotalMemory - s.allocatedBytes;
  *total = kTotalMemory;
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuMemcpyAsync(CUdeviceptr destination, CUdeviceptr source,
                                size_t bytes, CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuMemcpyAsync");
  return copy("cuMemcpyAsync", destination, source, bytes, stream, "");
}

FAKE_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr destination,
                                       const void *source, size_t bytes,
                                       CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuMemcpyHtoDAsync");
  return copy("cuMemcpyHtoDAsync", destination,
              reinterpret_cast<uintptr_t>(source), bytes, stream, "htod");
}

FAKE_API CUresult cuMemcpyDtoHAsync_v2(void *destination, CUdeviceptr source,
                                       size_t bytes, CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuMemcpyDtoHAsync");
  return copy("cuMemcpyDtoHAsync", reinterpret_cast<uintptr_t>(destination),
              source, bytes, stream, "dtoh");
}

FAKE_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr destination,
                                       CUdeviceptr source, size_t bytes,
                                       CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuMemcpyDtoDAsync");
  return copy("cuMemcpyDtoDAsync", destination, source, bytes, stream, "dtod");
}

FAKE_API CUresult cuMemsetD8Async(CUdeviceptr destination, unsigned char value,
                                  size_t count, CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuMemsetD8Async");
  return fill("cuMemsetD8Async", destination, value, count, stream);
}

FAKE_API CUresult cuMemsetD16Async(CUdeviceptr destination,
                                   unsigned short value, size_t count,
                                   CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuMemsetD16Async");
  return fill("cuMemsetD16Async", destination, value, count, stream);
}

FAKE_API CUresult cuMemsetD32Async(CUdeviceptr destination, unsigned value,
                                   size_t count, CUstream stream) {
  LOCK;
  REQUIRE_CONTEXT("cuMemsetD32Async");
  return fill("cuMemsetD32Async", destination, value, count, stream);
}

FAKE_API CUresult cuMemHostRegister_v2(void *pointer, size_t bytes,
                                       unsigned flags) {
  LOCK;
  REQUIRE_CONTEXT("cuMemHostRegister");
  if (!pointer || !bytes)
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemHostRegister",
                "null pointer or zero bytes");
  s.hostRegistrations[reinterpret_cast<uintptr_t>(pointer)] = bytes;
  return CUDA_SUCCESS;
}

FAKE_API CUresult cuMemHostUnregister(void *pointer) {
  LOCK;
  REQUIRE_CONTEXT("cuMemHostUnregister");
  if (!s.hostRegistrations.erase(reinterpret_cast<uintptr_t>(pointer)))
    return fail(CUDA_ERROR_INVALID_VALUE, "cuMemHostUnregister",
                "the pointer was not registered");
  return CUDA_SUCCESS;
}
