//===- CudaRuntimeTest.cpp - The mgpu* entry points on a mock driver ------===//

#include "MockDriver.h"
#include "TestArrays.h"

#include "kvcache/Runtime/CudaEntryPoints.h"
#include "kvcache/Runtime/CudaRuntime.h"
#include "kvcache/Runtime/DeviceArguments.h"
#include "kvcache/Runtime/Error.h"
#include "kvcache/Runtime/InputFault.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

using namespace kvcache::runtime;
using namespace kvcache::runtime::testing;
using namespace kvcache::cuda;

namespace {

class CudaRuntimeTest : public ::testing::Test {
protected:
  MockDriver mock;
  CudaRuntime runtime{mock.api()};
  CUmodule module = runtime.loadModule("image", 5);

  void launch(CUfunction function, intptr_t paramsCount = 3,
              intptr_t gridX = 1) {
    void *params[3] = {};
    runtime.launchKernel(function, gridX, 1, 1, 128, 1, 1, 0,
                         runtime.createStream(), params, nullptr, paramsCount);
  }
};

TEST_F(CudaRuntimeTest, OpensTheDevice) {
  EXPECT_EQ(runtime.device().name, "mock device");
  EXPECT_EQ(runtime.device().numSms, 132);
  EXPECT_EQ(runtime.device().l2CacheBytes, 50 << 20);
  EXPECT_EQ(runtime.device().chip(), "sm_90");
  EXPECT_EQ(runtime.numSms(), 132);
  EXPECT_EQ(mock.count("cuInit"), 1);
  EXPECT_EQ(mock.count("cuStreamCreate"), 1);
}

TEST_F(CudaRuntimeTest, FunctionsAreCachedPerModuleAndName) {
  static const char name[] = "kvcache_decode";
  std::string copy = name;
  CUfunction first = runtime.getFunction(module, name);
  // The same constant again (the host code's case), and the same name at
  // another address.
  EXPECT_EQ(runtime.getFunction(module, name), first);
  EXPECT_EQ(runtime.getFunction(module, copy.c_str()), first);
  EXPECT_EQ(mock.count("cuModuleGetFunction"), 1);
  runtime.getFunction(module, "kvcache_combine");
  EXPECT_EQ(mock.count("cuModuleGetFunction"), 2);
  // Unloading forgets the module's functions.
  runtime.unloadModule(module);
  runtime.getFunction(module, name);
  EXPECT_EQ(mock.count("cuModuleGetFunction"), 3);
}

TEST_F(CudaRuntimeTest, OneStreamForEveryLaunch) {
  CUfunction function = runtime.getFunction(module, "k");
  for (int i = 0; i < 5; ++i) {
    CUstream stream = runtime.createStream();
    EXPECT_EQ(stream, runtime.stream());
    launch(function);
    runtime.synchronizeStream(stream);
    runtime.destroyStream(stream);
  }
  EXPECT_EQ(mock.count("cuStreamCreate"), 1);
  EXPECT_EQ(mock.count("cuStreamDestroy"), 0);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 5);
  EXPECT_FALSE(runtime.takeFailure());
}

TEST_F(CudaRuntimeTest, FirstFailureWinsAndNamesTheKernel) {
  CUfunction decode = runtime.getFunction(module, "kvcache_decode_bf16");
  mock.failures["cuLaunchKernel"] = CUDA_ERROR_INVALID_VALUE;
  launch(decode);
  mock.failures["cuStreamSynchronize"] = CUDA_ERROR_ILLEGAL_ADDRESS;
  runtime.synchronizeStream(runtime.stream());

  std::optional<CudaFailure> failure = runtime.takeFailure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->entryPoint, "mgpuLaunchKernel");
  EXPECT_EQ(failure->kernel, "kvcache_decode_bf16");
  EXPECT_EQ(failure->driverCall, "cuLaunchKernel");
  EXPECT_EQ(failure->result, CUDA_ERROR_INVALID_VALUE);
  EXPECT_EQ(failure->message(),
            "mgpuLaunchKernel (kernel 'kvcache_decode_bf16'): cuLaunchKernel "
            "failed: CUDA_ERROR_INVALID_VALUE: mock message");
  // Taken: the next call starts clean.
  EXPECT_FALSE(runtime.takeFailure());
}

