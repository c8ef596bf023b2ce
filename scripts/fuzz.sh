#!/bin/bash
# Builds every libFuzzer target with clang (all libraries instrumented with
# ASan, UBSan and coverage) and runs each for MINUTES (default 1), one after
# the other, niced. The corpora grow in build-fuzz/tests/fuzz/work/<target>.
# A crash leaves its input there as crash-* and makes the exit status 1.
# Usage: scripts/fuzz.sh [MINUTES] [TARGET...]   (env: PSB_FUZZ_BUILD, JOBS)
#        scripts/fuzz.sh smoke   build, then ctest -L fuzz: the flags check and
#                                20 s per target (what CI runs)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-1}
shift || true
build=${PSB_FUZZ_BUILD:-$src/build-fuzz}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=$src CCACHE_NOHASHDIR=true # as in scripts/build.sh
fi
CXX=${CXX:-clang++} cmake -S "$src" -B "$build" -DPSB_BUILD_FUZZ=ON -DPSB_BUILD_TESTS=OFF \
  -DPSB_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build "$build" -j"${JOBS:-2}"
if [[ $minutes == smoke ]]; then
  cd "$build" && exec ctest --output-on-failure -L fuzz
fi
targets=("$@")
((${#targets[@]})) || targets=(zone disk symbols oops record_file)
secs=$((minutes * 60))
fail=0
for t in "${targets[@]}"; do
  nice -n 10 bash "$src/tests/fuzz/run_fuzz.sh" "$build/tests/fuzz/psb_fuzz_$t" "$src" "$t" "$secs" \
    "$build/tests/fuzz/work" || fail=1
done
exit $fail
