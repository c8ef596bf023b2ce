#!/bin/bash
# The dependency rule format <- io <- device <- sysconf <- cli is enforced by
# CMake links; a bare #include across layers is not, so grep for it here.
# The crash parser (oops) is a library beside them: it may use format at
# most, and only cli uses it.
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
check oops 'io|device|sysconf|cli'
for layer in format io device sysconf; do check "$layer" 'oops'; done
# CMake: psb_oops links nothing but (at most) psb_format.
oops_links=$(grep -E 'target_link_libraries\(psb_oops ' CMakeLists.txt)
if [[ -n "$oops_links" && ! "$oops_links" =~ ^target_link_libraries\(psb_oops\ (PUBLIC|PRIVATE)\ psb_format\)$ ]]; then
  echo "psb_oops may link psb_format only: $oops_links" >&2
  fail=1
fi
if ! grep -q 'add_library(psb_oops ' CMakeLists.txt || [[ -e src/format/oops.cpp ]]; then
  echo "the crash parser must be its own library (psb_oops, src/oops)" >&2
  fail=1
fi
# Only cli may use CLI11, printing streams are kept out of the library layers.
if grep -rnE '#include <CLI/|#include <iostream>' src/format src/oops src/io src/device src/sysconf include/pstore_blk/{format,oops,io,device,sysconf} 2>/dev/null; then
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
