#!/usr/bin/env bash
# End-to-end test (ctest label "vm"): a real panic, saved by a capture kernel.
#
# Usage: tests/vm/e2e-capture-vmcore.sh PSTORE_BLK_BINARY
#
# 1. Boot Debian's stock kernel with crashkernel= on the kernel-written
#    fixture disk oops-gpt (pstore_blk loaded as usual). The guest loads the
#    same kernel as capture kernel with
#        pstore-blk capture-load /dev/vda2 --kernel /boot/vmlinuz
#    (tests/vm/capture-phases.sh), which builds the capture initramfs from
#    the guest and calls kexec_file_load(KEXEC_FILE_ON_CRASH), and panics
#    with sysrq-c. Nothing reaches the disk from the panicking kernel: no
#    block driver has panic_write.
# 2. The capture kernel boots from capture-load's busybox initramfs (virtio
#    modules, the pstore-blk binary) whose /init runs
#        pstore-blk capture-panic --partuuid <vda2's> --vmcore /proc/vmcore
#    which finds the partition by its PARTUUID on the disks of /sys/block,
#    and reboots (QEMU -no-reboot: exits).
# 3. A read boot exports /sys/fs/pstore. The kernel must list the panic as
#    dmesg-pstore_blk-2 ("Panic#1 Part1", the panic message, the newest lines
#    of the crashed kernel's console) with the panic time (CRASHTIME from
#    the core's VMCOREINFO); `extract` on the host must be
#    byte-identical to every file; the record's last lines must be the
#    crashed kernel's own console lines (this checks the /proc/vmcore reader
#    on a real core). Prints the panic-to-record time.
#
# Then the same on Debian 13's 6.12 when the trixie tests have cached it
# (it says so when they have not).
#
# Exit 0: pass; non-zero with a message: failure.
# Env: PSB_VM_CACHE, PSB_KERNEL_ABI, PSB_BOOT_TIMEOUT, PSB_KEEP_WORK=1,
#      PSB_CRASHKERNEL (default 128M, what setup --capture-panics reserves;
#      96M was the smallest that worked).
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fail() {
    PSB_KEEP_WORK=1
    printf 'e2e-capture-vmcore: FAIL: %s\n' "$*" >&2
    exit 1
}

