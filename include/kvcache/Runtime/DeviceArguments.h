//===- DeviceArguments.h - A call's arguments on a CUDA device --*- C++ -*-===//
//
// Binds a function's arguments for a call through a GPU bundle: each memref
// goes where its manifest "placement" says. A device memref gets a device
// buffer (a copy of its array; zeros for a workspace) and its descriptor's
// allocated and aligned pointers are the device address, with the array's
// sizes and strides. A host memref (max_lengths, MHA dispatch metadata: the
// host code reads them to size its launches) and every scalar stay in host
// memory, exactly as for a CPU bundle.
//
//===----------------------------------------------------------------------===//

#ifndef KVCACHE_RUNTIME_DEVICEARGUMENTS_H
#define KVCACHE_RUNTIME_DEVICEARGUMENTS_H

#include "kvcache/Runtime/CudaRuntime.h"
#include "kvcache/Runtime/EntryPoint.h"

#include <memory>
#include <vector>

namespace kvcache::runtime {

/// Whether argument `argument` lives in device memory for a CUDA call:
/// memrefs placed on the device do; scalars never (they are passed by
/// value).
bool isOnDevice(const ManifestArgument &argument);

class DeviceArguments {
public:
  /// `arrays[i]` is bound to `function.arguments[i]` and checked. Device
  /// buffers are allocated and filled on `runtime`'s stream, and the call is
  /// ready when this returns. Throws DeviceError.
  DeviceArguments(CudaRuntime &runtime, const ManifestFunction &function,
                  std::vector<Array> &arrays);
  /// Frees the device buffers.
  ~DeviceArguments();
  DeviceArguments(const DeviceArguments &) = delete;
  DeviceArguments &operator=(const DeviceArguments &) = delete;

  /// The entry's `void **args`.
  void **data() { return packed->data(); }
  /// The address argument `index`'s descriptor points at (device or host);
  /// null for a scalar.
  const void *address(size_t index) const;
  bool onDevice(size_t index) const { return devicePointers[index] != 0; }
  /// Bytes of argument `index`'s array.
  size_t bytes(size_t index) const { return arrays[index].numBytes(); }
  /// Copies every device buffer back into its array.
  void copyToHost();

private:
  CudaRuntime &runtime;
  const ManifestFunction &function;
  std::vector<Array> &arrays;
  /// 0 for arguments that stay on the host.
  std::vector<cuda::CUdeviceptr> devicePointers;
  std::unique_ptr<PackedArguments> packed;
};

} // namespace kvcache::runtime

#endif // KVCACHE_RUNTIME_DEVICEARGUMENTS_H
