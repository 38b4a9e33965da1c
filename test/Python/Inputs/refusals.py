"""Every refusal of the Python package on a CPU bundle, one line each: the
kvcache.Error's status and message (which names the argument and the
rule), after which the bundle still runs.

    refusals.py BUNDLE INPUTS NOT_A_BUNDLE"""

import sys

import numpy as np

import kvcache
from common import inputs_for, refused


class FakeDeviceArray:
    """CUDA memory as __cuda_array_interface__ describes it (never read)."""

    def __init__(self, array):
        self.__cuda_array_interface__ = {
            "shape": array.shape, "typestr": array.dtype.str,
            "data": (0x7f0000000000, False), "strides": None, "version": 3}


def main(directory, inputs, not_a_bundle):
    bundle = kvcache.load(directory)

    def run(**changes):
        arrays = inputs_for(bundle, "decode", inputs)
        for name, value in changes.items():
            if value is None:
                del arrays[name]
            else:
                arrays[name] = value(arrays) if callable(value) else value
        return lambda: bundle.run("decode", **arrays)

    def read_only(name):
        def change(arrays):
            arrays[name].setflags(write=False)
            return arrays[name]
        return change

    def page_past_pool(arrays):
        table = arrays["lookup_table"].copy()
        table[1, 0] = arrays["kv_blocks"].shape[0]
        return table

    refused("unknown entry", lambda: bundle.run("prefill"))
    refused("unknown argument", run(queries=np.zeros(1)))
    refused("missing argument", run(out=None))
    refused("dtype", run(q=lambda a: a["q"].astype(np.float32)))
    refused("shape", run(q=lambda a: a["q"][:, :7].copy()))
    refused("rank", run(q=lambda a: a["q"][0].copy()))
    refused("not an array", run(q=[1, 2, 3]))
    refused("read-only output", run(out=read_only("out")))
    refused("read-only cache", run(kv_blocks=read_only("kv_blocks")))
    refused("scalar not an integer", run(layer=1.5))
    refused("scalar out of range", run(layer=2**70))
    refused("layer past the cache", run(layer=1))
    refused("negative layer", run(layer=-1))
    refused("cache fields disagree",
            run(cache_lengths=lambda a: a["cache_lengths"] + 100))
    refused("page id past the pool", run(lookup_table=page_past_pool))
    arrays = inputs_for(bundle, "decode", inputs)
    arrays["lookup_table"] = page_past_pool(arrays)
    refused("page id past the pool, cache checks off (the guards)",
            lambda: bundle.run("decode", cache_checks=False, **arrays))
    refused("device memory on a CPU bundle",
            run(q=lambda a: FakeDeviceArray(a["q"])))
    refused("wait=False on a CPU bundle",
            lambda: bundle.run("decode", wait=False,
                               **inputs_for(bundle, "decode", inputs)))
    refused("a stream that is none",
            lambda: kvcache.bundle._stream_handle("stream 0"))

    cache = kvcache.PagedCache(total_num_pages=4, num_layers=1, page_size=16,
                               num_kv_heads=2, head_dim=128)
    step = cache.step([cache.allocate(0, 1)])
    refused("an argument given twice",
            lambda: bundle.run("decode", step,
                               **inputs_for(bundle, "decode", inputs)))
    refused("out of pages", lambda: cache.allocate(100, 1))
    print(f"  out of pages is OutOfPagesError: "
          f"{isinstance(_error(lambda: cache.allocate(100, 1)), kvcache.OutOfPagesError)}")
    refused("pool dtype", lambda: kvcache.PagedCache(
        total_num_pages=4, num_layers=1, page_size=16, num_kv_heads=2,
        head_dim=128, dtype="bf8"))
    refused("pool geometry", lambda: kvcache.PagedCache(
        total_num_pages=4, num_layers=1, page_size=0, num_kv_heads=2,
        head_dim=128))

    refused("compile: no such file", lambda: kvcache.compile("no-such.mlir"))
    refused("compile: bad graph",
            lambda: kvcache.compile("func.func @f() {\n  return %x\n}\n"))
    refused("load: not a bundle", lambda: kvcache.load(not_a_bundle))

    # After all that the bundle runs as before.
    arrays = inputs_for(bundle, "decode", inputs)
    bundle.decode(**arrays)
    print(f"still runs, out finite: "
          f"{bool(np.isfinite(kvcache.bfloat16_to_float32(arrays['out'])).all())}")
    bundle.close()
    refused("closed bundle", lambda: bundle.run("decode", **arrays))


def _error(call):
    try:
        call()
    except kvcache.Error as error:
        return error
    return None


if __name__ == "__main__":
    main(*sys.argv[1:4])
