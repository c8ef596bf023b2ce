#!/usr/bin/env bash
# End-to-end test on a real Debian 13 (trixie) system with its system disk on
# NVMe (ctest label "vm").
#
# Usage: tests/vm/e2e-trixie.sh PSTORE_BLK_BINARY
#
# The system comes from debian-rootfs.sh trixie: debootstrap minbase +
# systemd 257, udev, kmod, util-linux, fdisk, Debian 13's stock 6.12 kernel
# and its initramfs, efi_pstore and systemd-pstore as Debian ships them.
# QEMU boots it under OVMF (-bios: efi_pstore registers first and holds the
# pstore slot, as on a real Debian 13 machine) with the disk as an NVMe
# namespace (-device nvme: /dev/nvme0n1, root on /dev/nvme0n1p1). Each boot
# runs one phase of debian-phases.sh (host side: debian-e2e-lib.sh).
#
# (a) the disk already has an empty 8 MiB partition number 9:
#   1. setup boot: `check` says NO and names efi_pstore; `setup
#      /dev/nvme0n1p9 --now --yes` adopts it while / is mounted from
#      nvme0n1p1, frees the slot through efi_pstore's run-time pstore_disable
#      switch (no rmmod) and attaches pstore_blk at once; a re-run changes
#      nothing.
#   2. oops boot: pstore_blk holds the slot by itself, `systemctl
#      is-system-running` says running, `check` says YES; an oops (psb_oops).
#   3. read boot: systemd-pstore has archived the record in
#      /var/lib/systemd/pstore; the host's `extract --include-erased` of the
#      disk image recovers it byte for byte. Then `setup /dev/nvme0n1p9 --now
#      --replace-backend --capture-panics --yes`; setup adds crashkernel=128M
#      to /etc/kernel/cmdline, which stands for the boot loader.
#   4. panic boot: pstore-blk-capture.service loaded the capture kernel,
#      running, `check` says panics are saved; sysrq-c; the capture kernel
#      (NVMe modules in its initramfs) writes the panic and reboots.
#   5. capture read boot: systemd-pstore archived the panic record; the
#      host's extract recovers it byte for byte; running, panic YES.
# (b) whole disk, on a fresh copy of the image: `setup /dev/nvme0n1 --size 8M
#   --now --yes` adds nvme0n1p2 beside the mounted root, attaches at once, a
#   re-run changes nothing; then, as in (a), attached at boot, an oops, and
#   the record archived by systemd-pstore and recovered offline (three boots;
#   PSB_E2E_QUICK=1 stops after (b)'s setup boot).
# The binary under test is the host's (Debian 12) build: libraries Debian 13
# lacks (libfmt.so.9) are shipped with it into /usr/local/lib.
# Exit 0: pass; 77 (CTest: skipped) when not root; any other non-zero with a
# message otherwise. Needs root (debootstrap), about 2 GB in the cache.
# Env: PSB_VM_CACHE, PSB_OVMF, PSB_DEBIAN_BOOT_TIMEOUT (600), PSB_E2E_QUICK,
#      PSB_KEEP_WORK=1.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/debian-e2e-lib.sh
. "$PSB_VM_DIR/debian-e2e-lib.sh"

