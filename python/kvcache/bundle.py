"""Bundles: a compiled graph's entries, called by argument name."""

import ctypes
import functools
import os
import sys
import threading
from dataclasses import dataclass
from typing import Optional, Tuple

from . import _arrays
from ._library import (RUN_NO_CACHE_CHECKS, RUN_STREAM_ORDERED, ArgumentInfo,
                       Error, OpenOptions, RunOptions, Status, api, check)

__all__ = ["Argument", "Bundle", "Pending", "load"]


def _text(value):
    return None if value is None else value.decode()


@dataclass(frozen=True)
class Argument:
    """One flat argument of an entry, as the bundle's manifest says.

    `shape` has None where a dim is dynamic; `dtype` is the canonical NumPy
    dtype descr of its elements ("<u2" for bf16 bit patterns, "|u1" for
    f8E4M3FN); `field`, `device` and `cache` say which ABI field of which
    cache an argument of role "cache" is (else None)."""

    index: int
    name: str
    kind: str
    element_type: str
    dtype: str
    shape: Tuple[Optional[int], ...]
    role: str
    placement: str
    field: Optional[str]
    device: Optional[int]
    cache: Optional[str]
    operand: Optional[str]

    @classmethod
    def _from_info(cls, info):
        shape = tuple(None if info.shape[i] < 0 else info.shape[i]
                      for i in range(info.rank))
        return cls(index=info.index, name=info.name.decode(),
                   kind=info.kind.decode(),
                   element_type=info.element_type.decode(),
                   dtype=info.dtype.decode(), shape=shape,
                   role=info.role.decode(), placement=info.placement.decode(),
                   field=_text(info.field),
                   device=None if info.device < 0 else info.device,
                   cache=_text(info.cache), operand=_text(info.operand))

    @property
    def static_workspace(self):
        """A workspace of static shape may be left out of a run."""
        return self.role == "workspace" and None not in self.shape


@functools.lru_cache(maxsize=None)
def _encoded(text):
    """`text` as the C API's bytes (argument names and descrs repeat every
    run)."""
    return text.encode()


def _stream_handle(stream):
    """A CUstream from `stream`: None (PyTorch's current stream once torch
    has initialised CUDA, else the default stream), an int handle, or a
    stream object (torch's .cuda_stream, CuPy's .ptr)."""
    if stream is None:
        torch = sys.modules.get("torch")
        if torch is not None and torch.cuda.is_initialized():
            return torch.cuda.current_stream().cuda_stream
        return 0
    if isinstance(stream, int):
        return stream
    for attribute in ("cuda_stream", "ptr"):
        if hasattr(stream, attribute):
            return int(getattr(stream, attribute))
    raise Error(Status.USAGE,
                f"stream: expected a CUstream handle (int), a torch.cuda."
                f"Stream or an object with .ptr, got {type(stream).__name__}")


class _Call:
    """A kvcache_call of one entry, owned by one thread at a time."""

    def __init__(self, bundle, entry):
        self.bundle = bundle
        handle = ctypes.c_void_p()
        check(api.kvcache_call_create(bundle._handle, entry.encode(),
                                      ctypes.byref(handle)))
        self.handle = handle
        # Names bound by the last run: a static workspace bound then and
        # left out now must not be read through a stale pointer.
        self.bound = frozenset()

    def destroy(self):
        if self.handle:
            api.kvcache_call_destroy(self.handle)
            self.handle = None

    def bind(self, bindings):
        bind, encoded = api.kvcache_call_bind, _encoded
        for name, bound in bindings.items():
            rank = len(bound.shape)
            status = bind(self.handle, encoded(name), bound.pointer,
                          encoded(bound.descr), rank,
                          (ctypes.c_int64 * rank)(*bound.shape), bound.memory)
            if status:
                check(status)
        self.bound = frozenset(bindings)


class Pending:
    """A stream-ordered run (Bundle.run(..., wait=False)): its work is
    queued on the stream. wait() waits for it and raises what the kernels'
    guards found; the arrays and workspace it was given are kept alive
    until then."""

    def __init__(self, call, bindings, workspace):
        self._call = call
        self._bindings = bindings
        self._workspace = workspace

    def wait(self):
        if self._call is None:
            return
        call, self._call = self._call, None
        try:
            status = api.kvcache_call_wait(call.handle)
            if status in (Status.OK, Status.FAULT):
                for bound in self._bindings.values():
                    bound.finish()
            check(status)
        finally:
            call.bundle._forget(call)
            call.destroy()
            self._bindings = self._workspace = None

    def __del__(self):
        try:
            self.wait()
        except Error:
            pass


