//===- RuntimeAPICall.cpp - Binding and running a bundle's entry from C ---===//
//
// A run builds the entry's arguments as borrowed arrays over the caller's
// memory (Array::borrow), so kvcache-run's checks (checkArgument,
// checkCacheConsistency) and descriptor packing apply unchanged. A GPU run
// happens under a CallScope: the bundle's host code launches on the
// caller's stream, takes its split-K workspace from the caller's workspace
// and its fault word from that workspace's first bytes, and latches its
// failures in the call, so runs on two threads do not meet.
//
//===----------------------------------------------------------------------===//

#include "RuntimeAPI.h"

#include "kvcache/Runtime/ArgumentCheck.h"
#include "kvcache/Runtime/Consistency.h"
#include "kvcache/Runtime/DeviceArguments.h"
#include "kvcache/Runtime/InputFault.h"

#include <algorithm>
#include <cstring>

using namespace kvcache;
using namespace kvcache::runtime;
using namespace kvcache::runtime::capi;

namespace {

/// The fault word's share of a GPU call's workspace: 8 bytes, rounded up
/// so that the bundle's part stays as aligned as the caller's buffer.
constexpr uint64_t kFaultWordBytes = 256;

/// The alignment every bound memref needs: the kernels' widest vector
/// loads.
constexpr uintptr_t kBindAlignment = 16;

uint64_t roundUp(uint64_t value, uint64_t granule) {
  return (value + granule - 1) / granule * granule;
}

bool isStatic(const ManifestArgument &argument) {
  return std::all_of(argument.shape.begin(), argument.shape.end(),
                     [](int64_t dim) { return dim >= 0; });
}

/// The accepted dtype whose descr is `descr`.
DType parseBoundDType(const ManifestArgument &argument, const char *descr) {
  for (const DType &dtype : acceptedDTypes(argument.elementType))
    if (dtype.descr() == descr)
      return dtype;
  throw InputError(argument.describe() + ": expected dtype " +
                   describeAcceptedDTypes(argument.elementType) + ", got '" +
                   printable(descr) + "'");
}

/// Device buffers a GPU run made for host memory (and for unbound
/// workspaces), freed when the run ends.
class DeviceCopies {
public:
  explicit DeviceCopies(CudaRuntime &runtime) : runtime(runtime) {}
  ~DeviceCopies() {
    for (const Copy &copy : copies)
      runtime.freeDevice(copy.device);
  }
  DeviceCopies(const DeviceCopies &) = delete;
  DeviceCopies &operator=(const DeviceCopies &) = delete;

  /// A device buffer of `bytes` holding `host`'s bytes (zeros when `host`
  /// is null); `copyBack` marks it for copyBack().
  void *add(const ManifestArgument &argument, void *host, size_t bytes,
            bool copyBack) {
    cuda::CUdeviceptr device =
        runtime.allocateDevice(bytes, argument.describe());
    copies.push_back({device, host, bytes, copyBack});
    if (host)
      runtime.copyToDevice(device, host, bytes);
    else
      runtime.fill(device, 0, bytes);
    return reinterpret_cast<void *>(static_cast<uintptr_t>(device));
  }
  /// Copies the outputs and caches back into the caller's host memory.
  void copyBack() {
    for (const Copy &copy : copies)
      if (copy.copyBack)
        runtime.copyToHost(copy.host, copy.device, copy.bytes);
  }

private:
  struct Copy {
    cuda::CUdeviceptr device;
    void *host;
    size_t bytes;
    bool copyBack;
  };
  CudaRuntime &runtime;
  std::vector<Copy> copies;
};

bool writtenBack(const ManifestArgument &argument) {
  return argument.role == ArgumentRole::Output ||
         argument.role == ArgumentRole::InOut ||
         argument.role == ArgumentRole::Cache;
}

/// Throws InputError for the first argument the caller left unbound, but
/// a workspace of static shape, which the call fills with zeros.
void requireBound(const ManifestFunction &function,
                  const std::vector<kvcache_binding> &bindings) {
  for (const ManifestArgument &argument : function.arguments) {
    const kvcache_binding &binding = bindings[argument.index];
    if (binding.bound ||
        (argument.role == ArgumentRole::Workspace && isStatic(argument)))
      continue;
    throw InputError(argument.describe() + " of '" + function.name +
                     "' is not bound (kvcache_call_bind)");
  }
}

/// Whether every memref argument the caller bound is in host memory: the
/// cache fields' contents can then be cross-checked before the call.
bool allOnHost(const ManifestFunction &function,
               const std::vector<kvcache_binding> &bindings) {
  for (const ManifestArgument &argument : function.arguments)
    if (argument.kind == ArgumentKind::MemRef &&
        bindings[argument.index].bound &&
        bindings[argument.index].memory != KVCACHE_MEMORY_HOST)
      return false;
  return true;
}

/// The caller's arrays as bound, as views; zeros for unbound workspaces.
std::vector<Array> hostViews(const ManifestFunction &function,
                             const std::vector<kvcache_binding> &bindings) {
  std::vector<Array> arrays;
  for (const ManifestArgument &argument : function.arguments) {
    const kvcache_binding &binding = bindings[argument.index];
    if (binding.bound)
      arrays.push_back(
          Array::borrow(binding.dtype, binding.shape, binding.data));
    else
      arrays.push_back(
          Array(acceptedDTypes(argument.elementType).front(), argument.shape));
  }
  return arrays;
}

/// Throws FaultError with the fault the call's guards latched, if any.
void checkInputFault() {
  if (std::optional<InputFault> fault = takeInputFault())
    throw FaultError(fault->message());
}

} // namespace

