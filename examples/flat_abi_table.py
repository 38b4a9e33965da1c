#!/usr/bin/env python3
"""Prints the flat ABI of each public function in expanded MLIR (stdin).

Reads the output of `kvcache-opt --kvcache-expand-inputs` and lists, per
public function, its flat arguments in order with the name a runtime binds
them by (docs/ABI.md, "Names of flat arguments") and their types.
"""
import re
import sys

FUNC = re.compile(r"func\.func @(\w+)\((.*)\)")
ARG = re.compile(r"%\w+: ([^{,]+(?:<[^>]*>)?)\s*(?:\{([^}]*)\})?")


def bind_name(attrs):
    def get(key):
        m = re.search(key + r' = ("?)([\w.-]+)\1', attrs)
        return m.group(2) if m else None

    if get("kvcache.name"):
        return get("kvcache.name")
    field = get("kvcache.field")
    if field is None:
        return "(unnamed)"
    cache, device = get("kvcache.cache") or "", get("kvcache.device") or "0"
    if not cache and device == "0":
        return field
    return (cache + "." if cache else "") + "d" + device + "." + field


def split_args(text):
    depth, start, parts = 0, 0, []
    for i, c in enumerate(text):
        if c in "<{(":
            depth += 1
        elif c in ">})":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def main():
    for line in sys.stdin:
        m = FUNC.search(line)
        if not m or "private" in line.split("@")[0]:
            continue
        name, args = m.group(1), m.group(2)
        print(f"@{name}: flat arguments")
        print(f"  {'#':>3}  {'name':<34} type")
        for i, arg in enumerate(split_args(args)):
            type_text, _, attrs = arg.partition("{")
            type_text = type_text.split(":", 1)[1].strip()
            print(f"  {i:>3}  {bind_name(attrs):<34} {type_text}")


if __name__ == "__main__":
    main()
