#!/usr/bin/env bash
# Compiles, here (where LLVM is), every bundle a GPU benchmark run needs: the
# correctness grid of test/Integration/GPU/*.test, the memcheck cases and the
# decode benchmark's bundles, plus a copy of kvcache-run, into BUNDLES_DIR with
# a cases.json index. The GPU host has no LLVM; it only runs them (run.sh).
#
#   usage: bench/gpu/build_bundles.sh [--target sm_90a|sm_80|cpu] [--quick]
#              [--keep-going] [--keep-ir] [-j N] BUILD_DIR BUNDLES_DIR
#
# --target cpu builds CPU bundles (the CPU suite's grid and a tiny benchmark)
# for `run.sh --cpu-only`. Exit status 1 if any bundle failed to compile
# (unless --keep-going, which records the failures in cases.json).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Debian's interpreter has NumPy; another python3 earlier on PATH may not.
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    python=/usr/bin/python3
  else
    python=python3
  fi
fi
export PYTHONDONTWRITEBYTECODE=1
exec "$python" "$here/cases.py" "$@"
