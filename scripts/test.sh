#!/usr/bin/env bash
# The whole test suite on a fresh machine: set-up and build (scripts/setup.sh),
# every lit and unit test, the same suite under ASan + UBSan, then a short run
# of each fuzzer. Idempotent; fails when any stage fails.
#   BUILD_DIR        main build directory (default: build)
#   SANITIZE_DIR     the sanitizer build (default: build-asan)
#   FUZZ_SECONDS     per fuzzer (default: 60; 0 skips fuzzing)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${BUILD_DIR:-build}"
export BUILD_DIR
bash scripts/setup.sh

echo "== check-kvcache ($BUILD_DIR)"
cmake --build "$BUILD_DIR" --target check-kvcache

sanitize_dir="${SANITIZE_DIR:-build-asan}"
echo "== check-kvcache under ASan + UBSan ($sanitize_dir)"
if [[ ! -f "$sanitize_dir/build.ninja" ]]; then
  cmake -S . -B "$sanitize_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKVCACHE_SANITIZE=ON
fi
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  cmake --build "$sanitize_dir" --target check-kvcache

if [[ "${FUZZ_SECONDS:-60}" != 0 ]]; then
  echo "== fuzzers, ${FUZZ_SECONDS:-60} s each"
  bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
fi
echo "test.sh: all stages passed"
