"""Runs the README's Python snippet (the ```python block of "Calling
bundles from Python") from the source root, then checks what it left.

    readme_snippet.py README"""

import os
import re
import sys

import numpy as np

import kvcache

readme = open(sys.argv[1]).read()
section = readme.split("### Calling bundles from Python", 1)[1]
snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
os.chdir(os.path.dirname(os.path.abspath(sys.argv[1])))
names = {}
exec(compile(snippet, "README.md", "exec"), names)
out = kvcache.bfloat16_to_float32(names["out"])
print(f"snippet ran: out finite and not zero: "
      f"{bool(np.isfinite(out).all() and np.abs(out).max() > 0)}")
print(f"requests after advance: "
      f"{[names['cache'].request(r)[:2] for r in names['ids']]}")
