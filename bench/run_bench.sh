#!/bin/bash
# Runs the extract benchmark on zones a real kernel wrote (fixture
# 6.1.0-56-amd64-oops-gpt). Output goes to a tmpfs when /dev/shm exists, so
# the figure measures pstore-blk, not the disk. Prints wall and CPU time and
# one PASS/FAIL line per target; exits 3 when a target fails.
#   usage: bench/run_bench.sh [BUILD_DIR] [REPEAT]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$src/build}")
work=$(mktemp -d "${PSB_BENCH_DIR:-/dev/shm}/psb-bench.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$work"' EXIT
fx="$src/fixtures/kernel/6.1.0-56-amd64-oops-gpt"
off=$(sed -n 's/^partition_offset=//p' "$fx/params.conf")
size=$(sed -n 's/^partition_size=//p' "$fx/params.conf")
xz -dc "$fx/image.bin.xz" >"$work/disk.img"
dd if="$work/disk.img" of="$work/fixture-part.img" bs=4096 skip=$((off / 4096)) count=$((size / 4096)) status=none
rm -f "$work/disk.img"
rc=0
"$build/bench/psb_bench_extract" "$build/pstore-blk" "$work/fixture-part.img" "$work" "${2:-5}" || rc=$?
case $rc in
0) echo "run_bench.sh: every target PASS" ;;
3) echo "run_bench.sh: a target FAILs (see the FAIL lines above)" ;;
*) echo "run_bench.sh: benchmark failed (exit $rc)" ;;
esac
exit "$rc"
