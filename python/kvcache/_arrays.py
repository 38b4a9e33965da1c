"""What a value given for an argument becomes for kvcache_call_bind: a
pointer, a NumPy dtype descr, a shape and a memory kind.

Host values are NumPy arrays (and what converts to them without a copy:
CPU torch tensors, objects whose __dlpack_device__ is the CPU). Device
values are CUDA memory described by __cuda_array_interface__, a torch CUDA
tensor, or a DLPack capsule whose device is CUDA. Device memory is bound
in place, so it must be C-contiguous and 16-byte aligned; host memory that
is not is staged through an aligned copy, written back after the run.
"""

import collections
import ctypes
import sys

import numpy as np

from ._library import MEMORY_DEVICE, MEMORY_HOST, Error, Status

ALIGNMENT = 16

# Element types held as bit patterns in NumPy (it has no bf16 or fp8).
_BIT_PATTERN_DTYPES = {"bfloat16": "<u2", "float8_e4m3fn": "|u1"}


_DESCRS = {}  # dtype -> descr: dtype.name is slow, and a run asks per array


def descr(dtype):
    """The NumPy dtype descr the C API takes for `dtype`'s elements:
    ml_dtypes' bfloat16 and float8_e4m3fn are bound as their bit patterns."""
    dtype = np.dtype(dtype)
    found = _DESCRS.get(dtype)
    if found is None:
        found = _DESCRS[dtype] = _BIT_PATTERN_DTYPES.get(dtype.name,
                                                         dtype.str)
    return found


class Binding:
    """One argument's memory as kvcache_call_bind takes it. `keep` holds
    what must live until the run is over; `finish()` writes a staged copy
    back."""

    def __init__(self, pointer, descr, shape, memory, keep=None,
                 write_back=None):
        self.pointer = pointer
        self.descr = descr
        self.shape = shape  # a tuple of ints
        self.memory = memory
        self.keep = keep
        self._write_back = write_back

    def finish(self):
        if self._write_back is not None:
            self._write_back()


def _aligned_empty(shape, dtype):
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    raw = np.empty(count * dtype.itemsize + ALIGNMENT, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start:start + count * dtype.itemsize].view(dtype).reshape(
        shape)


def host_binding(argument, array):
    """A NumPy array (or a Python number for a scalar argument) bound as
    host memory; outputs, inouts and caches are written back into it."""
    if not isinstance(array, np.ndarray):
        if argument.kind != "scalar":
            raise Error(Status.INPUT,
                        f"argument '{argument.name}': expected an array "
                        f"(NumPy, or a device array for a GPU bundle), got "
                        f"{type(array).__name__}")
        array = _scalar_array(argument, array)
    written = argument.role in ("output", "inout", "cache")
    if written and not array.flags.writeable:
        raise Error(Status.INPUT,
                    f"argument '{argument.name}' (role {argument.role}) is "
                    f"written back in place, but the array is read-only")
    staged = array
    pointer = array.ctypes.data
    write_back = None
    if not array.flags.c_contiguous or pointer % ALIGNMENT:
        staged = _aligned_empty(array.shape, array.dtype)
        staged[...] = array
        pointer = staged.ctypes.data
        if written:
            write_back = lambda: np.copyto(array, staged)  # noqa: E731
    return Binding(pointer, descr(array.dtype), array.shape, MEMORY_HOST,
                   keep=staged, write_back=write_back)


def _scalar_array(argument, value):
    """A Python or NumPy number as the 0-d array of a scalar argument's
    dtype, refusing what would not convert exactly."""
    dtype = np.dtype(argument.dtype)
    if dtype.kind in "iu":
        if isinstance(value, bool) or not isinstance(value,
                                                     (int, np.integer)):
            raise Error(Status.INPUT,
                        f"argument '{argument.name}' ({argument.element_type}"
                        f" scalar): expected an integer, got "
                        f"{type(value).__name__}")
        limits = np.iinfo(dtype)
        if not limits.min <= int(value) <= limits.max:
            raise Error(Status.INPUT,
                        f"argument '{argument.name}' ({argument.element_type}"
                        f" scalar): {int(value)} is out of range "
                        f"[{limits.min}, {limits.max}]")
    elif not isinstance(value, (int, float, np.number)):
        raise Error(Status.INPUT,
                    f"argument '{argument.name}' ({argument.element_type} "
                    f"scalar): expected a number, got {type(value).__name__}")
    return np.array(value, dtype=dtype)


def _c_strides(shape, itemsize):
    strides, step = [], itemsize
    for dim in reversed(shape):
        strides.append(step)
        step *= max(int(dim), 1)
    return tuple(reversed(strides))


def _check_device_memory(argument, pointer, shape, strides, itemsize):
    """Device memory is bound in place: it must be dense and aligned."""
    if strides is not None and tuple(strides) != _c_strides(shape, itemsize):
        if int(np.prod(shape, dtype=np.int64)) > 1:
            raise Error(Status.INPUT,
                        f"argument '{argument.name}': device memory is bound "
                        f"in place and must be C-contiguous; got strides "
                        f"{tuple(strides)} (bytes) for shape {tuple(shape)}")
    if pointer % ALIGNMENT:
        raise Error(Status.INPUT,
                    f"argument '{argument.name}': device memory is bound in "
                    f"place and must be {ALIGNMENT}-byte aligned; it starts "
                    f"at {pointer:#x}")


# torch dtypes by name, as descrs.
_TORCH_DESCR = {
    "torch.float32": "<f4", "torch.float16": "<f2", "torch.bfloat16": "<u2",
    "torch.int32": "<i4", "torch.int64": "<i8", "torch.uint8": "|u1",
    "torch.float8_e4m3fn": "|u1", "torch.int16": "<i2",
    "torch.uint16": "<u2", "torch.uint32": "<u4",
}


