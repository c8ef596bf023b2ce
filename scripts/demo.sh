#!/bin/bash
# README's first command: install, build, then read a disk image that a real
# Debian 6.1 kernel wrote (fixtures/kernel/6.1.0-56-amd64-oops-gpt): list the
# records and extract them, byte-identical to the kernel's /sys/fs/pstore.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
"$src/scripts/install-deps.sh"
"$src/scripts/build.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fixture="$src/fixtures/kernel/6.1.0-56-amd64-oops-gpt"
xz -dc "$fixture/image.bin.xz" >"$work/disk.img"
cd "$work"
echo "\$ pstore-blk list disk.img"
"$src/build/pstore-blk" list disk.img
echo
echo "\$ pstore-blk extract disk.img --output-dir records"
"$src/build/pstore-blk" extract disk.img --output-dir records
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
echo "\$ pstore-blk show disk.img dmesg-pstore_blk-0 | grep -m3 -E 'BUG|RIP|Comm'"
"$src/build/pstore-blk" show disk.img dmesg-pstore_blk-0 | grep -a -m3 -E 'BUG|RIP|Comm'
