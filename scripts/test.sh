#!/bin/bash
# README's second command: install, build, run every test with ctest (unit,
# golden, CLI, image, root-only loop tests and the QEMU end-to-end tests),
# then the format tests again under AddressSanitizer + UBSan.
#   PSB_SKIP_SANITIZERS=1  skip the sanitizer pass
#   PSB_SKIP_FUZZ=1        skip the fuzz smoke run (clang build, 20 s per target)
#   PSB_CTEST_ARGS="-LE vm" e.g. to leave the QEMU tests out while iterating
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh" --vm
"$src/scripts/build.sh"
cd "$src/build"
# shellcheck disable=SC2086
ctest --output-on-failure -j2 ${PSB_CTEST_ARGS:-}
if [[ "${PSB_SKIP_SANITIZERS:-0}" != 1 ]]; then
  BUILD_DIR="$src/build-asan" BUILD_TYPE=Debug "$src/scripts/build.sh" \
    -DPSB_ENABLE_ASAN=ON -DPSB_ENABLE_UBSAN=ON -DPSB_BUILD_BENCH=OFF
  cd "$src/build-asan"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j2 -L 'unit|golden|cli'
fi
if [[ "${PSB_SKIP_FUZZ:-0}" != 1 ]]; then
  "$src/scripts/fuzz.sh" smoke
fi
