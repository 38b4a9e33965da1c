#!/usr/bin/env python3
"""Prints the flat ABI of each function in a bundle's manifest.json."""
import json
import sys


def main():
    with open(sys.argv[1]) as f:
        manifest = json.load(f)
    print(f"bundle target: {manifest['target']}")
    for function in manifest["functions"]:
        print(f"@{function['name']} ({function['entry']}): flat arguments")
        print(f"  {'#':>3}  {'name':<30} {'role':<7} {'placement':<9} type")
        for arg in function["arguments"]:
            dims = "x".join("?" if d < 0 else str(d) for d in arg["shape"])
            kind = (f"memref<{dims + 'x' if dims else ''}{arg['element_type']}>"
                    if arg["kind"] == "memref" else arg["element_type"])
            print(f"  {arg['index']:>3}  {arg['name']:<30} {arg['role']:<7} "
                  f"{arg['placement']:<9} {kind}")


if __name__ == "__main__":
    main()