def _is_torch_tensor(value):
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _torch_binding(argument, tensor):
    name = str(tensor.dtype)
    if name not in _TORCH_DESCR:
        raise Error(Status.INPUT,
                    f"argument '{argument.name}': torch dtype {name} has no "
                    f"kvcache element type")
    if tensor.device.type != "cuda":
        # A CPU tensor is host memory: NumPy views it without a copy (bf16
        # and fp8 through their bit patterns).
        if name in ("torch.bfloat16", "torch.float8_e4m3fn"):
            import torch

            bits = torch.int16 if name == "torch.bfloat16" else torch.uint8
            view = tensor.view(bits).numpy().view(np.dtype(_TORCH_DESCR[name]))
        else:
            view = tensor.numpy()
        return host_binding(argument, view)
    itemsize = tensor.element_size()
    strides = None if tensor.is_contiguous() else tuple(
        stride * itemsize for stride in tensor.stride())
    pointer = tensor.data_ptr()
    _check_device_memory(argument, pointer, tuple(tensor.shape), strides,
                         itemsize)
    return Binding(pointer, _TORCH_DESCR[name], tuple(map(int, tensor.shape)),
                   MEMORY_DEVICE, keep=tensor)


def _interface_binding(argument, value):
    interface = value.__cuda_array_interface__
    pointer, read_only = interface["data"]
    shape = tuple(map(int, interface["shape"]))
    typestr = interface["typestr"]
    if read_only and argument.role in ("output", "inout", "cache"):
        raise Error(Status.INPUT,
                    f"argument '{argument.name}' (role {argument.role}) is "
                    f"written in place, but the device array is read-only")
    itemsize = np.dtype(typestr).itemsize
    _check_device_memory(argument, pointer or 0, shape,
                         interface.get("strides"), itemsize)
    return Binding(pointer, descr(typestr), shape, MEMORY_DEVICE, keep=value)


# DLPack (dlpack.h, the unversioned capsule every producer gives).
DL_CPU, DL_CUDA, DL_CUDA_MANAGED = 1, 2, 13
_DL_DESCR = {(0, 16): "<i2", (0, 32): "<i4", (0, 64): "<i8", (1, 8): "|u1",
             (1, 16): "<u2", (1, 32): "<u4", (2, 16): "<f2", (2, 32): "<f4",
             (2, 64): "<f8", (4, 16): "<u2", (10, 8): "|u1"}


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int), ("device_id", ctypes.c_int)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8),
                ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice),
                ("ndim", ctypes.c_int32), ("dtype", _DLDataType),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)),
                ("byte_offset", ctypes.c_uint64)]


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]


def _dlpack_binding(argument, value, stream):
    try:
        capsule = value.__dlpack__(stream=stream)
    except TypeError:
        capsule = value.__dlpack__()
    try:
        address = _capsule_pointer(capsule, b"dltensor")
    except ValueError:
        raise Error(Status.INPUT,
                    f"argument '{argument.name}': __dlpack__ gave no "
                    f"'dltensor' capsule") from None
    tensor = _DLTensor.from_address(address)  # DLManagedTensor starts so
    dtype = (tensor.dtype.code, tensor.dtype.bits)
    if tensor.dtype.lanes != 1 or dtype not in _DL_DESCR:
        raise Error(Status.INPUT,
                    f"argument '{argument.name}': DLPack dtype (code "
                    f"{dtype[0]}, bits {dtype[1]}, lanes "
                    f"{tensor.dtype.lanes}) has no kvcache element type")
    shape = tuple(tensor.shape[i] for i in range(tensor.ndim))
    strides = None
    itemsize = tensor.dtype.bits // 8
    if tensor.strides:
        strides = tuple(tensor.strides[i] * itemsize
                        for i in range(tensor.ndim))
    pointer = (tensor.data or 0) + tensor.byte_offset
    _check_device_memory(argument, pointer, shape, strides, itemsize)
    return Binding(pointer, _DL_DESCR[dtype], shape, MEMORY_DEVICE,
                   keep=(capsule, value))


def binding(argument, value, stream=None):
    """The Binding of `value` for `argument` (an Argument), dispatching on
    where its memory is."""
    if isinstance(value, np.ndarray) or argument.kind == "scalar":
        return host_binding(argument, value)
    if _is_torch_tensor(value):
        return _torch_binding(argument, value)
    if hasattr(value, "__cuda_array_interface__"):
        return _interface_binding(argument, value)
    if hasattr(value, "__dlpack_device__"):
        device_type, _ = value.__dlpack_device__()
        if device_type in (DL_CUDA, DL_CUDA_MANAGED):
            return _dlpack_binding(argument, value, stream)
        if device_type == DL_CPU:
            return host_binding(argument, np.from_dlpack(value))
        raise Error(Status.INPUT,
                    f"argument '{argument.name}': DLPack device type "
                    f"{device_type} is neither the CPU nor CUDA")
    return host_binding(argument, value)


# What binding() reads of an argument, for memory that is no argument.
_Memory = collections.namedtuple("_Memory", "name role kind element_type")


def device_memory(value, what):
    """The Binding and byte size of a device array that is no argument (a
    workspace)."""
    bound = binding(_Memory(what, "workspace", "memref", None), value)
    if bound.memory != MEMORY_DEVICE:
        raise Error(Status.INPUT, f"{what} must be device memory")
    size = np.dtype(bound.descr).itemsize * int(
        np.prod(bound.shape, dtype=np.int64))
    return bound, size
