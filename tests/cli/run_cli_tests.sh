#!/bin/bash
# CLI golden tests in the style of zstd's tests/cli-tests: each case is a
# script in cases/ run in its own scratch directory; its exit code must match
# CASE.exit (default 0) and its stdout/stderr CASE.stdout.exact /
# CASE.stderr.exact when those exist. PSB_UPDATE_GOLDEN=1 rewrites the .exact
# files (and .exit); --preserve keeps the scratch directories.
#
# usage: run_cli_tests.sh PSTORE_BLK MAKE_SYNTHETIC SOURCE_DIR [--preserve] [CASE...]
set -uo pipefail

# Rewriting the .exact files in CI would make every case pass.
if [[ -n "${PSB_UPDATE_GOLDEN:-}" && "${PSB_UPDATE_GOLDEN}" != 0 && -n "${CI:-}" ]]; then
  echo "PSB_UPDATE_GOLDEN is set while CI is set: refusing to rewrite expected output in CI" >&2
  exit 1
fi

PSB=$(realpath "$1")
GEN=$(realpath "$2")
SRC=$(realpath "$3")
shift 3
preserve=0
if [[ "${1:-}" == --preserve ]]; then preserve=1; shift; fi
if ! "$PSB" --version >/dev/null 2>&1; then
  echo "cannot run the pstore-blk binary under test" >&2
  exit 1
fi
here="$SRC/tests/cli"
scratch=$(mktemp -d)
((preserve)) || trap 'rm -rf "$scratch"' EXIT

synth="$scratch/synthetic"
mkdir -p "$synth"
"$GEN" "$synth" || { echo "cannot generate synthetic images" >&2; exit 1; }

export PSB SYNTH="$synth" FIXTURES="$SRC/fixtures"
cases=("$@")
if ((${#cases[@]} == 0)); then
  for f in "$here"/cases/*.sh; do cases+=("$(basename "$f" .sh)"); done
fi
pass=0
fail=0
for c in "${cases[@]}"; do
  dir="$scratch/$c"
  mkdir -p "$dir"
  (cd "$dir" && bash "$here/cases/$c.sh" >"$dir/.stdout" 2>"$dir/.stderr")
  rc=$?
  exp_exit=0
  [[ -f "$here/cases/$c.exit" ]] && exp_exit=$(cat "$here/cases/$c.exit")
  ok=1
  if [[ "${PSB_UPDATE_GOLDEN:-0}" == 1 ]]; then
    if ((rc != 0)); then echo "$rc" >"$here/cases/$c.exit"; else rm -f "$here/cases/$c.exit"; fi
    for s in stdout stderr; do
      [[ -f "$here/cases/$c.$s.exact" ]] && cp "$dir/.$s" "$here/cases/$c.$s.exact"
    done
  else
    if [[ "$rc" != "$exp_exit" ]]; then
      echo "FAIL $c: exit $rc, expected $exp_exit" >&2
      ok=0
    fi
    for s in stdout stderr; do
      if [[ -f "$here/cases/$c.$s.exact" ]] && ! diff -u "$here/cases/$c.$s.exact" "$dir/.$s" >&2; then
        echo "FAIL $c: $s differs" >&2
        ok=0
      fi
    done
  fi
  if ((ok)); then
    pass=$((pass + 1))
    echo "ok   $c" >&2
  else
    fail=$((fail + 1))
    echo "---- $c stderr:" >&2
    head -n 20 "$dir/.stderr" >&2
  fi
done
echo "cli: ${pass} passed, ${fail} failed"
((fail == 0))
