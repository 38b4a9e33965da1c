"""kvcache: call bundles that kvcache-compile wrote, from Python.

    import kvcache
    bundle = kvcache.compile("graph.mlir", target="cpu")  # or kvcache.load
    bundle.decode_step(q=q, key=k, value=v, ...)           # by argument name

ctypes and NumPy only, over libKVCacheRuntime.so (kvcache-c/Runtime.h).
NumPy arrays are host memory, written back in place; torch CUDA tensors and
other CUDA arrays are bound in place for GPU bundles. bf16 is held as uint16
bit patterns (or ml_dtypes.bfloat16), f8E4M3FN as uint8. Every refusal is a
kvcache.Error whose message names the argument and the rule.
"""

from ._library import Error, OutOfPagesError, Status
from .bundle import Argument, Bundle, Pending, load
from .compiler import compile
from .floats import bfloat16_to_float32, float32_to_bfloat16
from .paged_cache import PagedCache, Step

# Tracebacks name the classes as users spell them.
for _public in (Error, OutOfPagesError, Status, Argument, Bundle, Pending,
                PagedCache, Step):
    _public.__module__ = __name__
del _public

__all__ = ["Argument", "Bundle", "Error", "OutOfPagesError", "PagedCache",
           "Pending", "Status", "Step", "bfloat16_to_float32", "compile",
           "float32_to_bfloat16", "load"]
