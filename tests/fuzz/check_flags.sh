#!/bin/bash
# Checks that a -DPSB_BUILD_FUZZ=ON build instruments every library source:
# each src/**/*.cpp in compile_commands.json is compiled with
# -fsanitize=fuzzer-no-link and address, and the zone target reports the
# coverage counters of the library code it links (a build that instruments
# only the target file has ~200; the reader and format code have thousands).
# Usage: check_flags.sh compile_commands.json SRCDIR FUZZ_ZONE_BINARY
set -uo pipefail
db=$1 src=$2 bin=$3
fail=0
[[ -f $db ]] || { echo "no $db (CMAKE_EXPORT_COMPILE_COMMANDS must be on)"; exit 1; }
mapfile -t sources < <(cd "$src" && find src -name '*.cpp' ! -name main.cpp | sort)
((${#sources[@]} > 20)) || { echo "found only ${#sources[@]} sources under $src/src"; exit 1; }
for f in "${sources[@]}"; do
  # CMake writes "command" on the line before "file" in each entry.
  cmd=$(awk -v f="\"file\": \"$src/$f\"" 'index($0, "\"command\":") { c = $0 } index($0, f) { print c }' "$db")
  if [[ -z $cmd ]]; then
    echo "not compiled in this build: $f"; fail=1; continue
  fi
  if [[ $cmd != *-fsanitize=fuzzer-no-link* || $cmd != *address* ]]; then
    echo "not instrumented: $f"; fail=1
  fi
done
# libFuzzer prints "INFO: Loaded 1 modules (N inline 8-bit counters)".
counters=$("$bin" -runs=0 2>&1 | sed -n 's/.*Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters.*/\1/p' | head -1)
echo "psb_fuzz_zone: ${counters:-?} coverage counters; ${#sources[@]} library sources checked"
if [[ -z $counters || $counters -lt 2000 ]]; then
  echo "too few coverage counters: the libraries are not instrumented"; fail=1
fi
if ((fail)); then echo "fuzz-flags: 0 passed, 1 failed"; exit 1; fi
echo "fuzz-flags: 1 passed, 0 failed"
