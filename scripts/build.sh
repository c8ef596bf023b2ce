#!/bin/bash
# Configures and builds pstore-blk into ${BUILD_DIR:-build}. Extra arguments go to cmake.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$src/build}
# ccache (installed with the test tools) keeps compiled objects in ~/.cache/ccache,
# outside the repository: a second run, or another clone (paths are hashed
# relative to the source directory), recompiles only what changed.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=$src CCACHE_NOHASHDIR=true
fi
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "${launcher[@]}" "$@" >/dev/null
cmake --build "$build" -j"$(nproc)"
