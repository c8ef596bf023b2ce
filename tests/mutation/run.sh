#!/bin/bash
# Mutation check: applies each deliberate bug of mutations.py, one at a time,
# to a scratch copy of the tree (tracked files as they are in the working
# tree), rebuilds incrementally (ccache when installed) and runs the fast
# suite (ctest -L 'unit|golden|cli', minus the 200 s truncation sweep and the
# package build). A bug is caught when the suite fails. Prints one line per
# bug and a total; exit 0 only when every bug is caught (and the unmutated
# tree passes).
# Usage: tests/mutation/run.sh [ID...]     (env: PSB_MUTATION_DIR, JOBS)
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
muts="$src/tests/mutation/mutations.py"
scratch=${PSB_MUTATION_DIR:-/tmp/psb-mutation}
ids=("$@")
((${#ids[@]})) || mapfile -t ids < <(python3 "$muts" list)

mkdir -p "$scratch/tree" "$scratch/orig"
# Tracked files as they are now (uncommitted edits included); orig/ keeps a
# pristine copy to restore each mutated file from, whatever happens to $src.
(cd "$src" && git ls-files -z | tar --null -T - -cf -) >"$scratch/tree.tar" || exit 1
tar -C "$scratch/tree" -xf "$scratch/tree.tar" && tar -C "$scratch/orig" -xf "$scratch/tree.tar" || exit 1
tree=$scratch/tree
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$tree" -B "$tree/build" -DPSB_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null || exit 1

# Only what the fast suite runs.
build() {
  nice cmake --build "$tree/build" -j"${JOBS:-2}" --target pstore-blk psb_unit_tests \
    psb_make_synthetic >"$scratch/build.log" 2>&1
}
suite() {
  (cd "$tree/build" && nice ctest -j"${JOBS:-2}" --stop-on-failure -L 'unit|golden|cli' \
    -E 'truncation sweep|^package$' >"$scratch/ctest.log" 2>&1)
}

# Relink the unit tests so catch_discover_tests lists them afresh.
rm -f "$tree/build/tests/psb_unit_tests"
build || { echo "the unmutated tree does not build (see $scratch/build.log)"; exit 1; }
n_unit=$(cd "$tree/build" && ctest -N -L unit | sed -n 's/^Total Tests: //p')
((n_unit > 20)) || { echo "only ${n_unit:-0} unit tests discovered: the suite would be blind"; exit 1; }
suite || { echo "the unmutated tree fails the suite (see $scratch/ctest.log)"; exit 1; }

caught=0 missed=()
for id in "${ids[@]}"; do
  file=$(python3 - "$muts" "$id" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("m", sys.argv[1]); m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m); print([x for x in m.MUTATIONS if x[0] == sys.argv[2]][0][1])
PY
  )
  cp "$scratch/orig/$file" "$tree/$file"
  if ! python3 "$muts" apply "$id" "$tree"; then
    missed+=("$id (does not apply)")
    continue
  fi
  t0=$(date +%s)
  if ! build; then
    result="does not compile: fix the mutation"
    missed+=("$id (does not compile)")
  elif suite; then
    result="MISSED: the suite passes"
    missed+=("$id")
  else
    first=$(grep -m1 -E '\*\*\*Failed|\(Failed\)' "$scratch/ctest.log" | sed 's/^ *//; s/  */ /g')
    result="caught by ${first:-the suite}"
    caught=$((caught + 1))
  fi
  cp "$scratch/orig/$file" "$tree/$file"
  printf '%-24s %4ss  %s\n' "$id" $(($(date +%s) - t0)) "$result"
done
build >/dev/null 2>&1  # leave the scratch tree unmutated for the next run
echo "mutation: ${caught} of ${#ids[@]} deliberate bugs caught (${n_unit} unit tests)"
if ((${#missed[@]})); then
  printf 'not caught: %s\n' "${missed[@]}"
  exit 1
fi
