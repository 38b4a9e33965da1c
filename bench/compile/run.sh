#!/usr/bin/env bash
# Compile-time benchmark: kvcache-expand-inputs on !kvcache.inputs bundles vs
# upstream's 1:N call-graph decomposition of the same fields as tuple<...>;
# then kvcache-drop-optional-fields and kvcache-pack-inputs on the same call
# chains next to expand-inputs, and expand + pack's peak memory on one
# function of WIDE bundle arguments.
#   usage: bench/compile/run.sh [BUILD_DIR]      (default: build)
#   env:   NS="1000 2000 4000 8000 16000"   function counts
#          WIDE=5000                        bundle arguments of @wide
#          MLIR_OPT=/usr/lib/llvm-22/bin/mlir-opt
#          KVCACHE_OPT=BUILD_DIR/bin/kvcache-opt
#          OUT=bench/compile/out            generated inputs
set -euo pipefail
shopt -s inherit_errexit

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "${1:-build}" 2>/dev/null && pwd || echo "${1:-build}")"
kvcache_opt="${KVCACHE_OPT:-$build/bin/kvcache-opt}"
mlir_opt="${MLIR_OPT:-/usr/lib/llvm-22/bin/mlir-opt}"
out="${OUT:-$here/out}"
mkdir -p "$out"
read -r -a ns <<<"${NS:-1000 2000 4000 8000 16000}"
wide="${WIDE:-5000}"

# Prints the median, over 5 runs, of the pass's own time as --mlir-timing
# reports it (the row whose name matches $1), in seconds. A failing command
# or a missing row stops the script.
pass_median() {
  local row="$1" times=() i t
  shift
  for i in 1 2 3 4 5; do
    t="$("$@" --mlir-timing 2>&1 >/dev/null |
      awk -v r="$row" '$0 ~ r && !found { print $1; found = 1 }')" ||
      { echo "error: failed: $*" >&2; exit 1; }
    [[ -n "$t" ]] ||
      { echo "error: no '$row' row in --mlir-timing of: $*" >&2; exit 1; }
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -g | sed -n 3p
}

# Prints the median wall time, in seconds, of 3 runs of the given command.
median3() {
  local times=() i t0 t1
  for i in 1 2 3; do
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
  done
  printf '%s\n' "${times[@]}" | sort -g | sed -n 2p
}

status=0
if [[ ! -x "$kvcache_opt" ]]; then
  echo "warning: $kvcache_opt not found; kvcache column is n/a" >&2
  status=1
fi

# The pass time is the comparison the target is about; the whole-tool time
# also counts parsing and printing, and expanded bundles print more: each flat
# argument carries its kvcache.field/kvcache.device annotations.
declare -A kv up kvt upt
printf '%8s %10s %10s %6s   %10s %10s %6s\n' N kv_pass up_pass ratio \
  kv_tool up_tool ratio
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
for n in "${ns[@]}"; do
  python3 "$here/gen.py" "$n" --form bundle -o "$out/bundle_$n.mlir"
  python3 "$here/gen.py" "$n" --form tuple -o "$out/tuple_$n.mlir"
  up[$n]=$(pass_median TestDecomposeCallGraphTypes "$mlir_opt" \
    --test-decompose-call-graph-types "$out/tuple_$n.mlir" -o /dev/null)
  upt[$n]=$(median3 "$mlir_opt" --test-decompose-call-graph-types \
    "$out/tuple_$n.mlir" -o /dev/null)
  kv[$n]=n/a kvt[$n]=n/a
  if [[ -x "$kvcache_opt" ]]; then
    kv[$n]=$(pass_median ExpandInputs "$kvcache_opt" --kvcache-expand-inputs \
      "$out/bundle_$n.mlir" -o /dev/null)
    kvt[$n]=$(median3 "$kvcache_opt" --kvcache-expand-inputs \
      "$out/bundle_$n.mlir" -o /dev/null)
  fi
  printf '%8s %10s %10s %6s   %10s %10s %6s\n' "$n" "${kv[$n]}" "${up[$n]}" \
    "$(ratio "${kv[$n]}" "${up[$n]}")" "${kvt[$n]}" "${upt[$n]}" \
    "$(ratio "${kvt[$n]}" "${upt[$n]}")"
done

# Growth from the smallest to the largest N (16k/1k with the default NS);
# linear scaling gives last/first = 16x.
first=${ns[0]} last=${ns[-1]}
growth() {
  [[ "$1" == n/a ]] && { echo n/a; return; }
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", (b > 0 ? a / b : 0) }'
}
echo "pass growth $last/$first: kvcache $(growth "${kv[$last]}" "${kv[$first]}")," \
  "upstream $(growth "${up[$last]}" "${up[$first]}")"
echo "tool growth $last/$first: kvcache $(growth "${kvt[$last]}" "${kvt[$first]}")," \
  "upstream $(growth "${upt[$last]}" "${upt[$first]}")"
[[ -x "$kvcache_opt" ]] || exit "$status"

# The project's other signature-rewriting passes on the same chains, next to
# expand-inputs: drop-optional-fields on the bundle form (every private
# function keeps the required fields and kv_scales), pack-inputs on
# expand-inputs' output (it regroups the flat fields). Ratios are over
# expand-inputs' pass time.
declare -A drop pack
echo
printf '%8s %10s %10s %6s %10s %6s\n' N expand drop ratio pack ratio
for n in "${ns[@]}"; do
  "$kvcache_opt" --kvcache-expand-inputs "$out/bundle_$n.mlir" -o "$out/flat_$n.mlir"
  drop[$n]=$(pass_median DropOptionalFields "$kvcache_opt" \
    --kvcache-drop-optional-fields "$out/bundle_$n.mlir" -o /dev/null)
  pack[$n]=$(pass_median PackInputs "$kvcache_opt" --kvcache-pack-inputs \
    "$out/flat_$n.mlir" -o /dev/null)
  printf '%8s %10s %10s %6s %10s %6s\n' "$n" "${kv[$n]}" "${drop[$n]}" \
    "$(ratio "${drop[$n]}" "${kv[$n]}")" "${pack[$n]}" \
    "$(ratio "${pack[$n]}" "${kv[$n]}")"
done
# Growth over 8x the functions, for each pair of N that differ by 8x (1000
# -> 8000 and 2000 -> 16000 with the default NS; linear is 8x); the first N
# to the last if there is no such pair.
pairs=()
for a in "${ns[@]}"; do
  for b in "${ns[@]}"; do
    ((b == 8 * a)) && pairs+=("$a:$b")
  done
done
((${#pairs[@]})) || pairs=("$first:$last")
for pair in "${pairs[@]}"; do
  from=${pair%:*} to=${pair#*:}
  echo "pass growth $to/$from: expand $(growth "${kv[$to]}" "${kv[$from]}")," \
    "drop $(growth "${drop[$to]}" "${drop[$from]}")," \
    "pack $(growth "${pack[$to]}" "${pack[$from]}")"
done

# Peak memory (max RSS) of expand + pack on one function of $wide bundle
# arguments ($wide * 9 flat ones after expansion).
python3 "$here/gen.py" "$wide" --shape wide -o "$out/wide_$wide.mlir"
rss_kb=$(python3 - "$kvcache_opt" --kvcache-expand-inputs --kvcache-pack-inputs \
  "$out/wide_$wide.mlir" -o /dev/null <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
)
echo "expand + pack, $wide bundle arguments: max RSS $((rss_kb / 1024)) MB"
exit "$status"