//===----------------------------------------------------------------------===//
// kvcache_call
//===----------------------------------------------------------------------===//

kvcache_call::~kvcache_call() {
  if (ownWorkspace) {
    CudaRuntime &runtime = *bundle->runtime;
    try {
      runtime.makeCurrentOrThrow();
      // A stream-ordered run's kernels may still use the workspace.
      if (pending)
        runtime.check(runtime.driver().cuStreamSynchronize(pending->stream),
                      "cuStreamSynchronize");
    } catch (const DeviceError &) {
      // Freed all the same; the device is failing anyway.
    }
    runtime.freeDevice(ownWorkspace);
  }
  --bundle->liveCalls;
}

void kvcache_call::bind(const char *name, void *data, const char *dtype,
                        size_t rank, const int64_t *shape,
                        kvcache_memory memory) {
  requireNonNull(name, "name");
  const ManifestArgument *argument = function->findArgument(name);
  if (!argument) {
    std::string names;
    for (const ManifestArgument &candidate : function->arguments)
      names += (names.empty() ? "" : ", ") + candidate.name;
    throw InputError("'" + function->name + "' has no argument '" +
                     printable(name) + "'; it has: " + names);
  }
  requireNonNull(dtype, "dtype");
  if (rank && !shape)
    throw UsageError(argument->describe() + ": shape is null for rank " +
                     std::to_string(rank));
  if (memory != KVCACHE_MEMORY_HOST && memory != KVCACHE_MEMORY_DEVICE)
    throw UsageError(argument->describe() + ": memory kind " +
                     std::to_string(static_cast<int>(memory)) +
                     " is neither KVCACHE_MEMORY_HOST nor "
                     "KVCACHE_MEMORY_DEVICE");
  if (!data)
    throw InputError(argument->describe() + ": data is null");
  if (reinterpret_cast<uintptr_t>(data) % kBindAlignment)
    throw InputError(argument->describe() + ": data at " +
                     std::to_string(reinterpret_cast<uintptr_t>(data)) +
                     " is not aligned to " + std::to_string(kBindAlignment) +
                     " bytes");
  if (memory == KVCACHE_MEMORY_DEVICE) {
    if (!bundle->gpu)
      throw InputError(argument->describe() +
                       ": device memory given to a CPU bundle (target 'cpu')");
    if (argument->kind == ArgumentKind::Scalar ||
        argument->placement == ArgumentPlacement::Host)
      throw InputError(argument->describe() +
                       ": the host code reads it (placement host), so it "
                       "must be in host memory, got device memory");
  }
  std::vector<int64_t> dims(shape, shape + rank);
  DType type = parseBoundDType(*argument, dtype);
  // A borrowed view checks the shape (negative or overflowing dims) and
  // lets checkArgument say what the compiled code expects.
  checkArgument(*argument, Array::borrow(type, dims, data));
  kvcache_binding &binding = bindings[argument->index];
  binding = {true, type, std::move(dims), data, memory};
}