me=e2e-trixie
(($# == 1)) || { echo "usage: $0 PSTORE_BLK_BINARY" >&2; exit 2; }
bin=$1
e2e_init trixie
# Every library the binary resolves on the host except the C and C++
# runtimes; the guest installs those its soname is missing from.
E2E_LIBS=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
    | grep -vE '/(libc|libm|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' | tr '\n' ' ')
export PSB_QEMU_DISK_IF=nvme
E2E_DISK_DEV=/dev/nvme0n1 E2E_RERUN_AT=setup
E2E_CMDLINE="root=/dev/nvme0n1p1 rw console=ttyS0 panic=-1 no_timer_check"

# check_runtime_switch NAME: setup --now freed the slot through efi_pstore's
# pstore_disable parameter, without rmmod.
check_runtime_switch() {
    local out=$work/$1/export/cmd/setup.out
    grep -q 'echo Y > /sys/module/efi_pstore/parameters/pstore_disable' "$out" \
        || problem "$1: setup --now did not use efi_pstore's run-time pstore_disable switch: $(grep '^running:' "$out" | tr '\n' ' ')"
    grep -q 'efi_pstore released the pstore backend' "$out" \
        || problem "$1: efi_pstore did not release the slot through pstore_disable"
    ! grep -q 'running: rmmod efi_pstore' "$out" || problem "$1: setup --now fell back to rmmod efi_pstore on 6.12"
}

# --- (a) adopt an existing empty partition 9 ----------------------------------
e2e_disk trixie-a
img=$work/trixie-a.img
sfdisk --dump "$img" >"$work/table.initial"
read -r rstart rsize < <(psb_part_geometry "$img" 1)
p9start=$(((rstart + rsize + 2047) / 2048 * 2048))
{
    cat "$work/table.initial"
    printf '%s9 : start=%d, size=16384, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="spare"\n' "$img" "$p9start"
} | sfdisk --quiet --no-reread --no-tell-kernel "$img" >/dev/null || fail "cannot add partition 9 to $img"
sfdisk --dump "$img" >"$work/table.with-p9"
grep -qE '^[^ ]+9 : start= *[0-9]+, size= *16384,' "$work/table.with-p9" || fail "partition 9 missing from the test disk"

E2E_SETUP_ARGS="/dev/nvme0n1p9 --now --replace-backend"
e2e_boot a-setup setup
e2e_check_before a-setup
e2e_guest_failed a-setup
e2e_check_setup a-setup nvme0n1p9 9 "$work/table.with-p9"
e2e_check_now a-setup
check_runtime_switch a-setup
e2e_check_rerun a-setup a-setup

e2e_boot a-oops oops
e2e_check_attached_boot a-oops
E2E_CAPTURE_SETUP=1 e2e_boot a-read read
e2e_check_archived a-read
e2e_capture_cmdline a-read
e2e_panic_boot a-panic
e2e_boot a-capread read
e2e_check_panic_read a-capread
E2E_CMDLINE="root=/dev/nvme0n1p1 rw console=ttyS0 panic=-1 no_timer_check"

# --- (b) whole disk: setup adds the partition ----------------------------------
e2e_disk trixie-b
sfdisk --dump "$work/trixie-b.img" >"$work/table.b-initial"
E2E_SETUP_ARGS="/dev/nvme0n1 --size 8M --now --replace-backend"
e2e_boot b-setup setup
e2e_guest_failed b-setup
e2e_check_setup b-setup nvme0n1p2 2 "$work/table.b-initial"
e2e_check_now b-setup
check_runtime_switch b-setup
e2e_check_rerun b-setup b-setup
boots="a: $(cat "$work/a-setup/boot-seconds")s + $(cat "$work/a-oops/boot-seconds")s + $(cat "$work/a-read/boot-seconds")s + $(cat "$work/a-panic/boot-seconds")s + $(cat "$work/a-capread/boot-seconds")s; b: $(cat "$work/b-setup/boot-seconds")s"
if [[ ${PSB_E2E_QUICK:-0} != 1 ]]; then
    e2e_boot b-oops oops
    e2e_check_attached_boot b-oops
    e2e_boot b-read read
    e2e_check_archived b-read
    boots+=" + $(cat "$work/b-oops/boot-seconds")s + $(cat "$work/b-read/boot-seconds")s"
fi

elapsed=$(($(date +%s) - t_start))
e2e_finish "Debian 13, kernel $krel, NVMe: (a) nvme0n1p9 adopted with --now beside the mounted root (efi_pstore released through pstore_disable), attached at boot, system running, oops archived by systemd-pstore and recovered erased offline, setup --capture-panics: panic saved by the capture kernel in ${panic_to_disk}s, archived and recovered offline; (b) nvme0n1p2 added with --now$([[ ${PSB_E2E_QUICK:-0} == 1 ]] || echo ', attached at boot, oops archived and recovered'); re-runs change nothing (${elapsed}s; image ${t_image}s; boots $boots)"
