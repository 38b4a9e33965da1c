#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-22 (ASan + libFuzzer) in build-fuzz/
# and runs each for SECONDS (default 60). Seeds come from the lit tests; a
# crash leaves its input in build-fuzz/artifacts/ and fails the script.
#   usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${1:-60}
dir=${FUZZ_BUILD_DIR:-build-fuzz}

# clang-22 and its libFuzzer runtime, through setup.sh's package logic (it
# runs apt-get update first when anything is missing).
source scripts/setup.sh
PACKAGES=(clang-22 libclang-rt-22-dev)
install_packages

# -Werror stays with the main (g++) build: a second compiler's new warnings
# must not stop the fuzzers.
if [[ ! -f "$dir/build.ninja" ]]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DKVCACHE_FUZZ=ON -DKVCACHE_WERROR=OFF
fi
cmake --build "$dir" --target kvcache-ir-fuzzer kvcache-runtime-fuzzer

/usr/bin/python3 fuzz/seed.py . "$dir/seeds"
mkdir -p "$dir/corpus/ir" "$dir/corpus/runtime" "$dir/artifacts"
# LLVM headers compiled with ASan poison their allocators' memory, which the
# uninstrumented libMLIR.so then touches: turn user poisoning off.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allow_user_poisoning=0
status=0
# Inputs that once crashed a target: each runs once before fuzzing.
for target in ir runtime; do
  shopt -s nullglob
  regressions=(fuzz/regressions/"$target"-*)
  shopt -u nullglob
  if ((${#regressions[@]})); then
    echo "== kvcache-$target-fuzzer on ${#regressions[@]} regression inputs"
    "$dir/bin/kvcache-$target-fuzzer" "${regressions[@]}" 2> "$dir/$target-regressions.log" ||
      { status=1; tail -20 "$dir/$target-regressions.log"; }
  fi
done
for target in ir runtime; do
  echo "== kvcache-$target-fuzzer for ${seconds}s"
  "$dir/bin/kvcache-$target-fuzzer" "$dir/corpus/$target" "$dir/seeds/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$dir/artifacts/$target-" -print_final_stats=1 \
    2> "$dir/$target.log" || status=$?
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|ERROR|crash" \
    "$dir/$target.log" | tail -4
done
exit "$status"
