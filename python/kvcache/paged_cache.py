"""PagedCache: the host side of a serving loop over one kv_blocks pool.

The page allocator and ABI.md's step rules are the runtime's
(kvcache_paged_cache_* in kvcache-c/Runtime.h); this module holds the pool
and hands the step inputs to Bundle.run as arrays.
"""

import ctypes

import numpy as np

from ._library import CacheGeometry, Error, Status, StepInputs, api, check

__all__ = ["PagedCache", "Step"]

# A cache element type's NumPy dtype (bf16 and fp8 as bit patterns).
_POOL_DTYPES = {"f32": "<f4", "f16": "<f2", "bf16": "<u2", "f8E4M3FN": "|u1"}
_TORCH_DTYPES = {"f32": "float32", "f16": "float16", "bf16": "bfloat16",
                 "f8E4M3FN": "float8_e4m3fn"}


class Step:
    """One step's inputs for a batch of requests: `cache_fields` maps ABI
    field names to arrays (kv_blocks, cache_lengths, lookup_table,
    max_lengths, attention_dispatch_metadata) for cache `cache` on device
    `device`; `input_row_offsets` is the compute ops' row_offsets operand.
    Bundle.run takes a Step positionally and binds each field to the
    argument the manifest names for it."""

    def __init__(self, cache_fields, input_row_offsets, cache, device):
        self.cache_fields = cache_fields
        self.input_row_offsets = input_row_offsets
        self.cache = cache
        self.device = device

    def __getitem__(self, field):
        return self.cache_fields[field]


class PagedCache:
    """A kv_blocks pool [total_num_pages, kv_dim, num_layers, page_size,
    num_kv_heads, head_dim] of `dtype` ("bf16", "f16", "f32" or
    "f8E4M3FN"), zeroed: NumPy by default, a torch tensor on
    `torch_device` (e.g. "cuda") when given. Requests take pages from a
    shuffle of the pool seeded with `seed`."""

    def __init__(self, *, total_num_pages, num_layers, page_size,
                 num_kv_heads, head_dim, kv_dim=2, dtype="bf16", seed=0,
                 cache="", device=0, torch_device=None):
        if dtype not in _POOL_DTYPES:
            raise Error(Status.INPUT,
                        f"dtype: expected one of {', '.join(_POOL_DTYPES)}, "
                        f"got '{dtype}'")
        geometry = CacheGeometry(total_num_pages, kv_dim, num_layers,
                                 page_size, num_kv_heads, head_dim)
        handle = ctypes.c_void_p()
        check(api.kvcache_paged_cache_create(ctypes.byref(geometry), seed,
                                             ctypes.byref(handle)))
        self._handle = handle
        self.shape = (total_num_pages, kv_dim, num_layers, page_size,
                      num_kv_heads, head_dim)
        self.page_size = page_size
        self.dtype = dtype
        self.cache = cache
        self.device = device
        if torch_device is None:
            self.kv_blocks = np.zeros(self.shape, dtype=_POOL_DTYPES[dtype])
        else:
            import torch

            self.kv_blocks = torch.zeros(
                self.shape, dtype=getattr(torch, _TORCH_DTYPES[dtype]),
                device=torch_device)

    def __del__(self):
        if getattr(self, "_handle", None):
            api.kvcache_paged_cache_destroy(self._handle)
            self._handle = None

    @property
    def num_free_pages(self):
        return api.kvcache_paged_cache_num_free_pages(self._handle)

    def allocate(self, cache_length=0, prompt_length=1):
        """Admits a request with `cache_length` tokens cached and
        `prompt_length` new this step; returns its id."""
        return self.allocate_batch([(cache_length, prompt_length)])[0]

    def allocate_batch(self, requests):
        """Admits every (cache_length, prompt_length) request or, raising
        OutOfPagesError, none; returns their ids."""
        count = len(requests)
        cached = (ctypes.c_int64 * count)(*(int(r[0]) for r in requests))
        new = (ctypes.c_int64 * count)(*(int(r[1]) for r in requests))
        ids = (ctypes.c_uint64 * count)()
        check(api.kvcache_paged_cache_allocate(self._handle, count, cached,
                                               new, ids))
        return list(ids)

    def advance(self, request, prompt_length=1):
        """After a step: the request's new tokens are cached, and the next
        step brings `prompt_length` more (taking pages as needed, or
        raising OutOfPagesError and changing nothing)."""
        check(api.kvcache_paged_cache_advance(self._handle, request,
                                              prompt_length))

    def release(self, request):
        check(api.kvcache_paged_cache_release(self._handle, request))

    def request(self, request):
        """(cache_length, prompt_length, pages) of a live request."""
        cached, new = ctypes.c_int64(), ctypes.c_int64()
        count = ctypes.c_size_t()
        pages = ctypes.POINTER(ctypes.c_uint32)()
        check(api.kvcache_paged_cache_request(
            self._handle, request, ctypes.byref(cached), ctypes.byref(new),
            ctypes.byref(count), ctypes.byref(pages)))
        return (cached.value, new.value,
                np.array([pages[i] for i in range(count.value)],
                         dtype=np.int64))

    def step(self, requests, steps_remaining=1, num_sms=0):
        """The Step of `requests` (ids, in batch order): lookup_table,
        cache_lengths, max_lengths (this step and `steps_remaining` - 1
        decode steps after it), attention_dispatch_metadata (its split-K
        count for `num_sms` SMs; 0: the rule's default) and
        input_row_offsets, as int32/int64 NumPy arrays, with this pool as
        kv_blocks. On an MLA pool (kv_dim 1) the metadata has ABI.md's
        three entries and mla_num_partitions holds the same split count."""
        count = len(requests)
        ids = (ctypes.c_uint64 * count)(*requests)
        columns = ctypes.c_int64()
        check(api.kvcache_paged_cache_lookup_table_columns(
            self._handle, count, ids, ctypes.byref(columns)))
        fields = {
            "cache_lengths": np.empty(count, np.int32),
            "lookup_table": np.empty((count, columns.value), np.int32),
            "max_lengths": np.empty((max(steps_remaining, 0), 2), np.int32),
            "attention_dispatch_metadata": np.empty(4, np.int64),
        }
        offsets = np.empty(count + 1, np.int32)
        inputs = StepInputs(columns.value, steps_remaining, num_sms,
                            *(array.ctypes.data for array in fields.values()),
                            offsets.ctypes.data)
        check(api.kvcache_paged_cache_step(self._handle, count, ids,
                                           ctypes.byref(inputs)))
        if self.shape[1] == 1:
            metadata = fields["attention_dispatch_metadata"]
            fields["attention_dispatch_metadata"] = metadata[:3].copy()
            fields["mla_num_partitions"] = metadata[2:3].copy()
        fields = {"kv_blocks": self.kv_blocks, **fields}
        return Step(fields, offsets, self.cache, self.device)
