#!/bin/bash
# setup / undo on a loop device with a partition mounted (BLKPG path).
# Root only: exits 77 (CTest SKIP_RETURN_CODE) when not root, without
# /dev/loop-control or when a loop device cannot be attached
# (util-linux ts_skip_nonroot). Config goes to a scratch --root; nothing
# is loaded into the running kernel (no --now).
# Usage: loop_test.sh PSTORE-BLK SOURCE-DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
[ "$(id -u)" = 0 ] || { echo "skip: not root"; exit 77; }
# As root, a skip is a failure when PSB_REQUIRE_ROOT_TESTS=1 (scripts/test.sh
# sets it for root): CI must not pass a root test it never ran.
skip() {
  echo "skip: $*"
  [ "${PSB_REQUIRE_ROOT_TESTS:-0}" = 1 ] && { echo "FAIL: skipped as root with PSB_REQUIRE_ROOT_TESTS=1"; exit 1; }
  exit 77
}
[ -e /dev/loop-control ] || skip "no /dev/loop-control"
command -v losetup >/dev/null || skip "no losetup"
tmp=$(mktemp -d /tmp/psb-loop-test.XXXXXX)
loop=""
cleanup() {
  mountpoint -q "$tmp/mnt" 2>/dev/null && umount "$tmp/mnt"
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
failures=0
fail() { echo "FAIL: $case: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $case"; }

truncate -s 64M disk.img
printf 'label: gpt\nstart=2048, size=16MiB, type=linux, name=data\n' | sfdisk -q disk.img
truncate -s 16M fs.img && mkfs.ext4 -q -F fs.img && dd if=fs.img of=disk.img bs=1M seek=1 conv=notrunc status=none
loop=$(losetup -P --find --show disk.img 2>/dev/null) || { loop=""; skip "cannot attach a loop device"; }
kname=$(basename "$loop")
for _ in $(seq 50); do [ -e "/sys/class/block/${kname}p1" ] && break; sleep 0.1; done
# Some kernels (seen on a 6.18 microVM) set partscan but add no partitions
# until asked: partx -a adds them through BLKPG, as setup itself would.
[ -e "/sys/class/block/${kname}p1" ] || partx -a "$loop" 2>/dev/null
[ -e "/sys/class/block/${kname}p1" ] || skip "no partition scanning on $loop"
# Read-only, so the file system itself writes nothing (a read-write mount
# updates its superblock) and any change to its bytes is ours.
e0=$(dd if=disk.img bs=1M skip=1 count=16 status=none | sha256sum)
mkdir mnt
mounted=0
mount -o ro "${loop}p1" mnt 2>/dev/null && mounted=1
cp -a "$SRC/fixtures/systems/debian-6.1-module" root

case="setup $loop (partition 1 mounted: $mounted) adds partition 2 and tells the kernel"
if "$BIN" setup "$loop" --root root --yes >out.txt 2>&1; then
  [ -e "/sys/class/block/${kname}p2" ] || fail "kernel does not know ${kname}p2"
  uuid=$(sed -n 's/.*"partuuid": "\(.*\)".*/\1/p' root/var/lib/pstore-blk/state.json)
  grep -q "blkdev=/dev/disk/by-partuuid/$uuid " root/etc/modprobe.d/pstore-blk.conf || fail "modprobe.d"
  [ $failures = 0 ] && ok
else fail "$(cat out.txt)"; fi

case="the reader lists the new partition as empty"
if "$BIN" list "$loop" >out.txt 2>&1 && grep -q 'No records' out.txt; then ok; else fail "$(cat out.txt)"; fi

case="a mounted or ext4 partition is refused"
"$BIN" setup "${loop}p1" --root root --yes >out.txt 2>&1; rc=$?
if [ $rc = 1 ] && grep -Eq 'mounted|ext4' out.txt; then ok; else fail "rc=$rc $(cat out.txt)"; fi

case="--force does not override a mounted partition: refused before anything is written"
if [ $mounted = 1 ]; then
  tree() { find root -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum; }
  t0=$(tree)
  "$BIN" setup "${loop}p1" --root root --yes --force >out.txt 2>&1; rc=$?
  if [ $rc = 1 ] && grep -q 'is mounted on' out.txt && ! grep -q continuing out.txt && [ "$(tree)" = "$t0" ]; then
    ok
  else fail "rc=$rc $(cat out.txt)"; fi
fi

case="undo --remove-partition deletes it from the table and the kernel"
if "$BIN" undo --root root --remove-partition >out.txt 2>&1; then
  for _ in $(seq 30); do [ -e "/sys/class/block/${kname}p2" ] || break; sleep 0.1; done
  [ -e "/sys/class/block/${kname}p2" ] && fail "kernel still has ${kname}p2"
  [ "$(sfdisk --dump "$loop" | grep -c "^$loop")" = 1 ] || fail "table: $(sfdisk --dump "$loop")"
  [ $failures = 0 ] && ok
else fail "$(cat out.txt)"; fi

[ $mounted = 1 ] && umount mnt
case="ext4 bytes unchanged"
[ "$(dd if=disk.img bs=1M skip=1 count=16 status=none | sha256sum)" = "$e0" ] && ok || fail "changed"

echo "$failures failure(s)"
[ $failures = 0 ]
