"""Prints the PTX that gpu-module-to-binary{format=isa} embedded in a module.

Reads MLIR text on stdin; writes the assembly of every `gpu.binary` object,
unescaped, on stdout. Fails when there is none, so a test never checks an
empty file.
"""
import re
import sys

text = sys.stdin.read()
objects = re.findall(r'assembly = "((?:[^"\\]|\\.)*)"', text)
if not objects:
    sys.exit("extract_ptx.py: no gpu.binary assembly in the input")


def unescape(match):
    escaped = match.group(1)
    return "\\" if escaped == "\\" else chr(int(escaped, 16))


for obj in objects:
    sys.stdout.write(re.sub(r"\\(\\|[0-9A-Fa-f]{2})", unescape, obj))
