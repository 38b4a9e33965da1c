"""Writes the PTX of every gpu.binary in an MLIR file to OUTDIR/<name>.ptx.

Usage: extract_ptx.py LOWERED.mlir OUTDIR. The MLIR must come from
gpu-module-to-binary with format=isa, whose objects hold PTX text in their
`assembly` property; MLIR escapes a string's non-printable characters, '"'
and '\\' as a backslash and two hex digits. This stands in for the *.ptx
files the bundle compiler writes, which the stand-in libcuda reads kernel
parameter lists from when the module it loads is a cubin.
"""
import os
import re
import sys

source, outdir = sys.argv[1], sys.argv[2]
text = open(source).read()
os.makedirs(outdir, exist_ok=True)
count = 0
for binary in re.finditer(r'gpu\.binary @(\w+)', text):
    match = re.compile(r'assembly = "((?:[^"\\]|\\[0-9A-Fa-f]{2})*)"').search(
        text, binary.end())
    if not match:
        sys.exit(f"{source}: gpu.binary @{binary.group(1)} has no assembly")
    ptx = re.sub(r'\\([0-9A-Fa-f]{2})',
                 lambda m: chr(int(m.group(1), 16)), match.group(1))
    with open(os.path.join(outdir, binary.group(1) + ".ptx"), "w") as f:
        f.write(ptx)
    count += 1
if not count:
    sys.exit(f"{source}: no gpu.binary")