std::string kvcache_call::describeFunction() const {
  return "function '" + function->name + "' (" + function->entry + ")";
}

void kvcache_call::run(const kvcache_run_options &options) {
  // A run must not reuse the workspace or fault word of one in flight.
  wait();
  requireBound(*function, bindings);
  if (bundle->gpu)
    runOnGpu(options);
  else
    runOnCpu(options);
}

void kvcache_call::runOnCpu(const kvcache_run_options &options) {
  std::vector<Array> arrays = hostViews(*function, bindings);
  if (!(options.flags & KVCACHE_RUN_NO_CACHE_CHECKS))
    checkCacheConsistency(*function, arrays);
  takeInputFault(); // None belongs to this call yet.
  invoke(entry, *function, arrays);
  // A GPU bundle whose manifest says "cpu": its mgpu* calls found no device.
  if (std::optional<CudaFailure> failure = takeUnservedCall())
    throw DeviceError(describeFunction() + ": " + failure->message() +
                      " (the bundle calls the GPU runtime, but its "
                      "manifest's target is 'cpu')");
  checkInputFault();
}

uint64_t kvcache_call::workspaceBytes() {
  if (!bundle->gpu)
    return 0;
  bundle->runtime->makeCurrentOrThrow();
  for (const ManifestArgument &argument : function->arguments)
    if (argument.placement == ArgumentPlacement::Host ||
        argument.kind == ArgumentKind::Scalar)
      if (!bindings[argument.index].bound &&
          argument.role != ArgumentRole::Workspace)
        throw InputError(argument.describe() +
                         " is read by the host code, which sizes the "
                         "workspace: bind it first");
  // Device memory is never dereferenced by the host code, so every binding
  // serves as it is.
  std::vector<Array> arrays = hostViews(*function, bindings);
  PackedArguments packed(*function, arrays);
  CallContext measure;
  measure.measure = true;
  {
    CallScope scope(measure);
    entry(packed.data());
  }
  takeInputFault(); // The run reports it.
  if (std::optional<CudaFailure> failure =
          bundle->runtime->takeFailure(measure))
    throw DeviceError(describeFunction() + ": " + failure->message());
  return kFaultWordBytes + roundUp(measure.workspaceAsked, kFaultWordBytes);
}

