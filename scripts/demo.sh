#!/bin/bash
# README's first command: install the build dependencies, build the tool alone
# (a Release build in build-release/: no tests, no benchmarks, no man page
# tooling), then read a disk image that a real Debian 6.1 kernel wrote
# (fixtures/kernel/6.1.0-56-amd64-oops-gpt): list the records and extract them,
# byte-identical to the kernel's /sys/fs/pstore.
#   demo.sh                 install, build, read
#   demo.sh --read BINARY   only the reading part, with BINARY (tests/demo_test.sh)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
if [[ "${1:-}" == --read ]]; then
  bin=$(realpath "$2")
else
  "$src/scripts/install-deps.sh"
  BUILD_DIR="$src/build-release" BUILD_TYPE=Release "$src/scripts/build.sh" \
    -DPSB_BUILD_TESTS=OFF -DPSB_BUILD_BENCH=OFF
  bin="$src/build-release/pstore-blk"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fixture="$src/fixtures/kernel/6.1.0-56-amd64-oops-gpt"
xz -dc "$fixture/image.bin.xz" >"$work/disk.img"
cd "$work"
echo "\$ pstore-blk list disk.img"
"$bin" list disk.img
echo
echo "\$ pstore-blk extract disk.img --output-dir records"
"$bin" extract disk.img --output-dir records
ls -l records
echo
for f in records/*; do
  if cmp -s "$f" "$fixture/sysfs-pstore/$(basename "$f")"; then
    echo "$(basename "$f"): identical to the kernel's /sys/fs/pstore file"
  else
    echo "$(basename "$f"): DIFFERS from the kernel's file" >&2
    exit 1
  fi
done
echo
# The record goes to a file first: grep -m stops reading early, and a pipe
# would kill `show` with SIGPIPE (exit 141 under pipefail).
echo "\$ pstore-blk show disk.img dmesg-pstore_blk-0 >record.txt"
"$bin" show disk.img dmesg-pstore_blk-0 >record.txt
echo "\$ grep -a -m3 -E 'BUG|RIP|Comm' record.txt"
grep -a -m3 -E 'BUG|RIP|Comm' record.txt
