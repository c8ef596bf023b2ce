#!/usr/bin/env bash
# End-to-end test (ctest label "vm"): real kernel writes, pstore-blk reads.
#
# Usage: tests/vm/e2e-reader.sh PSTORE_BLK_BINARY
#
# Boots Debian's stock kernel (fetched into the cache on first use) on a fresh
# GPT disk image with a pstore partition, makes two oopses (writer boot), then
# a read boot exports what the kernel itself shows in /sys/fs/pstore. On the
# host it runs
#     PSTORE_BLK_BINARY extract <disk image> --output-dir <tmp>
# on the disk image as it was before the read boot, and requires every file
# the kernel listed to be there, byte for byte identical, mode 0600, and for
# dmesg files with mtime = the kernel's (the dump time).
#
# Exit 0: pass. Non-zero with a message: failure, including when QEMU cannot
# start or the kernel cannot be fetched (never a silent skip).
# Env: PSB_VM_CACHE, PSB_KERNEL_ABI, PSB_BOOT_TIMEOUT, PSB_KEEP_WORK=1 (keep the temp dir).
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fail() { printf 'e2e-reader: FAIL: %s\n' "$*" >&2; exit 1; }

(($# == 1)) || { echo "usage: $0 PSTORE_BLK_BINARY" >&2; exit 2; }
bin=$1
[[ -x $bin ]] || fail "pstore-blk binary '$bin' is missing or not executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

psb_need_cmds "$PSB_QEMU" timeout sfdisk mkfs.ext4 cpio gzip tar modprobe depmod cmp stat

psb_make_workdir "e2e"

# The scenario: like fixtures' oops-gpt (GPT, ext4 + "pstore" partition,
# deflate, 64 KiB kmsg zones), two different oopses.
psb_scenario_defaults
PSB_SCENARIO=e2e-reader
PSB_KERNEL=stock
PSB_LABEL=gpt
PSB_DISK_MIB=8
PSB_PARTS="start=2048, size=2MiB, type=linux, name=data
size=4MiB, type=linux, name=pstore"
PSB_EXT4_PART=1
PSB_PSTORE_PART=2
PSB_BLKDEV=/dev/vda2
PSB_BLK_PARAMS="kmsg_size=64 best_effort=y"
PSB_EVENTS="psb_oops=null psb_oops=bug"

psb_prepare_kernel
disk=$work/disk.img
psb_make_disk "$disk"
psb_boot_phase writer "$disk" "$work"
grep -q 'pstore: Registered pstore_blk as persistent store backend' "$work/writer/serial.log" \
    || fail "pstore_blk did not register in the guest (log: $work/writer/serial.log)"
cp --sparse=always "$disk" "$work/snapshot.img"
psb_boot_phase read "$disk" "$work"
exp=$work/read/export/read
[[ -s $exp/list ]] || fail "the kernel listed no pstore files after two oopses (log: $work/read/serial.log)"

out=$work/extracted
echo "e2e-reader: running $bin extract $work/snapshot.img --output-dir $out" >&2
psb_host_extract "$bin" "$out" "$work/snapshot.img"

psb_compare_export "$exp" "$out"
errors=$PSB_MISMATCHES
nfiles=$PSB_COMPARED

if ((errors > 0)); then
    echo "e2e-reader: kernel's listing:" >&2
    sed 's/^/  /' "$exp/list" >&2
    echo "e2e-reader: pstore-blk wrote:" >&2
    find "$out" -mindepth 1 -printf '  %f %T@ %s %m\n' >&2
    PSB_KEEP_WORK=1
    fail "$errors mismatch(es) against the kernel's /sys/fs/pstore"
fi
echo "e2e-reader: PASS: $nfiles file(s) identical to the kernel's /sys/fs/pstore ($(cat "$work/read/export/info/uname-r"))"
