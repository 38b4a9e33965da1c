//===- DeviceArguments.cpp - A call's arguments on a CUDA device ----------===//

#include "kvcache/Runtime/DeviceArguments.h"

namespace kvcache::runtime {

bool isOnDevice(const ManifestArgument &argument) {
  return argument.kind == ArgumentKind::MemRef &&
         argument.placement == ArgumentPlacement::Device;
}

DeviceArguments::DeviceArguments(CudaRuntime &runtime,
                                 const ManifestFunction &function,
                                 std::vector<Array> &arrays)
    : runtime(runtime), function(function), arrays(arrays),
      devicePointers(arrays.size(), 0) {
  std::vector<void *> basePointers(arrays.size(), nullptr);
  try {
    for (const ManifestArgument &argument : function.arguments) {
      if (!isOnDevice(argument))
        continue;
      Array &array = arrays[argument.index];
      cuda::CUdeviceptr pointer =
          runtime.allocateDevice(array.numBytes(), argument.describe());
      devicePointers[argument.index] = pointer;
      basePointers[argument.index] =
          reinterpret_cast<void *>(static_cast<uintptr_t>(pointer));
      // A workspace is scratch: zeros, whatever its array holds.
      if (argument.role == ArgumentRole::Workspace)
        runtime.fill(pointer, 0, array.numBytes());
      else
        runtime.copyToDevice(pointer, array.data(), array.numBytes());
    }
    runtime.synchronize();
    packed = std::make_unique<PackedArguments>(function, arrays, &basePointers);
  } catch (...) {
    for (cuda::CUdeviceptr pointer : devicePointers)
      runtime.freeDevice(pointer);
    throw;
  }
}

DeviceArguments::~DeviceArguments() {
  // Kernels may still read the buffers.
  try {
    runtime.synchronize();
  } catch (...) {
  }
  for (cuda::CUdeviceptr pointer : devicePointers)
    runtime.freeDevice(pointer);
}

const void *DeviceArguments::address(size_t index) const {
  if (function.arguments[index].kind == ArgumentKind::Scalar)
    return nullptr;
  if (devicePointers[index])
    return reinterpret_cast<const void *>(
        static_cast<uintptr_t>(devicePointers[index]));
  return arrays[index].data();
}

void DeviceArguments::copyToHost() {
  for (size_t i = 0; i < arrays.size(); ++i)
    if (devicePointers[i])
      runtime.copyToHost(arrays[i].data(), devicePointers[i],
                         arrays[i].numBytes());
}

} // namespace kvcache::runtime