TEST_F(CudaRuntimeTest, LaunchesAfterAFailureAreSkipped) {
  CUfunction function = runtime.getFunction(module, "k");
  mock.failures["cuLaunchKernel"] = CUDA_ERROR_INVALID_VALUE;
  launch(function);
  launch(function);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 1);
  // Lookups are skipped too, until the failure is taken.
  runtime.getFunction(module, "other");
  EXPECT_EQ(mock.count("cuModuleGetFunction"), 1);
  ASSERT_TRUE(runtime.takeFailure());
  mock.failures.clear();
  launch(function);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 2);
}

TEST_F(CudaRuntimeTest, SynchronizationNamesTheLastKernel) {
  launch(runtime.getFunction(module, "kvcache_store"));
  launch(runtime.getFunction(module, "kvcache_prefill"));
  mock.failures["cuStreamSynchronize"] = CUDA_ERROR_ILLEGAL_ADDRESS;
  runtime.synchronizeStream(runtime.stream());
  std::optional<CudaFailure> failure = runtime.takeFailure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->message(),
            "mgpuStreamSynchronize (after kernel 'kvcache_prefill'): "
            "cuStreamSynchronize failed: CUDA_ERROR_ILLEGAL_ADDRESS: mock "
            "message");
}

TEST_F(CudaRuntimeTest, ParameterCountIsChecked) {
  mock.paramCount = 3;
  CUfunction function = runtime.getFunction(module, "kvcache_combine");
  launch(function, 2);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 0);
  std::optional<CudaFailure> failure = runtime.takeFailure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->message(),
            "mgpuLaunchKernel (kernel 'kvcache_combine'): the host code "
            "passes 2 parameters, the kernel takes 3");
  launch(function, 3);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 1);
  EXPECT_FALSE(runtime.takeFailure());
}

TEST(CudaRuntime, ParameterCountUncheckedWithoutGetParamInfo) {
  MockDriver mock;
  DriverApi api = mock.api();
  api.cuFuncGetParamInfo = nullptr;
  CudaRuntime runtime(api);
  CUfunction function =
      runtime.getFunction(runtime.loadModule("image", 5), "k");
  void *params[7] = {};
  runtime.launchKernel(function, 1, 1, 1, 1, 1, 1, 0, runtime.stream(), params,
                       nullptr, 7);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 1);
  EXPECT_FALSE(runtime.takeFailure());
}

TEST_F(CudaRuntimeTest, EmptyGridIsRefused) {
  launch(runtime.getFunction(module, "k"), 3, /*gridX=*/0);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 0);
  std::optional<CudaFailure> failure = runtime.takeFailure();
  ASSERT_TRUE(failure);
  EXPECT_NE(failure->message().find("grid (0, 1, 1)"), std::string::npos)
      << failure->message();
}

TEST_F(CudaRuntimeTest, ModuleLoadFailureIsLatched) {
  mock.failures["cuModuleLoadData"] = CUDA_ERROR_INVALID_VALUE;
  EXPECT_EQ(runtime.loadModule("image", 5), nullptr);
  std::optional<CudaFailure> failure = runtime.takeFailure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->message(), "mgpuModuleLoad: cuModuleLoadData failed: "
                                "CUDA_ERROR_INVALID_VALUE: mock message");
}

TEST_F(CudaRuntimeTest, WorkspaceGrowsAndIsReused) {
  uint64_t small = runtime.workspace(100);
  EXPECT_NE(small, 0u);
  EXPECT_EQ(small % 16, 0u);
  EXPECT_EQ(runtime.workspace(100), small);
  EXPECT_EQ(runtime.workspace(256), small);
  EXPECT_EQ(runtime.workspace(0), small);
  EXPECT_EQ(mock.count("cuMemAlloc"), 1);
  uint64_t large = runtime.workspace(4096);
  EXPECT_NE(large, 0u);
  EXPECT_EQ(mock.count("cuMemAlloc"), 2);
  // The old buffer goes only after the stream is idle.
  EXPECT_EQ(mock.count("cuMemFree"), 1);
  EXPECT_GE(mock.count("cuStreamSynchronize"), 1);
  EXPECT_EQ(runtime.workspace(1000), large);
  EXPECT_EQ(mock.count("cuMemAlloc"), 2);
}

TEST_F(CudaRuntimeTest, WorkspaceFailureIsLatched) {
  mock.failures["cuMemAlloc"] = CUDA_ERROR_OUT_OF_MEMORY;
  EXPECT_EQ(runtime.workspace(1 << 20), 0u);
  std::optional<CudaFailure> failure = runtime.takeFailure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->entryPoint, "kvcache_runtime_workspace");
  EXPECT_NE(failure->message().find("CUDA_ERROR_OUT_OF_MEMORY"),
            std::string::npos);
}

