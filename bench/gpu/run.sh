#!/usr/bin/env bash
# Everything a GPU host needs in one go, on bundles and a kvcache-run built
# elsewhere (bench/gpu/build_bundles.sh; the GPU host has no LLVM):
#   (a) nvidia-smi, driver and device; (b) the GPU correctness grid on the
#   prebuilt bundles; (c) compute-sanitizer memcheck on a decode and a prefill
#   case; (d) the decode benchmark of KERNELS.md; (e) copy bandwidth and the
#   80%-of-spec rejection rule; (f) the PyTorch peers (SDPA with enable_gqa on
#   dense K/V, and a paged gather + SDPA path); (g) our kernels through the
#   Python package (carried in BUNDLES_DIR) on torch CUDA tensors, next to
#   SDPA in one process, and one point bit for bit against kvcache-run;
#   (h) OUT_DIR/results.json and OUT_DIR/decode.png, then a short summary
#   table, printed last.
# Each stage has a time budget (bench/gpu/harness.py); the whole run stays
# under 4 minutes (--budget, default 215 s). OUT_DIR gets at most five files
# (results.json, decode.png, run.log, ...), each far under 16 MiB; the inputs
# (up to 17 GB) go to a scratch directory that is removed afterwards.
#
#   usage: bench/gpu/run.sh [--cpu-only] [--budget S] [--repeat N] [--jobs N]
#              [--scratch DIR] [--keep-scratch] [--skip STAGE]...
#              BUNDLES_DIR OUT_DIR
#
# Exit status 0 when results.json was written (failed cases are in it and in
# the summary), 2 for a usage error or bundles of the wrong kind.
#
# --cpu-only runs on CPU bundles (build_bundles.sh --target cpu): no GPU, no
# torch; the GPU sections of results.json say skipped and why.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

cpu_only=0
positional=()
args=("$@")
for ((i = 0; i < ${#args[@]}; ++i)); do
  case "${args[i]}" in
    --cpu-only) cpu_only=1 ;;
    --budget|--repeat|--jobs|--kvcache-run|--scratch|--skip) ((++i)) ;;
    -*) ;;
    *) positional+=("${args[i]}") ;;
  esac
done
if ((${#positional[@]} < 2)); then
  sed -n '2,/^set -uo/p' "$0" | sed -n 's/^# \{0,1\}//p' >&2
  exit 2
fi
out="${positional[-1]}"
mkdir -p "$out"

# The GPU host's python3 has torch and NumPy; Debian's /usr/bin/python3 has
# NumPy (another python3 earlier on PATH may not). Take the first that has
# torch (GPU mode) or NumPy; --cpu-only never needs torch and prefers Debian's.
python="${PYTHON:-}"
if [[ -z "$python" ]]; then
  if ((cpu_only)); then candidates=(/usr/bin/python3 python3); wants=(numpy)
  else candidates=(python3 /usr/bin/python3); wants=(torch numpy); fi
  for module in "${wants[@]}"; do
    for candidate in "${candidates[@]}"; do
      if command -v "$candidate" >/dev/null &&
         "$candidate" -c "import $module" 2>/dev/null; then
        python="$candidate"
        break 2
      fi
    done
  done
  python="${python:-python3}"
fi
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
"$python" "$here/harness.py" "$@" 2>&1 | tee "$out/run.log"
exit "${PIPESTATUS[0]}"
