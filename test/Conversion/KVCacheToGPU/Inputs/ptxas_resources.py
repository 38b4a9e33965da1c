"""Summarises `ptxas -v` output: one line per kernel, sorted by name.

  kernel=<name> arch=<sm> registers=<n> stack=<n> spill_stores=<n> spill_loads=<n> smem=<n>

ptxas reports kernels in an order of its own; sorting lets FileCheck match
kernels by name. Fails when ptxas reported no kernel.
"""
import re
import sys

kernels = {}
current = None
for line in sys.stdin:
    match = re.search(r"Compiling entry function '(\w+)' for '(\w+)'", line)
    if match:
        current = kernels.setdefault(match.group(1), {"arch": match.group(2)})
        continue
    if current is None:
        continue
    match = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                      r"(\d+) bytes spill loads", line)
    if match:
        current.update(stack=match.group(1), spill_stores=match.group(2),
                       spill_loads=match.group(3))
    match = re.search(r"Used (\d+) registers", line)
    if match:
        current["registers"] = match.group(1)
        smem = re.search(r"(\d+) bytes smem", line)
        current["smem"] = smem.group(1) if smem else "0"
if not kernels:
    sys.exit("ptxas_resources.py: no kernel in the ptxas output")
for name in sorted(kernels):
    k = kernels[name]
    print(f"kernel={name} arch={k['arch']} registers={k.get('registers')} "
          f"stack={k.get('stack')} spill_stores={k.get('spill_stores')} "
          f"spill_loads={k.get('spill_loads')} smem={k.get('smem')}")
