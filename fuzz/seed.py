#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora.

IR: every input of the lit tests under test/ (split at `// -----`).
Runtime: the .npy and manifest.json files that the lit tests and the
examples use, each prefixed with the byte that picks its reader.
"""
import os
import sys

root, out = sys.argv[1], sys.argv[2]
ir_dir, rt_dir = os.path.join(out, "ir"), os.path.join(out, "runtime")
os.makedirs(ir_dir, exist_ok=True)
os.makedirs(rt_dir, exist_ok=True)
count = 0
for base, _, files in os.walk(os.path.join(root, "test")):
    for name in sorted(files):
        path = os.path.join(base, name)
        if name.endswith(".mlir"):
            with open(path, errors="replace") as f:
                for i, chunk in enumerate(f.read().split("// -----")):
                    with open(os.path.join(ir_dir, f"{count}-{i}.mlir"), "w") as o:
                        o.write(chunk)
            count += 1
        elif name.endswith(".json") or name.endswith(".npy"):
            with open(path, "rb") as f:
                data = f.read()
            tag = b"\x01" if name.endswith(".npy") else b"\x00"
            with open(os.path.join(rt_dir, f"{count}-{name}"), "wb") as o:
                o.write(tag + data)
            count += 1

# A few well-formed .npy files of every dtype the runtime reads.
try:
    import numpy as np
    import io
    for dtype in ("<f4", "<f2", "<u2", "<i4", "<u4", "<i8", "|u1"):
        for shape in ((), (3,), (2, 5), (1, 2, 1, 4, 1, 2)):
            buf = io.BytesIO()
            np.save(buf, np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape))
            name = f"npy-{dtype.strip('<|')}-{len(shape)}.npy"
            with open(os.path.join(rt_dir, name), "wb") as o:
                o.write(b"\x01" + buf.getvalue())
except ImportError:
    pass
