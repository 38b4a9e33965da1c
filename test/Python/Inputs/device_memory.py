"""The Python package on a sim bundle through the stand-in libcuda, whose
kernels run on the host: every way memory reaches a GPU call, each
compared with kvcache-run's answer bit for bit, and the device-side
refusals.

    device_memory.py BUNDLE INPUTS EXPECTED"""

import sys
import threading

import numpy as np

import kvcache
import standin_cuda as cuda
from common import inputs_for, refused, report


def on_device(bundle, arrays, wrap=cuda.DeviceArray.from_numpy):
    """Every device-placed array copied to device memory."""
    placed = {a.name: a.placement for a in bundle.arguments("decode")}
    return {name: wrap(value) if placed[name] == "device" and np.ndim(value)
            else value for name, value in arrays.items()}


def back(arrays):
    return {name: value.numpy() if isinstance(value, cuda.DeviceArray)
            else value for name, value in arrays.items()}


def main(directory, inputs, expected):
    bundle = kvcache.load(directory)
    print(f"loaded: target {bundle.target}, gpu {bundle.is_gpu}")
    host = lambda: inputs_for(bundle, "decode", inputs)  # noqa: E731

    arrays = host()
    bundle.decode(**arrays)
    report("NumPy arrays, copied in and back", arrays, expected)

    arrays = on_device(bundle, host())
    stream = cuda.stream()
    need = bundle.workspace_bytes("decode", **arrays)
    print(f"workspace_bytes: {need} (the fault word: {need >= 256})")
    workspace = cuda.DeviceArray((need,), np.uint8)
    bundle.decode(stream=stream, workspace=workspace, **arrays)
    report("device arrays on a stream with a workspace", back(arrays),
           expected)

    arrays = host()
    q = cuda.DeviceArray.from_numpy(arrays["q"])
    arrays["q"] = cuda.DLPackArray(q)
    bundle.decode(**arrays)
    arrays["q"] = q.numpy()
    report("q through DLPack", arrays, expected)

    arrays = on_device(bundle, host())
    pending = bundle.decode(stream=stream, wait=False, **arrays)
    print(f"wait=False: {type(pending).__name__}")
    pending.wait()
    report("  after wait()", back(arrays), expected)

    def thread_run(results, index):
        cuda.make_current()
        arrays = on_device(bundle, host())
        bundle.decode(stream=cuda.stream(), **arrays)
        results[index] = back(arrays)
    results = [None, None]
    threads = [threading.Thread(target=thread_run, args=(results, i))
               for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, arrays in enumerate(results):
        report(f"thread {i}, its own stream", arrays, expected)

    def changed(name, value):
        arrays = on_device(bundle, host())
        arrays[name] = value(arrays)
        return lambda: bundle.decode(stream=stream, **arrays)

    refused("workspace too small",
            lambda: bundle.decode(stream=stream,
                                  workspace=cuda.DeviceArray((255,), np.uint8),
                                  **on_device(bundle, host())))
    refused("strided device array", changed(
        "q", lambda a: cuda.DeviceArray(a["q"].shape, a["q"].dtype,
                                        strides=(4096, 256, 4))))
    refused("unaligned device array", changed(
        "q", lambda a: cuda.DeviceArray(a["q"].shape, a["q"].dtype,
                                        offset=8)))
    refused("host-placed argument in device memory", changed(
        "max_lengths", lambda a: cuda.DeviceArray.from_numpy(a["max_lengths"])))

    def page_past_pool(arrays):
        table = arrays["lookup_table"].numpy()
        table[1, 0] = arrays["kv_blocks"].shape[0]
        return cuda.DeviceArray.from_numpy(table)
    refused("page id past the pool (the kernels' guard)",
            changed("lookup_table", page_past_pool))
    arrays = on_device(bundle, host())
    arrays["lookup_table"] = page_past_pool(arrays)
    pending = bundle.decode(stream=stream, wait=False, **arrays)
    refused("  the same, stream-ordered: at wait()", pending.wait)

    arrays = host()
    bundle.decode(**arrays)
    report("then NumPy arrays again", arrays, expected)


if __name__ == "__main__":
    main(*sys.argv[1:4])