(($# == 1)) || { echo "usage: $0 PSTORE_BLK_BINARY" >&2; exit 2; }
bin=$1
[[ -x $bin ]] || fail "pstore-blk binary '$bin' is missing or not executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
fixture=$PSB_REPO_DIR/fixtures/kernel/6.1.0-56-amd64-oops-gpt

psb_need_cmds "$PSB_QEMU" timeout cpio gzip tar xz modprobe depmod cmp stat python3 strip

psb_make_workdir "e2e-capture-vmcore"

psb_scenario_defaults
PSB_SCENARIO=e2e-capture-vmcore
PSB_KERNEL=stock
PSB_BLKDEV=/dev/vda2
PSB_BLK_PARAMS="kmsg_size=64 best_effort=y"
# use_cached_stock ABI : a stock kernel another script unpacked in the cache
# (Debian 13's 6.12 comes from the trixie tests), set up like psb_prepare_kernel.
use_cached_stock() {
    local m
    psb_stock_paths "$1"
    PSB_KERNEL_IMAGE=$PSB_STOCK_KERNEL
    PSB_KOS=()
    while read -r m; do
        PSB_KOS+=("$PSB_STOCK_MODDIR/$m")
    done < <(psb_module_chain "$PSB_STOCK_MODDIR" "$PSB_STOCK_KREL" virtio_pci virtio_blk pstore_blk)
}

# run_on_kernel : steps 1-3 with the kernel chosen before; work in $top/<release>.
top=$work
run_on_kernel() {
local work=$top/$PSB_STOCK_KREL m
mkdir -p "$work"
disk=$work/disk.img
xz -dc "$fixture/image.bin.xz" >"$disk"

# The crashing boot carries the kernel at /boot/vmlinuz, the stripped
# pstore-blk with its libraries and a /lib/modules/KREL tree with the virtio
# modules (as Debian ships them: .ko on 6.1, .ko.xz on 6.12); `pstore-blk
# capture-load` builds the capture initramfs from that and loads it.
strip -o "$work/pstore-blk" "$bin"
arm=$work/arm-overlay
psb_overlay_init "$arm"
cp "$PSB_VM_DIR/capture-phases.sh" "$arm/etc/psb/phases.sh"
mkdir -p "$arm/boot"
cp "$PSB_KERNEL_IMAGE" "$arm/boot/vmlinuz"
psb_overlay_add_bin "$arm" "$work/pstore-blk" /usr/sbin/pstore-blk
psb_overlay_add_modules "$arm" "$PSB_STOCK_MODDIR" "$PSB_STOCK_KREL" virtio_pci virtio_blk
PSB_CMDLINE="crashkernel=${PSB_CRASHKERNEL:-128M}"
# Done when the capture kernel's /init (capture-load's) has written the record.
PSB_DONE_MARKER='pstore-blk capture: panic record written at' PSB_INITRAMFS_OVERLAY=$arm PSB_QEMU_MEM=1024 \
    psb_boot_phase arm "$disk" "$work"
PSB_CMDLINE=""
serial=$work/arm/serial.log
grep -aq 'Kernel panic - not syncing' "$serial" || fail "the guest did not panic (log: $serial)"
grep -aq 'capture kernel loaded' "$work/arm/export/capture-load.out" \
    || fail "capture-load did not load: $(cat "$work/arm/export/capture-load.out")"
cat "$work/arm/export/capture-load.out" >&2
grep -a 'panic:' "$work/arm/export/check.out" >&2 \
    || fail "no check output from the armed guest"
grep -aq 'wrote Panic record' "$serial" || fail "capture-panic wrote nothing (log: $serial)"
# /init went by the PARTUUID capture-load read from vda's table.
grep -aq 'found by PARTUUID 5053422d-0002-4000-8000-000000000001' "$work/arm/export/capture-load.out" \
    || fail "capture-load did not name the partition by its PARTUUID"
grep -aq 'PARTUUID 5053422d-0002-4000-8000-000000000001 is partition 2 of /dev/vda' "$serial" \
    || fail "capture-panic did not find the partition by its PARTUUID (log: $serial)"
t0=$(grep -a 'PANIC-AT' "$serial" | tr -d '\r' | awk '{print $NF}' | tail -n1)
t1=$(grep -a 'pstore-blk capture: panic record written at' "$serial" | tr -d '\r' | awk '{print $NF}' | tail -n1)

cp --sparse=always "$disk" "$work/snapshot.img"
psb_boot_phase read "$disk" "$work"
exp=$work/read/export/read
grep -q '^dmesg-pstore_blk-2 ' "$exp/list" || fail "the kernel lists no dmesg-pstore_blk-2: $(tr '\n' ' ' <"$exp/list")"
psb_host_extract "$bin" "$work/extracted" "$work/snapshot.img"
psb_compare_export "$exp" "$work/extracted"
((PSB_MISMATCHES == 0)) || fail "$PSB_MISMATCHES mismatch(es) against the kernel's /sys/fs/pstore"

# The record is the crashed kernel's log: its last lines, without the
# "<N>" syslog prefix, are lines the crashed kernel printed on its console.
python3 - "$exp/files/dmesg-pstore_blk-2" "$serial" <<'EOF' || fail "the record is not the crashed kernel's log"
import re, sys
rec = open(sys.argv[1], "rb").read().decode("utf-8", "replace").split("\n")
console = set(l.rstrip("\r") for l in open(sys.argv[2], "rb").read().decode("utf-8", "replace").split("\n"))
if rec[0] != "Panic#1 Part1":
    sys.exit("first line %r" % rec[0])
lines = [l for l in rec[1:] if l]
if not any("Kernel panic - not syncing: sysrq triggered crash" in l for l in lines):
    sys.exit("no panic message in the record")
tail = lines[-15:]
missing = [l for l in tail if re.sub(r"^<\d+>", "", l) not in console and re.match(r"^<[0-6]>", l)]
if missing:
    sys.exit("not on the crashed kernel's console: %r" % missing[:3])
print("e2e-capture-vmcore: record holds %d log lines; its last %d console-level lines match the console"
      % (len(lines), len([l for l in tail if re.match(r"^<[0-6]>", l)])))
EOF
# The record's time (the file's mtime) is the core's CRASHTIME, the crashed
# kernel's clock at panic: at most 3 s after the guest's clock read just
# before sysrq-c (the panic path prints its stack first), however long the
# capture took.
rec_time=$(awk '$1 == "dmesg-pstore_blk-2" {print $2}' "$exp/list")
((rec_time >= t0 && rec_time <= t0 + 3)) \
    || fail "record time $rec_time is not the panic time (sysrq-c at $t0, record on disk at $t1)"
echo "e2e-capture-vmcore: PASS on $(cat "$work/read/export/info/uname-r"): panic saved by the capture kernel, $PSB_COMPARED file(s) identical to the kernel's /sys/fs/pstore; panic to record on disk: $((t1 - t0)) s (TCG), record time $((rec_time - t0)) s after the panic, crashkernel=${PSB_CRASHKERNEL:-128M}"
}

psb_prepare_kernel
run_on_kernel
trixie=$(find "$PSB_CACHE/stock" -mindepth 1 -maxdepth 1 -name '6.12.*' -printf '%f\n' 2>/dev/null | sort -V | tail -n1)
if [[ -n $trixie && -f $PSB_CACHE/stock/$trixie/root/lib/modules/$trixie-amd64/modules.dep ]]; then
    use_cached_stock "$trixie"
    run_on_kernel
else
    echo "e2e-capture-vmcore: Debian 13's 6.12 kernel is not in $PSB_CACHE/stock (the trixie tests fetch it): ran on 6.1 only"
fi
