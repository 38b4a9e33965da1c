"""libKVCacheRuntime.so through ctypes: its C API (kvcache-c/Runtime.h) as
Python functions whose failures raise kvcache.Error.

The library is loaded with RTLD_GLOBAL: bundles leave the runtime's entry
points (mgpu*, kvcache_runtime_*) undefined, and the dynamic loader resolves
them only against libraries loaded globally. (The library also promotes
itself when it opens a bundle; loading it globally here costs nothing.)
"""

import ctypes
import enum
import os

from . import _paths

__all__ = ["Error", "OutOfPagesError", "Status", "api", "check"]


class Status(enum.IntEnum):
    """kvcache_status."""

    OK = 0
    INPUT = 1
    BUNDLE = 2
    DEVICE = 3
    UNSUPPORTED = 4
    USAGE = 5
    FAULT = 6
    OUT_OF_PAGES = 7


class Error(Exception):
    """A refusal or failure of the runtime, or of this package: `status` says
    which kind (a Status), `message` what, naming the argument or field."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = Status(status)
        self.message = message

    def __str__(self):
        return f"{self.message} [{self.status.name}]"


class OutOfPagesError(Error):
    """A PagedCache has too few free pages; nothing was taken."""


def _error(status, message):
    if status == Status.OUT_OF_PAGES:
        return OutOfPagesError(status, message)
    return Error(status, message)


# ctypes mirrors of the header's structs.
class ArgumentInfo(ctypes.Structure):
    _fields_ = [
        ("index", ctypes.c_size_t),
        ("name", ctypes.c_char_p),
        ("kind", ctypes.c_char_p),
        ("element_type", ctypes.c_char_p),
        ("dtype", ctypes.c_char_p),
        ("rank", ctypes.c_size_t),
        ("shape", ctypes.POINTER(ctypes.c_int64)),
        ("role", ctypes.c_char_p),
        ("placement", ctypes.c_char_p),
        ("field", ctypes.c_char_p),
        ("device", ctypes.c_int64),
        ("cache", ctypes.c_char_p),
        ("operand", ctypes.c_char_p),
    ]


class OpenOptions(ctypes.Structure):
    _fields_ = [("driver", ctypes.c_char_p), ("device", ctypes.c_int)]


class RunOptions(ctypes.Structure):
    _fields_ = [
        ("stream", ctypes.c_void_p),
        ("workspace", ctypes.c_uint64),
        ("workspace_bytes", ctypes.c_uint64),
        ("flags", ctypes.c_uint),
    ]


RUN_NO_CACHE_CHECKS = 1
RUN_STREAM_ORDERED = 2
MEMORY_HOST = 0
MEMORY_DEVICE = 1


class CacheGeometry(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_int64)
        for name in ("total_num_pages", "kv_dim", "num_layers", "page_size",
                     "num_kv_heads", "head_dim")
    ]


class StepInputs(ctypes.Structure):
    _fields_ = [
        ("lookup_table_columns", ctypes.c_int64),
        ("steps_remaining", ctypes.c_int64),
        ("num_sms", ctypes.c_int64),
        ("cache_lengths", ctypes.c_void_p),
        ("lookup_table", ctypes.c_void_p),
        ("max_lengths", ctypes.c_void_p),
        ("attention_dispatch_metadata", ctypes.c_void_p),
        ("input_row_offsets", ctypes.c_void_p),
    ]


_P = ctypes.c_void_p
_STATUS = ctypes.c_int
_SIGNATURES = {
    # name: (restype, argtypes)
    "kvcache_runtime_api_version": (ctypes.c_int, []),
    "kvcache_error_message": (ctypes.c_char_p, []),
    "kvcache_bundle_open": (_STATUS, [ctypes.c_char_p,
                                      ctypes.POINTER(OpenOptions),
                                      ctypes.POINTER(_P)]),
    "kvcache_bundle_close": (None, [_P]),
    "kvcache_bundle_target": (ctypes.c_char_p, [_P]),
    "kvcache_bundle_is_gpu": (ctypes.c_int, [_P]),
    "kvcache_bundle_num_entries": (ctypes.c_size_t, [_P]),
    "kvcache_bundle_entry_name": (ctypes.c_char_p, [_P, ctypes.c_size_t]),
    "kvcache_bundle_num_arguments": (_STATUS, [
        _P, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t)]),
    "kvcache_bundle_argument": (_STATUS, [
        _P, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ArgumentInfo)]),
    "kvcache_call_create": (_STATUS, [_P, ctypes.c_char_p,
                                      ctypes.POINTER(_P)]),
    "kvcache_call_destroy": (None, [_P]),
    "kvcache_call_bind": (_STATUS, [
        _P, ctypes.c_char_p, _P, ctypes.c_char_p, ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_int64), ctypes.c_int]),
    "kvcache_call_workspace_bytes": (_STATUS, [
        _P, ctypes.POINTER(ctypes.c_uint64)]),
    "kvcache_call_run": (_STATUS, [_P, ctypes.POINTER(RunOptions)]),
    "kvcache_call_wait": (_STATUS, [_P]),
    "kvcache_paged_cache_create": (_STATUS, [
        ctypes.POINTER(CacheGeometry), ctypes.c_uint64, ctypes.POINTER(_P)]),
    "kvcache_paged_cache_destroy": (None, [_P]),
    "kvcache_paged_cache_num_free_pages": (ctypes.c_int64, [_P]),
    "kvcache_paged_cache_allocate": (_STATUS, [
        _P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int64),
        ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_uint64)]),
    "kvcache_paged_cache_advance": (_STATUS, [_P, ctypes.c_uint64,
                                              ctypes.c_int64]),
    "kvcache_paged_cache_release": (_STATUS, [_P, ctypes.c_uint64]),
    "kvcache_paged_cache_request": (_STATUS, [
        _P, ctypes.c_uint64, ctypes.POINTER(ctypes.c_int64),
        ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_size_t),
        ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32))]),
    "kvcache_paged_cache_lookup_table_columns": (_STATUS, [
        _P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint64),
        ctypes.POINTER(ctypes.c_int64)]),
    "kvcache_paged_cache_step": (_STATUS, [
        _P, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint64),
        ctypes.POINTER(StepInputs)]),
}

# The API version this package speaks (KVCACHE_RUNTIME_API_VERSION).
API_VERSION = 1


def _library_path():
    # KVCACHE_RUNTIME_LIBRARY: a library copied apart from the build tree,
    # as the GPU host's benchmark carries it.
    return os.environ.get("KVCACHE_RUNTIME_LIBRARY", _paths.RUNTIME_LIBRARY)


def _load():
    path = _library_path()
    try:
        library = ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
    except OSError as error:
        raise Error(Status.UNSUPPORTED,
                    f"cannot load the kvcache runtime library '{path}': "
                    f"{error}") from None
    for name, (restype, argtypes) in _SIGNATURES.items():
        function = getattr(library, name)
        function.restype = restype
        function.argtypes = argtypes
    version = library.kvcache_runtime_api_version()
    if version != API_VERSION:
        raise Error(Status.UNSUPPORTED,
                    f"'{path}' implements runtime API version {version}; "
                    f"this package speaks version {API_VERSION}")
    return library


api = _load()


def message():
    """The calling thread's last failure message."""
    return api.kvcache_error_message().decode("utf-8", "replace")


def check(status):
    """Raises the Error for a failed status (with the thread's message)."""
    if status != Status.OK:
        raise _error(status, message())
