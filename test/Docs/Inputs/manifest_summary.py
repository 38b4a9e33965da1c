#!/usr/bin/env python3
"""A bundle's manifest.json in two lines per function: the target and the
library, then each function's entry and its flat arguments' names in order.

    manifest_summary.py MANIFEST"""
import json
import sys

manifest = json.load(open(sys.argv[1]))
print(f"target {manifest['target']}, library {manifest['library']}")
for function in manifest["functions"]:
    names = " ".join(a["name"] for a in function["arguments"])
    print(f"{function['name']} ({function['entry']}): {names}")