void kvcache_call::runOnGpu(const kvcache_run_options &options) {
  CudaRuntime &runtime = *bundle->runtime;
  runtime.makeCurrentOrThrow();
  std::vector<Array> host = hostViews(*function, bindings);
  if (!(options.flags & KVCACHE_RUN_NO_CACHE_CHECKS) &&
      allOnHost(*function, bindings))
    checkCacheConsistency(*function, host);

  // The workspace: the caller's, or the call's own, grown to what the host
  // code asks for with these arguments.
  cuda::CUdeviceptr workspace = options.workspace;
  uint64_t workspaceBytes = options.workspace_bytes;
  if (!workspace) {
    uint64_t needed = this->workspaceBytes();
    if (needed > ownWorkspaceBytes) {
      runtime.freeDevice(ownWorkspace);
      ownWorkspace = 0;
      ownWorkspaceBytes = 0;
      ownWorkspace = runtime.allocateDevice(needed, "the call's workspace");
      ownWorkspaceBytes = needed;
    }
    workspace = ownWorkspace;
    workspaceBytes = ownWorkspaceBytes;
  } else if (workspace % kBindAlignment) {
    throw InputError("the workspace at " + std::to_string(workspace) +
                     " is not aligned to " + std::to_string(kBindAlignment) +
                     " bytes");
  }
  if (workspaceBytes < kFaultWordBytes)
    throw InputError("the workspace holds " + std::to_string(workspaceBytes) +
                     " bytes; a GPU call needs at least " +
                     std::to_string(kFaultWordBytes) +
                     " (kvcache_call_workspace_bytes says how many)");

  bool streamOrdered = options.flags & KVCACHE_RUN_STREAM_ORDERED;
  // Host memory bound to device-placed arguments travels to the device.
  DeviceCopies copies(runtime);
  std::vector<Array> arrays;
  for (const ManifestArgument &argument : function->arguments) {
    Array &view = host[argument.index];
    const kvcache_binding &binding = bindings[argument.index];
    bool copy = isOnDevice(argument) &&
                (!binding.bound || binding.memory == KVCACHE_MEMORY_HOST);
    if (!copy) {
      arrays.push_back(std::move(view));
      continue;
    }
    // Copies are freed when the run returns, before its kernels are done.
    if (streamOrdered)
      throw InputError(argument.describe() +
                       (binding.bound ? ": a stream-ordered run reads "
                                        "device-placed arguments in place, "
                                        "got host memory"
                                      : ": a stream-ordered run needs every "
                                        "device-placed argument bound, "
                                        "workspaces too"));
    void *device =
        copies.add(argument, binding.bound ? view.data() : nullptr,
                   view.numBytes(), binding.bound && writtenBack(argument));
    arrays.push_back(Array::borrow(view.dtype(), view.shape(), device));
  }

  CallContext call;
  call.streamOrdered = streamOrdered;
  call.stream = static_cast<cuda::CUstream>(options.stream);
  call.faultWord = workspace;
  call.workspace = workspace + kFaultWordBytes;
  call.workspaceBytes = workspaceBytes - kFaultWordBytes;
  cuda::CUresult cleared =
      runtime.driver().cuMemsetD32Async(call.faultWord, 0, 2, call.stream);
  runtime.check(cleared, "cuMemsetD32Async of the fault word");
  PackedArguments packed(*function, arrays);
  takeInputFault(); // None belongs to this call yet.
  {
    CallScope scope(call);
    entry(packed.data());
  }
  if (std::optional<CudaFailure> failure =
          runtime.takeFailure(call, /*wait=*/!streamOrdered))
    throw DeviceError(describeFunction() + ": " + failure->message());
  if (streamOrdered) {
    pending = std::move(call);
    return;
  }
  // What the call left, faults or not: the guards' effect can be seen.
  copies.copyBack();
  checkInputFault();
}

void kvcache_call::wait() {
  if (!pending)
    return;
  CallContext call = std::move(*pending);
  pending.reset();
  bundle->runtime->makeCurrentOrThrow();
  takeInputFault(); // None belongs to the pending run but what it finds.
  if (std::optional<CudaFailure> failure = bundle->runtime->takeFailure(call))
    throw DeviceError(describeFunction() + ": " + failure->message());
  checkInputFault();
}

//===----------------------------------------------------------------------===//
// The C functions
//===----------------------------------------------------------------------===//

kvcache_status kvcache_call_create(kvcache_bundle *bundle, const char *entry,
                                   kvcache_call **call) {
  return guarded([&] {
    requireNonNull(bundle, "bundle");
    requireNonNull(call, "call");
    *call = nullptr;
    size_t index = bundle->functionIndex(entry);
    auto created = std::make_unique<kvcache_call>();
    created->bundle = bundle;
    created->function = &bundle->manifest.functions[index];
    created->entry = bundle->entries[index];
    created->bindings.resize(created->function->arguments.size());
    ++bundle->liveCalls;
    *call = created.release();
  });
}

void kvcache_call_destroy(kvcache_call *call) { delete call; }

kvcache_status kvcache_call_bind(kvcache_call *call, const char *name,
                                 void *data, const char *dtype, size_t rank,
                                 const int64_t *shape, kvcache_memory memory) {
  return guarded([&] {
    requireNonNull(call, "call");
    call->bind(name, data, dtype, rank, shape, memory);
  });
}

kvcache_status kvcache_call_wait(kvcache_call *call) {
  return guarded([&] {
    requireNonNull(call, "call");
    call->wait();
  });
}

kvcache_status kvcache_call_workspace_bytes(kvcache_call *call,
                                            uint64_t *bytes) {
  return guarded([&] {
    requireNonNull(call, "call");
    requireNonNull(bytes, "bytes");
    *bytes = call->workspaceBytes();
  });
}

kvcache_status kvcache_call_run(kvcache_call *call,
                                const kvcache_run_options *options) {
  return guarded([&] {
    requireNonNull(call, "call");
    call->run(options ? *options : kvcache_run_options{});
  });
}
