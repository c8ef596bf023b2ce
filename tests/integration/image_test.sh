#!/bin/bash
# setup / undo on disk image files, no root needed (docs/ARCHITECTURE.md, "Tests").
# Usage: image_test.sh PSTORE-BLK SOURCE-DIR
# Each case runs on a fresh image (truncate, sfdisk, an ext4 made in a
# separate file and dd-ed in) and a copy of fixtures/systems/debian-6.1-module
# as --root. PSB_PRESERVE=1 keeps the scratch directory.
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
tmp=$(mktemp -d /tmp/psb-image-test.XXXXXX)
[ "${PSB_PRESERVE:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
failures=0
fail() { echo "FAIL: $case: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $case"; }

fresh_root() { rm -rf root; cp -a "$SRC/fixtures/systems/debian-6.1-module" root; }
# make_disk LABEL: 64 MiB image, partition 1 = 16 MiB ext4 at 1 MiB.
make_disk() {
  rm -f disk.img fs.img
  truncate -s 64M disk.img
  if [ "$1" = gpt ]; then
    printf 'label: gpt\nstart=2048, size=16MiB, type=linux, name=data\n' | sfdisk -q disk.img
  else
    printf 'label: dos\nlabel-id: 0x5053422d\nstart=2048, size=16MiB, type=83\n' | sfdisk -q disk.img
  fi
  truncate -s 16M fs.img
  mkfs.ext4 -q -F -E root_owner=0:0 fs.img
  dd if=fs.img of=disk.img bs=1M seek=1 conv=notrunc status=none
}
ext4_sum() { dd if=disk.img bs=1M skip=1 count=16 status=none | sha256sum; }
img_sum() { sha256sum <disk.img; }
tree_sum() { (cd root && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum); }
setup() { "$BIN" setup disk.img --root root --yes "$@" >out.txt 2>err.txt; }

for label in gpt dos; do
  case="$label: dry-run changes nothing"
  make_disk $label; fresh_root
  i0=$(img_sum); t0=$(tree_sum)
  if "$BIN" setup disk.img --root root --yes --dry-run >out.txt 2>&1 && [ "$(img_sum)" = "$i0" ] &&
     [ "$(tree_sum)" = "$t0" ] && grep -q 'options pstore_blk blkdev=/dev/disk/by-partuuid/' out.txt; then ok; else fail "$(cat out.txt)"; fi

  case="$label: setup creates a partition, ext4 untouched"
  e0=$(ext4_sum)
  if setup; then
    dump=$(sfdisk --dump disk.img)
    n=$(echo "$dump" | grep -c '^disk.img[0-9]')
    uuid=$(sed -n 's/.*"partuuid": "\(.*\)".*/\1/p' root/var/lib/pstore-blk/state.json)
    [ "$n" = 2 ] || fail "expected 2 partitions: $dump"
    [ "$(ext4_sum)" = "$e0" ] || fail "ext4 bytes changed"
    if [ $label = gpt ]; then echo "$dump" | grep -q 'name="pstore"' || fail "no GPT name pstore"; fi
    if [ $label = dos ]; then [ "$uuid" = 5053422d-02 ] || fail "MBR PARTUUID $uuid"; fi
    grep -qx "options pstore_blk blkdev=/dev/disk/by-partuuid/$uuid kmsg_size=64 best_effort=y" \
      root/etc/modprobe.d/pstore-blk.conf || fail "modprobe.d: $(cat root/etc/modprobe.d/pstore-blk.conf)"
    grep -qx pstore_blk root/etc/modules-load.d/pstore-blk.conf || fail "modules-load.d"
    grep -qx 'After=systemd-modules-load.service' \
      root/etc/systemd/system/systemd-pstore.service.d/pstore-blk.conf || fail "systemd-pstore drop-in"
    head -1 root/etc/modprobe.d/pstore-blk.conf | grep -q '^# Written by `pstore-blk setup`' || fail "no header"
    [ $failures = 0 ] && ok
  else fail "$(cat out.txt err.txt)"; fi

  case="$label: the reader sees an empty pstore partition"
  part=(); [ $label = dos ] && part=(--partition 2)
  if "$BIN" list disk.img "${part[@]}" >out.txt 2>&1 && grep -q 'No records' out.txt; then ok; else fail "$(cat out.txt)"; fi

  case="$label: re-run is a no-op"
  i1=$(img_sum); t1=$(tree_sum)
  if setup && grep -q '^Nothing to change' out.txt && [ "$(img_sum)" = "$i1" ] && [ "$(tree_sum)" = "$t1" ]; then ok
  else fail "$(cat out.txt err.txt)"; fi

  case="$label: undo --remove-partition restores table and tree"
  if "$BIN" undo --root root --remove-partition >out.txt 2>&1 && [ "$(tree_sum)" = "$t0" ] &&
     [ "$(sfdisk --dump disk.img | grep -c '^disk.img[0-9]')" = 1 ] && [ "$(ext4_sum)" = "$e0" ]; then ok
  else fail "$(cat out.txt)"; fi
done

case="no free space: refused, nothing changed"
rm -f disk.img; truncate -s 32M disk.img
printf 'label: gpt\nsize=+, type=linux\n' | sfdisk -q disk.img
fresh_root; i0=$(img_sum); t0=$(tree_sum)
setup; rc=$?
if [ $rc = 1 ] && grep -q 'no free space' err.txt && [ "$(img_sum)" = "$i0" ] && [ "$(tree_sum)" = "$t0" ]; then ok
else fail "rc=$rc $(cat out.txt err.txt)"; fi

case="adopt an existing empty partition"
make_disk gpt
printf 'start=34816, size=8MiB, type=linux, name=spare\n' | sfdisk -q --append disk.img
printf 'stale' | dd of=disk.img bs=1 seek=$((34816 * 512 + 4096)) conv=notrunc status=none
fresh_root; e0=$(ext4_sum)
if setup --partition 2; then
  uuid=$(sfdisk --part-uuid disk.img 2 | tr A-Z a-z)
  grep -q "blkdev=/dev/disk/by-partuuid/$uuid " root/etc/modprobe.d/pstore-blk.conf || fail "wrong uuid"
  [ "$(dd if=disk.img bs=1 skip=$((34816 * 512 + 4096)) count=5 status=none | tr -d '\0')" = "" ] || fail "zone area not cleared"
  [ "$(ext4_sum)" = "$e0" ] || fail "ext4 changed"
  grep -q '"partition_created": false' root/var/lib/pstore-blk/state.json || fail "state says created"
  [ $failures = 0 ] && ok
else fail "$(cat out.txt err.txt)"; fi

case="undo of an adopted partition refuses --remove-partition"
if ! "$BIN" undo --root root --remove-partition >out.txt 2>&1 && grep -q 'existed before setup' out.txt; then ok
else fail "$(cat out.txt)"; fi
"$BIN" undo --root root >/dev/null 2>&1

case="refuse a partition with a filesystem"
fresh_root; i0=$(img_sum); t0=$(tree_sum)
setup --partition 1; rc=$?
if [ $rc = 1 ] && grep -q 'signature of type ext4' err.txt && [ "$(img_sum)" = "$i0" ] && [ "$(tree_sum)" = "$t0" ]; then ok
else fail "rc=$rc $(cat out.txt err.txt)"; fi

case="create a given partition number (MBR 3)"
make_disk dos; fresh_root
if setup --partition 3 && [ "$(sfdisk --dump disk.img | grep -c '^disk.img3 ')" = 1 ]; then ok
else fail "$(cat out.txt err.txt) $(sfdisk --dump disk.img)"; fi

case="without --yes and without a terminal: refused"
make_disk gpt; fresh_root; i0=$(img_sum)
"$BIN" setup disk.img --root root </dev/null >out.txt 2>&1; rc=$?
if [ $rc = 2 ] && grep -q 'without --yes' out.txt && [ "$(img_sum)" = "$i0" ]; then ok; else fail "rc=$rc $(cat out.txt)"; fi

case="missing device"
"$BIN" setup /nonexistent/disk.img --root root --yes >out.txt 2>&1; rc=$?
if [ $rc = 1 ] && grep -q 'does not exist' out.txt; then ok; else fail "rc=$rc $(cat out.txt)"; fi

case="bad --kmsg-size is a usage error"
"$BIN" setup disk.img --root root --yes --kmsg-size 6 >out.txt 2>&1; rc=$?
if [ $rc = 2 ]; then ok; else fail "rc=$rc $(cat out.txt)"; fi

case="built-in kernel without a known boot loader: refused with the words to add"
rm -rf root; cp -a "$SRC/fixtures/systems/builtin" root; rm -f root/etc/kernel/cmdline
setup; rc=$?
if [ $rc = 1 ] && grep -q 'pstore_blk.blkdev=PARTUUID=' err.txt && [ "$(img_sum)" = "$i0" ]; then ok
else fail "rc=$rc $(cat out.txt err.txt)"; fi

case="efi_pstore conflict: modprobe.d disables it, the older file is backed up and restored"
rm -rf root; cp -a "$SRC/fixtures/systems/efi-pstore-holds-backend" root
orig=$(cat root/etc/modprobe.d/pstore-blk.conf)
# efi_pstore saves panics here: taking its slot needs --replace-backend.
if setup --replace-backend && grep -qx 'options efi_pstore pstore_disable=1' root/etc/modprobe.d/pstore-blk.conf &&
   grep -q 'EFI variables' out.txt && "$BIN" undo --root root >/dev/null 2>&1 &&
   [ "$(cat root/etc/modprobe.d/pstore-blk.conf)" = "$orig" ]; then ok
else fail "$(cat out.txt err.txt)"; fi

case="check DEVICE on an image"
fresh_root; make_disk gpt
"$BIN" check disk.img --root root >out.txt 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'oops:    YES' out.txt && grep -q 'disk image file' out.txt; then ok; else fail "rc=$rc $(cat out.txt)"; fi
"$BIN" check disk.img --partition 1 --root root --json >out.txt 2>&1; rc=$?
if [ $rc = 1 ] && grep -q '"type": "ext4"' out.txt; then ok; else fail "json rc=$rc $(cat out.txt)"; fi

case="status reads the records on the partition, erased ones too"
fresh_root; make_disk gpt
if setup; then
  start=$(sfdisk --dump disk.img | sed -n 's/^disk.img2 : start= *\([0-9]*\),.*/\1/p')
  # Put the zones a real kernel wrote (fixture erased: one record, two erased)
  # into the new partition, as if the kernel had written them there.
  fx="$SRC/fixtures/kernel/6.1.0-56-amd64-erased"
  xz -dc "$fx/image.bin.xz" >kdisk.img
  kstart=$(sed -n 's/^partition_offset=//p' "$fx/params.conf")
  dd if=kdisk.img of=disk.img bs=512 skip=$((kstart / 512)) seek="$start" count=2048 conv=notrunc status=none
  "$BIN" status --root root >out.txt 2>&1
  if grep -q 'on partition:   3 record(s)' out.txt && grep -q 'dmesg-pstore_blk-1 (ok)' out.txt &&
     grep -q 'dmesg-pstore_blk-0.erased (erased)' out.txt; then ok; else fail "$(cat out.txt)"; fi
else fail "$(cat out.txt err.txt)"; fi

echo "$failures failure(s)"
[ $failures = 0 ]
