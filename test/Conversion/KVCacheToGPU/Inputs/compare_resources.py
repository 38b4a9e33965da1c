"""Compares two ptxas_resources.py summaries kernel by kernel: prints, per
kernel of the first (the checked build), its registers and spills next to
the second's (the same kernels built with page-guard=false) and whether the
registers are within --tolerance and neither spills.

  kernel=<name> registers <a> vs <b> (<a - b>) spills <s> <ok|OVER>
"""
import argparse
import re


def read(path):
    kernels = {}
    for line in open(path):
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        kernels[fields["kernel"]] = fields
    return kernels


p = argparse.ArgumentParser()
p.add_argument("checked")
p.add_argument("unchecked")
p.add_argument("--tolerance", type=int, default=8)
a = p.parse_args()
checked, unchecked = read(a.checked), read(a.unchecked)
for name, fields in sorted(checked.items()):
    other = unchecked[name]
    delta = int(fields["registers"]) - int(other["registers"])
    spills = int(fields["spill_stores"]) + int(other["spill_stores"])
    ok = abs(delta) <= a.tolerance and spills == 0
    print(f"kernel={name} registers {fields['registers']} vs "
          f"{other['registers']} ({delta:+d}) spills {spills} "
          f"{'ok' if ok else 'OVER'}")