uint64_t readWord(uint64_t address) {
  uint64_t word = 0;
  std::memcpy(&word, reinterpret_cast<const void *>(address), sizeof word);
  return word;
}

void writeWord(uint64_t address, uint64_t word) {
  std::memcpy(reinterpret_cast<void *>(address), &word, sizeof word);
}

/// kvcache_runtime_error_word: one 8-byte device word, zeroed, allocated at
/// the first call and reused.
TEST_F(CudaRuntimeTest, FaultWordIsAllocatedOnceAndZeroed) {
  takeInputFault();
  setGlobalCudaRuntime(&runtime);
  uint64_t word = kvcache_runtime_error_word();
  setGlobalCudaRuntime(nullptr);
  ASSERT_NE(word, 0u);
  EXPECT_EQ(word % 8, 0u);
  EXPECT_EQ(runtime.errorWord(), word);
  EXPECT_EQ(mock.count("cuMemAlloc"), 1);
  EXPECT_EQ(readWord(word), 0u);
  EXPECT_FALSE(runtime.takeFailure());
  EXPECT_FALSE(takeInputFault());
}

/// A kernel's fault word becomes an InputFault when the failure latch is
/// taken, and is cleared for the next call.
TEST_F(CudaRuntimeTest, FaultWordIsTakenAsAnInputFault) {
  takeInputFault();
  uint64_t word = runtime.errorWord();
  ASSERT_NE(word, 0u);
  // What a kernel's atomic max leaves for (request 3, position 17) after
  // one for (5, 2): the smallest pair.
  writeWord(word, std::max(kvcache::abi::encodeFaultWord(5, 2),
                           kvcache::abi::encodeFaultWord(3, 17)));
  int syncsBefore = mock.count("cuStreamSynchronize");
  EXPECT_FALSE(runtime.takeFailure());
  EXPECT_GT(mock.count("cuStreamSynchronize"), syncsBefore);
  EXPECT_EQ(mock.count("cuMemcpyDtoHAsync"), 1);
  std::optional<InputFault> fault = takeInputFault();
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->fault, kvcache::abi::Fault::PageOutOfRange);
  EXPECT_EQ(fault->a, 3);
  EXPECT_EQ(fault->b, 17);
  EXPECT_EQ(fault->c, -1);
  EXPECT_EQ(fault->d, -1);
  EXPECT_EQ(fault->message(),
            "lookup_table gives request 3 at position 17 page id (unknown), "
            "past the pool's last page: total_num_pages (kv_blocks dim 0) "
            "bounds it; keys of such a page contribute nothing");
  // Cleared: the next call starts without a fault.
  EXPECT_EQ(readWord(word), 0u);
  EXPECT_FALSE(runtime.takeFailure());
  EXPECT_FALSE(takeInputFault());
}

/// A fault word that cannot be read back is a device failure, not a
/// silent success.
TEST_F(CudaRuntimeTest, UnreadableFaultWordIsLatched) {
  takeInputFault();
  uint64_t word = runtime.errorWord();
  ASSERT_NE(word, 0u);
  mock.failures["cuMemcpyDtoHAsync"] = CUDA_ERROR_ILLEGAL_ADDRESS;
  std::optional<CudaFailure> failure = runtime.takeFailure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->entryPoint, "kvcache_runtime_error_word");
  EXPECT_EQ(failure->driverCall, "cuMemcpyDtoHAsync");
  EXPECT_FALSE(takeInputFault());
}

TEST_F(CudaRuntimeTest, FaultWordAllocationFailureIsLatched) {
  mock.failures["cuMemAlloc"] = CUDA_ERROR_OUT_OF_MEMORY;
  EXPECT_EQ(runtime.errorWord(), 0u);
  std::optional<CudaFailure> failure = runtime.takeFailure();
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->entryPoint, "kvcache_runtime_error_word");
  EXPECT_EQ(failure->driverCall, "cuMemAlloc");
}

