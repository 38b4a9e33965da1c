"""Device memory and streams of the CUDA driver found as libcuda.so.1 (the
stand-in, tools/fake-libcuda, in these tests), shaped as a serving engine's
arrays are: DeviceArray has __cuda_array_interface__; DLPackArray has only
__dlpack_device__ / __dlpack__ (its capsule is NumPy's over the same
bytes: the stand-in's device memory is host memory)."""

import ctypes

import numpy as np

_cuda = ctypes.CDLL("libcuda.so.1")
_u64 = ctypes.c_uint64


def _check(result, what):
    if result != 0:
        raise RuntimeError(f"{what} failed: CUresult {result}")


def _init():
    _check(_cuda.cuInit(0), "cuInit")
    device = ctypes.c_int()
    _check(_cuda.cuDeviceGet(ctypes.byref(device), 0), "cuDeviceGet")
    context = ctypes.c_void_p()
    _check(_cuda.cuDevicePrimaryCtxRetain(ctypes.byref(context), device),
           "cuDevicePrimaryCtxRetain")
    return context


_context = _init()


def make_current():
    """Makes device 0's primary context current on the calling thread (as
    torch does on each thread that uses CUDA)."""
    _check(_cuda.cuCtxSetCurrent(_context), "cuCtxSetCurrent")


make_current()
_cuda.cuMemcpyHtoDAsync_v2.argtypes = [_u64, ctypes.c_void_p,
                                       ctypes.c_size_t, ctypes.c_void_p]
_cuda.cuMemcpyDtoHAsync_v2.argtypes = [ctypes.c_void_p, _u64,
                                       ctypes.c_size_t, ctypes.c_void_p]
_cuda.cuMemFree_v2.argtypes = [_u64]
_cuda.cuStreamSynchronize.argtypes = [ctypes.c_void_p]


def stream():
    """A new CUstream handle (an int)."""
    handle = ctypes.c_void_p()
    _check(_cuda.cuStreamCreate(ctypes.byref(handle), 0), "cuStreamCreate")
    return handle.value


def synchronize(handle=None):
    _check(_cuda.cuStreamSynchronize(handle), "cuStreamSynchronize")


class DeviceArray:
    """A C-contiguous device array; `offset` bytes into its allocation and
    `strides` (bytes) let a test make one that is unaligned or strided."""

    def __init__(self, shape, dtype, offset=0, strides=None):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.nbytes = int(np.prod(self.shape, dtype=np.int64)) * \
            self.dtype.itemsize
        self._base = 0
        base = _u64()
        _check(_cuda.cuMemAlloc_v2(ctypes.byref(base),
                                   ctypes.c_size_t(max(self.nbytes, 1) +
                                                   offset)), "cuMemAlloc")
        self._base = base.value
        self.pointer = base.value + offset
        self.strides = strides

    @classmethod
    def from_numpy(cls, array):
        device = cls(array.shape, array.dtype)
        host = np.ascontiguousarray(array)
        _check(_cuda.cuMemcpyHtoDAsync_v2(device.pointer, host.ctypes.data,
                                          device.nbytes, None), "HtoD")
        synchronize()
        return device

    def numpy(self):
        host = np.empty(self.shape, self.dtype)
        _check(_cuda.cuMemcpyDtoHAsync_v2(host.ctypes.data, self.pointer,
                                          self.nbytes, None), "DtoH")
        synchronize()
        return host

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "typestr": self.dtype.str,
                "data": (self.pointer, False), "strides": self.strides,
                "version": 3}

    def __del__(self):
        if self._base:
            _cuda.cuMemFree_v2(self._base)


class DLPackArray:
    """Device memory that speaks DLPack only, as a JAX array does."""

    def __init__(self, device_array):
        self.device_array = device_array
        buffer = (ctypes.c_byte * device_array.nbytes).from_address(
            device_array.pointer)
        self._view = np.frombuffer(buffer, device_array.dtype).reshape(
            device_array.shape)

    def __dlpack_device__(self):
        return (2, 0)  # kDLCUDA, device 0

    def __dlpack__(self, stream=None):
        return self._view.__dlpack__()
