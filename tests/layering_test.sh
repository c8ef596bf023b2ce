#!/bin/bash
# The dependency rule format <- io <- device <- sysconf <- cli is enforced by
# CMake links; a bare #include across layers is not, so grep for it here.
# Also: kernel structs are never cast onto buffers.
set -uo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src" || exit 1
fail=0
check() { # check LAYER FORBIDDEN-REGEX
  local layer=$1 re=$2 hits
  hits=$(grep -rnE "#include \"pstore_blk/($re)/" "src/$layer" "include/pstore_blk/$layer" 2>/dev/null)
  if [[ -n "$hits" ]]; then
    echo "layering violation in $layer:" >&2
    echo "$hits" >&2
    fail=1
  fi
}
check format 'io|device|sysconf|cli'
check io 'device|sysconf|cli'
check device 'sysconf|cli'
check sysconf 'cli'
# Only cli may use CLI11, printing streams are kept out of the library layers.
if grep -rnE '#include <CLI/|#include <iostream>' src/format src/io src/device src/sysconf include/pstore_blk/{format,io,device,sysconf} 2>/dev/null; then
  echo "library layers must not include CLI11 or <iostream>" >&2
  fail=1
fi
# No reinterpret_cast onto kernel structures (psz_*, pstore_*).
if grep -rnE 'reinterpret_cast<[^>]*(psz_|pstore_ftrace_record|Header)' src include 2>/dev/null; then
  echo "kernel structs must be read through ByteReader, not cast" >&2
  fail=1
fi
if ((fail)); then echo "layering: 0 passed, 1 failed"; exit 1; fi
echo "layering: 1 passed, 0 failed"