/// A call under a CallScope (the C runtime API's runs) launches on its
/// stream, hands out its workspace and fault word, and keeps its failures
/// to itself: the runtime's latch and a second call stay clean.
TEST_F(CudaRuntimeTest, CallScopeUsesTheCallersStreamAndWorkspace) {
  std::vector<uint64_t> buffer(64, 0);
  auto base = reinterpret_cast<uint64_t>(buffer.data());
  CallContext call;
  call.stream = reinterpret_cast<CUstream>(0x5000);
  call.faultWord = base;
  call.workspace = base + 256;
  call.workspaceBytes = 256;
  CUfunction function = runtime.getFunction(module, "kvcache_decode");
  {
    CallScope scope(call);
    EXPECT_EQ(runtime.createStream(), call.stream);
    EXPECT_EQ(runtime.workspace(200), call.workspace);
    EXPECT_EQ(runtime.errorWord(), call.faultWord);
    launch(function);
    // Past the caller's buffer: latched in the call, named.
    EXPECT_EQ(runtime.workspace(257), 0u);
    launch(function); // Skipped after the call's failure.
  }
  EXPECT_EQ(runtime.createStream(), runtime.stream());
  EXPECT_EQ(mock.count("cuLaunchKernel"), 1);
  EXPECT_EQ(mock.count("cuMemAlloc"), 0);
  EXPECT_EQ(call.workspaceAsked, 257u);
  EXPECT_FALSE(runtime.takeFailure());
  std::optional<CudaFailure> failure = runtime.takeFailure(call);
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->entryPoint, "kvcache_runtime_workspace");
  EXPECT_NE(failure->message().find("needs 257 bytes of workspace"),
            std::string::npos);
  EXPECT_FALSE(runtime.takeFailure(call));
}

/// takeFailure(call) reads and clears the call's own fault word.
TEST_F(CudaRuntimeTest, CallScopeFaultWordIsTheCalls) {
  takeInputFault();
  uint64_t word = 0;
  CallContext call;
  call.faultWord = reinterpret_cast<uint64_t>(&word);
  writeWord(call.faultWord, kvcache::abi::encodeFaultWord(1, 7));
  EXPECT_FALSE(runtime.takeFailure(call));
  std::optional<InputFault> fault = takeInputFault();
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->a, 1);
  EXPECT_EQ(fault->b, 7);
  EXPECT_EQ(word, 0u);
}

/// Measuring runs the host code's calls without reaching the device and
/// records the largest workspace asked for.
TEST_F(CudaRuntimeTest, MeasuringLaunchesNothing) {
  CallContext call;
  call.measure = true;
  CUfunction function = runtime.getFunction(module, "kvcache_decode");
  int syncs = mock.count("cuStreamSynchronize");
  {
    CallScope scope(call);
    runtime.workspace(1000);
    runtime.workspace(4000);
    launch(function);
    int value = 0;
    runtime.copy(&value, &value, sizeof value, runtime.createStream());
    runtime.memset32(&value, 1, 1, runtime.createStream());
    runtime.synchronizeStream(runtime.createStream());
    EXPECT_EQ(value, 0);
  }
  EXPECT_EQ(call.workspaceAsked, 4000u);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 0);
  EXPECT_EQ(mock.count("cuMemAlloc"), 0);
  EXPECT_EQ(mock.count("cuMemcpyAsync"), 0);
  EXPECT_EQ(mock.count("cuStreamSynchronize"), syncs);
  EXPECT_FALSE(runtime.takeFailure(call));
}

TEST(CudaRuntime, NoDeviceIsUnavailable) {
  MockDriver mock;
  mock.failures["cuInit"] = CUDA_ERROR_NO_DEVICE;
  try {
    CudaRuntime runtime(mock.api());
    FAIL() << "expected DeviceUnavailableError";
  } catch (const DeviceUnavailableError &error) {
    EXPECT_STREQ(error.what(),
                 "cuInit failed: CUDA_ERROR_NO_DEVICE: mock message");
  }
}

TEST(CudaRuntime, MissingOrdinalIsUnavailable) {
  MockDriver mock;
  EXPECT_THROW(CudaRuntime(mock.api(), 3), DeviceUnavailableError);
}

TEST(CudaRuntime, MissingDriverIsUnavailable) {
  try {
    CudaRuntime::open(0, "/nonexistent/libcuda.so.1");
    FAIL() << "expected DeviceUnavailableError";
  } catch (const DeviceUnavailableError &error) {
    EXPECT_EQ(std::string(error.what())
                  .find("cannot load /nonexistent/libcuda.so.1: "),
              0u)
        << error.what();
  }
}

