#!/usr/bin/env bash
# Sets up and builds the project, then runs the whole test suite (lit + unit).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD_DIR="${BUILD_DIR:-build}"
export BUILD_DIR
bash scripts/setup.sh
exec cmake --build "$BUILD_DIR" --target check-kvcache
