#!/bin/bash
# README's second command: install, build (warnings are errors), run every test
# with ctest (unit, golden, CLI, style, image, package, root-only loop tests, the
# QEMU end-to-end tests and the Debian 13 distribution test), then the unit,
# golden and CLI tests again under AddressSanitizer + UBSan.
#   PSB_SKIP_SANITIZERS=1  skip the sanitizer pass
#   PSB_SKIP_FUZZ=1        skip the fuzz smoke run (clang build, 20 s per target)
#   PSB_CTEST_ARGS="-LE 'vm|distro'" e.g. to leave the QEMU and distribution tests out
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh" --vm
"$src/scripts/build.sh" -DPSB_BUILD_TESTS=ON -DPSB_BUILD_BENCH=ON -DPSB_WERROR=ON
cd "$src/build"
# As root the root-only tests must run: one that skips fails instead.
[[ $(id -u) == 0 ]] && export PSB_REQUIRE_ROOT_TESTS=1
# eval: PSB_CTEST_ARGS may quote a label regex, as README shows.
eval "ctest --output-on-failure -j2 ${PSB_CTEST_ARGS:-}"
if [[ "${PSB_SKIP_SANITIZERS:-0}" != 1 ]]; then
  BUILD_DIR="$src/build-asan" BUILD_TYPE=Debug "$src/scripts/build.sh" \
    -DPSB_ENABLE_ASAN=ON -DPSB_ENABLE_UBSAN=ON -DPSB_BUILD_BENCH=OFF -DPSB_WERROR=ON
  cd "$src/build-asan"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j2 -L 'unit|golden|cli'
fi
if [[ "${PSB_SKIP_FUZZ:-0}" != 1 ]]; then
  "$src/scripts/fuzz.sh" smoke
fi
