"""kvcache.compile / kvcache.load / Bundle.run on host (NumPy) arrays:

    run_bundle.py compile GRAPH TARGET DIR   compile, describe the entries
    run_bundle.py run DIR INPUTS EXPECTED [DRIVER]
                                             run every way, compare

`run` calls the bundle's entry `decode` three ways (bundle.run, the
attribute form, and with outputs and inputs that are strided or unaligned,
so staged through aligned copies) and compares every array after the run
with kvcache-run's (EXPECTED) bit for bit."""

import sys

import numpy as np

import kvcache
from common import inputs_for, report


def compile_graph(graph, target, directory):
    bundle = kvcache.compile(graph, target=target, out=directory)
    print(f"compiled: target {bundle.target}, gpu {bundle.is_gpu}, "
          f"entries {list(bundle.entries)}")
    for argument in bundle.arguments("decode"):
        print(f"  {argument.name}: {argument.kind} {argument.element_type} "
              f"{argument.dtype} {argument.shape} {argument.role} "
              f"{argument.placement} field={argument.field} "
              f"operand={argument.operand}")
    # The same graph as text.
    with open(graph) as source:
        again = kvcache.compile(source.read(), target=target,
                                out=directory + "-text")
    print(f"from text: entries {list(again.entries)}")


def strided_copy(array):
    """`array`'s values in a view with a stride gap (not C-contiguous)."""
    wide = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), array.dtype)
    view = wide[..., ::2]
    view[...] = array
    return wide, view


def unaligned_copy(array):
    """`array`'s values at an address 2 bytes past 16-byte alignment."""
    raw = np.zeros(array.nbytes + 32, np.uint8)
    start = (-raw.ctypes.data % 16) + 2
    view = raw[start:start + array.nbytes].view(array.dtype).reshape(
        array.shape)
    view[...] = array
    return view


def run(directory, inputs, expected, driver=None):
    bundle = kvcache.load(directory, driver=driver)
    arrays = inputs_for(bundle, "decode", inputs)
    bundle.run("decode", **arrays)
    report("bundle.run", arrays, expected)

    arrays = inputs_for(bundle, "decode", inputs)
    bundle.decode(**arrays)
    report("bundle.decode", arrays, expected)

    arrays = inputs_for(bundle, "decode", inputs)
    wide, arrays["out"] = strided_copy(arrays["out"])
    arrays["q"] = unaligned_copy(arrays["q"])
    arrays["kv_blocks"] = unaligned_copy(arrays["kv_blocks"])
    bundle.decode(**arrays)
    report("strided out, unaligned q and kv_blocks", arrays, expected)
    print(f"  the stride gaps untouched: {not wide[..., 1::2].any()}")

    # Python numbers for scalars.
    arrays = inputs_for(bundle, "decode", inputs)
    arrays["layer"] = int(arrays["layer"])
    bundle.decode(**arrays)
    report("layer as an int", {"out": arrays["out"]}, expected)
    bundle.close()
    bundle.close()
    print("closed twice")


if __name__ == "__main__":
    if sys.argv[1] == "compile":
        compile_graph(*sys.argv[2:5])
    else:
        run(*sys.argv[2:6])