TEST(CudaRuntime, TargetMatchesChip) {
  DeviceInfo hopper;
  hopper.name = "H100";
  hopper.computeMajor = 9;
  DeviceInfo ada;
  ada.name = "L40S";
  ada.computeMajor = 8;
  ada.computeMinor = 9;
  EXPECT_FALSE(targetMismatch("sm_90a", hopper));
  EXPECT_FALSE(targetMismatch("sm_90", hopper));
  EXPECT_FALSE(targetMismatch("sm_86", ada));
  EXPECT_FALSE(targetMismatch("sm_89", ada));
  EXPECT_EQ(targetMismatch("sm_90a", ada),
            "the bundle's target is sm_90a, device 0 (L40S) is sm_89");
  EXPECT_TRUE(targetMismatch("sm_80", hopper));
  EXPECT_TRUE(targetMismatch("sm_100a", hopper));
  EXPECT_TRUE(targetMismatch("sm_89a", ada) == std::nullopt);
  EXPECT_TRUE(targetMismatch("gfx90a", hopper));
}

/// The extern "C" functions a bundle calls, through the installed runtime.
TEST_F(CudaRuntimeTest, EntryPointsUseTheInstalledRuntime) {
  setGlobalCudaRuntime(&runtime);
  static const char name[] = "kvcache_decode";
  CUmodule loaded = mgpuModuleLoad(const_cast<char *>("image"), 5);
  void *params[3] = {};
  for (int i = 0; i < 3; ++i) {
    CUfunction function = mgpuModuleGetFunction(loaded, name);
    CUstream stream = mgpuStreamCreate();
    mgpuLaunchKernel(function, 4, 2, 1, 128, 1, 1, 0, stream, params, nullptr,
                     3);
    mgpuStreamSynchronize(stream);
    mgpuStreamDestroy(stream);
  }
  EXPECT_EQ(kvcache_runtime_num_sms(), 132);
  EXPECT_NE(kvcache_runtime_workspace(64), 0u);
  mgpuModuleUnload(loaded);
  setGlobalCudaRuntime(nullptr);

  EXPECT_EQ(mock.count("cuModuleGetFunction"), 1);
  EXPECT_EQ(mock.count("cuStreamCreate"), 1);
  EXPECT_EQ(mock.count("cuStreamDestroy"), 0);
  EXPECT_EQ(mock.count("cuLaunchKernel"), 3);
  EXPECT_EQ(mock.lastGridX, 4u);
  EXPECT_FALSE(runtime.takeFailure());
}

TEST_F(CudaRuntimeTest, MemoryEntryPoints) {
  setGlobalCudaRuntime(&runtime);
  CUstream stream = mgpuStreamCreate();
  EXPECT_EQ(mgpuMemAlloc(0, stream, false), nullptr);
  void *device = mgpuMemAlloc(64, stream, false);
  ASSERT_NE(device, nullptr);
  float host[16] = {1, 2, 3};
  mgpuMemcpy(device, host, sizeof(host), stream);
  EXPECT_EQ(static_cast<float *>(device)[2], 3.0f);
  mgpuMemset32(device, 0, 16, stream);
  mgpuMemFree(device, stream);
  // A rank-1 memref descriptor of 16 floats.
  int64_t descriptor[5] = {reinterpret_cast<int64_t>(host),
                           reinterpret_cast<int64_t>(host), 0, 16, 1};
  mgpuMemHostRegisterMemRef(1, descriptor, 4);
  mgpuMemHostUnregisterMemRef(1, descriptor, 4);
  setGlobalCudaRuntime(nullptr);
  EXPECT_EQ(mock.count("cuMemAlloc"), 1);
  EXPECT_EQ(mock.count("cuMemFree"), 1);
  EXPECT_EQ(mock.count("cuMemcpyAsync"), 1);
  EXPECT_EQ(mock.count("cuMemsetD32Async"), 1);
  EXPECT_EQ(mock.count("cuMemHostRegister"), 1);
  EXPECT_EQ(mock.count("cuMemHostUnregister"), 1);
  EXPECT_FALSE(runtime.takeFailure());
}

//===----------------------------------------------------------------------===//
// Placement
//===----------------------------------------------------------------------===//

ManifestFunction placementFunction() {
  ManifestFunction function;
  function.name = "decode";
  function.arguments.push_back(
      memrefArgument(0, "q", ElementType::F32, {-1, 4}));
  ManifestArgument maxLengths =
      memrefArgument(1, "max_lengths", ElementType::I32, {-1, 2},
                     ArgumentRole::Input, kvcache::abi::Field::max_lengths);
  maxLengths.placement = ArgumentPlacement::Host;
  function.arguments.push_back(maxLengths);
  ManifestArgument layer = memrefArgument(2, "layer", ElementType::Index, {});
  layer.kind = ArgumentKind::Scalar;
  layer.placement = ArgumentPlacement::Host;
  function.arguments.push_back(layer);
  function.arguments.push_back(memrefArgument(3, "scratch", ElementType::F32,
                                              {8}, ArgumentRole::Workspace));
  return function;
}

