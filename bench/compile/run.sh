#!/usr/bin/env bash
# Compile-time benchmark: kvcache-expand-inputs on !kvcache.inputs bundles vs
# upstream's 1:N call-graph decomposition of the same fields as tuple<...>.
#   usage: bench/compile/run.sh [BUILD_DIR]      (default: build)
#   env:   NS="1000 4000 16000"   function counts
#          MLIR_OPT=/usr/lib/llvm-22/bin/mlir-opt
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="$(cd "${1:-build}" 2>/dev/null && pwd || echo "${1:-build}")"
kvcache_opt="$build/bin/kvcache-opt"
mlir_opt="${MLIR_OPT:-/usr/lib/llvm-22/bin/mlir-opt}"
out="$here/out"
mkdir -p "$out"
read -r -a ns <<<"${NS:-1000 4000 16000}"

# Prints the median, over 5 runs, of the pass's own time as --mlir-timing
# reports it (the row whose name matches $1), in seconds.
pass_median() {
  local row="$1" times=() i
  shift
  for i in 1 2 3 4 5; do
    times+=("$("$@" --mlir-timing 2>&1 >/dev/null | awk -v r="$row" '$0 ~ r { print $1; exit }')")
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
exit "$status"
