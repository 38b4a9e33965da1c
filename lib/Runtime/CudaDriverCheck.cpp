//===- CudaDriverCheck.cpp - CudaDriver.h against NVIDIA's cuda.h ---------===//
//
// Built only when CMake finds cuda.h; it emits no code. Every function
// pointer of DriverApi must have the signature of the function cuda.h
// declares (after its ABI-version macros), and every constant its value,
// so that a typo in the hand-written declarations fails the build wherever
// the toolkit headers exist. Enums are compared as the ints the ABI passes.
//
//===----------------------------------------------------------------------===//

// Ours first: cuda.h defines API names as macros (cuMemAlloc ->
// cuMemAlloc_v2) that would rename DriverApi's members.
#include "kvcache/Runtime/CudaDriver.h"

#include <cuda.h>

#include <type_traits>

namespace {

namespace ours = kvcache::cuda;

/// Same type, or integers/enums of one size, or pointers to such.
template <typename A, typename B> constexpr bool compatible() {
  using X = std::remove_cv_t<A>;
  using Y = std::remove_cv_t<B>;
  if constexpr (std::is_same_v<X, Y>)
    return true;
  else if constexpr (std::is_pointer_v<X> && std::is_pointer_v<Y>)
    return compatible<std::remove_pointer_t<X>, std::remove_pointer_t<Y>>();
  else if constexpr ((std::is_integral_v<X> || std::is_enum_v<X>)&&(
                         std::is_integral_v<Y> || std::is_enum_v<Y>))
    return sizeof(X) == sizeof(Y);
  else
    return false;
}

template <typename F, typename G> struct SameSignature : std::false_type {};
template <typename R, typename... A, typename S, typename... B>
struct SameSignature<R (*)(A...), S (*)(B...)> {
  template <size_t N = sizeof...(A)> static constexpr bool check() {
    if constexpr (N != sizeof...(B))
      return false;
    else
      return compatible<R, S>() && (compatible<A, B>() && ...);
  }
  static constexpr bool value = check();
};

// The members are named as cuda.h's API names, which it defines as macros
// for their ABI versions; the list names the ABI symbol explicitly.
#undef cuDeviceTotalMem
#undef cuMemGetInfo
#undef cuMemAlloc
#undef cuMemFree
#undef cuStreamDestroy
#undef cuEventDestroy
#undef cuEventElapsedTime
#undef cuMemHostRegister
#undef cuMemcpyHtoDAsync
#undef cuMemcpyDtoHAsync
#undef cuMemcpyDtoDAsync
#undef cuMemcpyAsync
#undef cuMemsetD8Async
#undef cuMemsetD16Async
#undef cuMemsetD32Async
#undef cuStreamWaitEvent
#undef cuStreamSynchronize
#undef cuEventRecord
#undef cuLaunchKernel

#define KVCACHE_CUDA_FUNCTION(member, symbol, required)                        \
  static_assert(SameSignature<decltype(ours::DriverApi::member),               \
                              decltype(&::symbol)>::value,                     \
                "DriverApi::" #member " does not match cuda.h's " #symbol);
#include "CudaDriverFunctions.def"

static_assert(std::is_same_v<ours::CUdeviceptr, ::CUdeviceptr>);
static_assert(std::is_same_v<ours::CUstream, ::CUstream>);
static_assert(std::is_same_v<ours::CUfunction, ::CUfunction>);
static_assert(sizeof(ours::CUresult) == sizeof(::CUresult));

#define KVCACHE_CHECK_VALUE(name)                                              \
  static_assert(ours::name == static_cast<long long>(::name),                  \
                #name " does not match cuda.h")

KVCACHE_CHECK_VALUE(CUDA_SUCCESS);
KVCACHE_CHECK_VALUE(CUDA_ERROR_INVALID_VALUE);
KVCACHE_CHECK_VALUE(CUDA_ERROR_OUT_OF_MEMORY);
KVCACHE_CHECK_VALUE(CUDA_ERROR_NOT_INITIALIZED);
KVCACHE_CHECK_VALUE(CUDA_ERROR_NO_DEVICE);
KVCACHE_CHECK_VALUE(CUDA_ERROR_INVALID_DEVICE);
KVCACHE_CHECK_VALUE(CUDA_ERROR_INVALID_IMAGE);
KVCACHE_CHECK_VALUE(CUDA_ERROR_INVALID_CONTEXT);
KVCACHE_CHECK_VALUE(CUDA_ERROR_INVALID_PTX);
KVCACHE_CHECK_VALUE(CUDA_ERROR_INVALID_HANDLE);
KVCACHE_CHECK_VALUE(CUDA_ERROR_NOT_FOUND);
KVCACHE_CHECK_VALUE(CUDA_ERROR_NOT_READY);
KVCACHE_CHECK_VALUE(CUDA_ERROR_ILLEGAL_ADDRESS);
KVCACHE_CHECK_VALUE(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES);
KVCACHE_CHECK_VALUE(CUDA_ERROR_LAUNCH_FAILED);
KVCACHE_CHECK_VALUE(CUDA_ERROR_NOT_SUPPORTED);
KVCACHE_CHECK_VALUE(CUDA_ERROR_UNKNOWN);
KVCACHE_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
KVCACHE_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE);
KVCACHE_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
KVCACHE_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
KVCACHE_CHECK_VALUE(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
KVCACHE_CHECK_VALUE(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
KVCACHE_CHECK_VALUE(CU_JIT_ERROR_LOG_BUFFER);
KVCACHE_CHECK_VALUE(CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
KVCACHE_CHECK_VALUE(CU_JIT_OPTIMIZATION_LEVEL);
KVCACHE_CHECK_VALUE(CU_STREAM_NON_BLOCKING);
KVCACHE_CHECK_VALUE(CU_EVENT_DEFAULT);
KVCACHE_CHECK_VALUE(CU_EVENT_DISABLE_TIMING);
KVCACHE_CHECK_VALUE(CU_MEM_ATTACH_GLOBAL);

} // namespace