TEST_F(CudaRuntimeTest, ArgumentsGoWhereTheManifestPlacesThem) {
  ManifestFunction function = placementFunction();
  EXPECT_TRUE(isOnDevice(function.arguments[0]));
  EXPECT_FALSE(isOnDevice(function.arguments[1]));
  EXPECT_FALSE(isOnDevice(function.arguments[2]));
  EXPECT_TRUE(isOnDevice(function.arguments[3]));

  std::vector<Array> arrays;
  arrays.emplace_back(DType::float32(), std::vector<int64_t>{2, 4});
  arrays.push_back(int32s({1, 2}, {1, 7}));
  arrays.emplace_back(DType::int64(), std::vector<int64_t>{});
  arrays.emplace_back(DType::float32(), std::vector<int64_t>{8});
  for (int i = 0; i < 8; ++i) {
    arrays[0].dataAs<float>()[i] = float(i);
    arrays[3].dataAs<float>()[i] = 99.0f; // never reaches the device
  }
  arrays[2].dataAs<int64_t>()[0] = 5;
  {
    DeviceArguments placed(runtime, function, arrays);
    EXPECT_EQ(mock.count("cuMemAlloc"), 2);
    EXPECT_EQ(mock.count("cuMemcpyHtoDAsync"), 1);
    EXPECT_EQ(mock.count("cuMemsetD8Async"), 1);

    // q: a descriptor whose pointers are the device copy, with q's shape.
    auto *q = static_cast<int64_t *>(placed.data()[0]);
    ASSERT_TRUE(placed.onDevice(0));
    EXPECT_EQ(q[0], q[1]);
    EXPECT_EQ(reinterpret_cast<const void *>(q[0]), placed.address(0));
    EXPECT_NE(reinterpret_cast<void *>(q[0]), arrays[0].data());
    EXPECT_TRUE(mock.allocations.count(q[0]));
    EXPECT_EQ(q[3], 2);
    EXPECT_EQ(q[4], 4);
    EXPECT_EQ(reinterpret_cast<float *>(q[0])[5], 5.0f);
    // max_lengths stays in host memory: the host code reads it.
    auto *maxLengths = static_cast<int64_t *>(placed.data()[1]);
    EXPECT_FALSE(placed.onDevice(1));
    EXPECT_EQ(reinterpret_cast<void *>(maxLengths[1]), arrays[1].data());
    // The scalar is passed by value from host memory.
    EXPECT_EQ(placed.data()[2], arrays[2].data());
    EXPECT_EQ(placed.address(2), nullptr);
    // The workspace is a zeroed device buffer, not the array's contents.
    auto *scratch = static_cast<int64_t *>(placed.data()[3]);
    EXPECT_TRUE(placed.onDevice(3));
    EXPECT_EQ(reinterpret_cast<float *>(scratch[1])[0], 0.0f);

    reinterpret_cast<float *>(q[1])[0] = 42.0f;
    placed.copyToHost();
    EXPECT_EQ(arrays[0].dataAs<float>()[0], 42.0f);
    EXPECT_EQ(arrays[3].dataAs<float>()[0], 0.0f);
    EXPECT_EQ(mock.count("cuMemcpyDtoHAsync"), 2);
  }
  EXPECT_EQ(mock.count("cuMemFree"), 2);
  EXPECT_TRUE(mock.allocations.empty());
}

TEST_F(CudaRuntimeTest, FailedPlacementFreesWhatItAllocated) {
  ManifestFunction function = placementFunction();
  std::vector<Array> arrays;
  arrays.emplace_back(DType::float32(), std::vector<int64_t>{2, 4});
  arrays.push_back(int32s({1, 2}, {1, 7}));
  arrays.emplace_back(DType::int64(), std::vector<int64_t>{});
  arrays.emplace_back(DType::float32(), std::vector<int64_t>{8});
  mock.failures["cuMemsetD8Async"] = CUDA_ERROR_INVALID_VALUE;
  try {
    DeviceArguments placed(runtime, function, arrays);
    FAIL() << "expected DeviceError";
  } catch (const DeviceError &error) {
    EXPECT_STREQ(error.what(), "cuMemsetD8Async failed: "
                               "CUDA_ERROR_INVALID_VALUE: mock message");
  }
  EXPECT_TRUE(mock.allocations.empty());
}

} // namespace
