#!/bin/bash
# README's first command must never fail by chance: run the reading part of
# scripts/demo.sh 20 times in a row; any failing run fails the test.
# usage: demo_test.sh PSTORE_BLK_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
runs=20
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 1; i <= runs; i++)); do
  "$src/scripts/demo.sh" --read "$bin" >"$out" 2>&1
  rc=$?
  if ((rc != 0)); then
    echo "demo: run $i of $runs failed (exit status $rc); its output:" >&2
    cat "$out" >&2
    exit 1
  fi
  # The demo proves byte-identical extraction: every record must say so.
  if ! grep -q 'identical to the kernel' "$out" || grep -q DIFFERS "$out"; then
    echo "demo: run $i of $runs did not show identical records:" >&2
    cat "$out" >&2
    exit 1
  fi
done
echo "demo: $runs of $runs runs exited 0"