class Bundle:
    """A bundle directory that kvcache-compile wrote, opened.

    bundle.entries names its functions; bundle.arguments(entry) describes
    each flat argument; bundle.run(entry, **arrays), or bundle.<entry>(
    **arrays), calls one with every argument given by name."""

    def __init__(self, path, driver=None, device=0):
        self.path = os.fspath(path)
        options = OpenOptions(driver.encode() if driver else None, device)
        handle = ctypes.c_void_p()
        check(api.kvcache_bundle_open(self.path.encode(),
                                      ctypes.byref(options),
                                      ctypes.byref(handle)))
        self._handle = handle
        self.target = api.kvcache_bundle_target(handle).decode()
        self.is_gpu = bool(api.kvcache_bundle_is_gpu(handle))
        self.entries = tuple(
            api.kvcache_bundle_entry_name(handle, i).decode()
            for i in range(api.kvcache_bundle_num_entries(handle)))
        self._arguments = {entry: self._describe(entry)
                           for entry in self.entries}
        self._lock = threading.Lock()
        self._calls = set()  # every live _Call, for close()
        self._local = threading.local()  # a thread's _Call per entry

    def _describe(self, entry):
        count = ctypes.c_size_t()
        check(api.kvcache_bundle_num_arguments(self._handle, entry.encode(),
                                               ctypes.byref(count)))
        arguments = []
        for index in range(count.value):
            info = ArgumentInfo()
            check(api.kvcache_bundle_argument(self._handle, entry.encode(),
                                              index, ctypes.byref(info)))
            arguments.append(Argument._from_info(info))
        return tuple(arguments)

    def __repr__(self):
        return (f"<kvcache.Bundle '{self.path}' target {self.target}, "
                f"entries {', '.join(self.entries)}>")

    def _entry(self, entry):
        if self._handle is None:
            raise Error(Status.USAGE, f"bundle '{self.path}' is closed")
        if entry not in self._arguments:
            raise Error(Status.INPUT,
                        f"bundle '{self.path}' has no entry '{entry}'; it has:"
                        f" {', '.join(self.entries)}")
        return self._arguments[entry]

    def arguments(self, entry):
        """The entry's flat arguments (Argument), in ABI order."""
        return self._entry(entry)

    def __getattr__(self, name):
        # bundle.decode_step(...) is bundle.run("decode_step", ...).
        arguments = self.__dict__.get("_arguments", {})
        if name in arguments:
            return lambda *caches, **kwargs: self.run(name, *caches, **kwargs)
        raise AttributeError(name)

    # -- binding ------------------------------------------------------------

    def _named(self, entry, caches, arrays):
        """The arrays of a run by argument name: `arrays` as given, and the
        cache fields of each Step in `caches` (PagedCache.step), whose
        argument names the manifest gives."""
        arguments = self._entry(entry)
        named = dict(arrays)
        for step in caches:
            for field, value in step.cache_fields.items():
                matches = [a.name for a in arguments
                           if a.field == field and a.cache == step.cache
                           and a.device == step.device]
                if not matches:
                    continue  # a field this entry does not read
                if matches[0] in named:
                    raise Error(Status.USAGE,
                                f"argument '{matches[0]}' is given twice "
                                f"(by name and by a step's cache fields)")
                named[matches[0]] = value
        known = {argument.name for argument in arguments}
        unknown = [name for name in named if name not in known]
        if unknown:
            raise Error(Status.INPUT,
                        f"'{entry}' has no argument '{unknown[0]}'; it has: "
                        f"{', '.join(a.name for a in arguments)}")
        missing = [a.name for a in arguments
                   if a.name not in named and not a.static_workspace]
        if missing:
            raise Error(Status.INPUT,
                        f"'{entry}': argument '{missing[0]}' is not given "
                        f"(missing: {', '.join(missing)})")
        return {a.name: named[a.name] for a in arguments if a.name in named}

    def _bindings(self, entry, named, stream):
        by_name = {a.name: a for a in self._entry(entry)}
        bindings = {}
        for name, value in named.items():
            bound = _arrays.binding(by_name[name], value, stream)
            if bound.memory == _arrays.MEMORY_DEVICE and not self.is_gpu:
                raise Error(Status.INPUT,
                            f"argument '{name}': device memory given to a "
                            f"CPU bundle (target 'cpu')")
            bindings[name] = bound
        return bindings

    def _thread_call(self, entry, names):
        calls = self._local.__dict__.setdefault("calls", {})
        call = calls.get(entry)
        if call is not None and (call.bound - names):
            # An argument bound last time is left out now (a static
            # workspace): start afresh rather than read stale memory.
            self._drop(call)
            call = None
        if call is None:
            call = calls[entry] = self._new_call(entry)
        return call

    def _new_call(self, entry):
        call = _Call(self, entry)
        with self._lock:
            self._calls.add(call)
        return call

    def _forget(self, call):
        with self._lock:
            self._calls.discard(call)

    def _drop(self, call):
        self._forget(call)
        call.destroy()

    # -- running ------------------------------------------------------------

    def workspace_bytes(self, entry, *caches, **arrays):
        """The device workspace bytes a run with these arrays needs (0 for
        a CPU bundle); pass a workspace of at least this size to run()."""
        named = self._named(entry, caches, arrays)
        bindings = self._bindings(entry, named, None)
        call = self._thread_call(entry, frozenset(named))
        call.bind(bindings)
        size = ctypes.c_uint64()
        check(api.kvcache_call_workspace_bytes(call.handle,
                                               ctypes.byref(size)))
        return size.value

    def run(self, entry, *caches, stream=None, workspace=None,
            cache_checks=True, wait=True, **arrays):
        """Calls `entry` with every argument given by name (and the cache
        fields of any PagedCache step given positionally).

        NumPy arrays are host memory: a CPU bundle works on them in place, a
        GPU bundle copies them to the device and back. Device arrays (torch
        CUDA tensors, __cuda_array_interface__, CUDA DLPack) are bound in
        place. A GPU run goes to `stream` (default: PyTorch's current
        stream, else CUDA's default stream), with `workspace` (a device
        array of at least workspace_bytes(), else the call's own). With
        wait=False a GPU run only queues its work, every memref being in
        device memory, and returns a Pending to wait() on. Raises Error,
        naming the argument and the rule, for every refusal and fault."""
        named = self._named(entry, caches, arrays)
        handle = _stream_handle(stream) if self.is_gpu else 0
        bindings = self._bindings(entry, named, handle or None)
        options = RunOptions(handle or None, 0, 0,
                             0 if cache_checks else RUN_NO_CACHE_CHECKS)
        space = None  # the workspace's Binding, alive while it is in use
        if workspace is not None:
            space, size = _arrays.device_memory(workspace, "workspace")
            options.workspace, options.workspace_bytes = space.pointer, size
        if not wait:
            if not self.is_gpu:
                raise Error(Status.USAGE,
                            "wait=False: a CPU bundle's run is not "
                            "stream-ordered")
            options.flags |= RUN_STREAM_ORDERED
            call = self._new_call(entry)  # its own: runs overlap
            try:
                call.bind(bindings)
                check(api.kvcache_call_run(call.handle,
                                           ctypes.byref(options)))
            except BaseException:
                self._drop(call)
                raise
            return Pending(call, bindings, space)
        call = self._thread_call(entry, frozenset(bindings))
        call.bind(bindings)
        status = api.kvcache_call_run(call.handle, ctypes.byref(options))
        if status in (Status.OK, Status.FAULT):
            # A fault leaves in the outputs what the call wrote: so do we.
            for bound in bindings.values():
                bound.finish()
        check(status)
        return None

    # -- closing ------------------------------------------------------------

    def close(self):
        """Closes the bundle (its calls first). Idempotent."""
        if getattr(self, "_handle", None) is None:
            return
        with self._lock:
            calls, self._calls = list(self._calls), set()
        for call in calls:
            call.destroy()
        api.kvcache_bundle_close(self._handle)
        self._handle = None
        owned = self.__dict__.pop("_owned_directory", None)
        if owned is not None:
            owned.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


def load(path, driver=None, device=0):
    """Opens the bundle directory `path` (manifest.json, libkernels.so).
    A GPU bundle opens CUDA device `device` through `driver` (default
    libcuda.so.1, found as the dynamic loader finds it); one process runs
    GPU bundles on one device through one driver."""
    return Bundle(path, driver=driver, device=device)
