#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (run as root): installs the
# missing build dependencies, then configures and builds the project.
#   BUILD_DIR  build directory, relative to the repo root (default: build)
# Sourcing this file only defines the functions (used to test them alone).
set -euo pipefail

PACKAGES=(
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  cmake ninja-build g++ libgtest-dev
  python3 python3-numpy python3-matplotlib clang-format valgrind
)

# Prints the packages of PACKAGES that are not installed, one per line.
missing_packages() {
  local pkg
  for pkg in "${PACKAGES[@]}"; do
    # dpkg-query fails for never-seen packages; treat that as "missing" too.
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" \
          != "install ok installed" ]]; then
      echo "$pkg"
    fi
  done
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  local build_dir="$1"
  # Configure only once, so re-runs keep the user's cache and are fast.
  if [[ ! -f "$build_dir/build.ninja" ]]; then
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build "$build_dir"
}

main() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  install_packages
  configure_and_build "${BUILD_DIR:-build}"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
