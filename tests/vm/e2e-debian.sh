#!/usr/bin/env bash
# End-to-end test on a real Debian 12 system (ctest label "vm-slow"; issue 4:
# "Include a real Debian 12 system ... booted with OVMF so efi_pstore is there").
#
# Usage: tests/vm/e2e-debian.sh PSTORE_BLK_BINARY
#
# The system comes from debian-rootfs.sh bookworm (debootstrap minbase + systemd,
# udev, kmod, util-linux, fdisk, Debian's stock kernel and initramfs; built
# once into $PSB_VM_CACHE/debian, copied per run). QEMU boots it with OVMF
# (-bios, so efi_pstore can register and systemd-pstore's modprobe@efi_pstore
# loads it early) and -kernel/-initrd from its /boot, root=/dev/vda1. Each
# boot is driven by psb-job.service with the phase handed over on the job
# disk (tests/vm/debian-phases.sh; host side in debian-e2e-lib.sh, shared
# with e2e-trixie.sh) and bounded by timeout:
#  1. setup boot: `pstore-blk check`, then `pstore-blk setup /dev/vda --size 8M
#     --yes` while / is mounted from /dev/vda1 (no --now): exit 0, a new
#     partition the running kernel sees, configuration written.
#  2. oops boot: pstore_blk must attach at boot by itself (systemd-modules-load,
#     efi_pstore loaded as Debian does), no failed unit / degraded state;
#     `check` must say oops YES and exit 0; then an oops (psb_oops).
#  3. read boot: systemd-pstore must have moved the record to
#     /var/lib/systemd/pstore (erasing it from /sys/fs/pstore, so on the
#     partition only datalen becomes 0); on the host `pstore-blk extract
#     --include-erased` of the disk image must still recover it, byte for
#     byte equal to the archived file. Then `setup` is re-run with the same
#     arguments: it must change nothing.
#  4. verify boot: pstore_blk still attaches, no failed unit. Then `setup
#     /dev/vda --size 8M --capture-panics --yes` (the same setup, panics
#     too); /etc/kernel/cmdline stands for the boot loader: setup adds
#     crashkernel=128M there and the next boots use that line.
#  5. panic boot: pstore-blk-capture.service has loaded the capture kernel,
#     the system is running, `check` says panics are saved; sysrq-c; the
#     capture kernel writes the panic into the partition and reboots.
#  6. capture read boot: systemd-pstore archived the panic record (its last
#     lines: the panic message); the host's extract recovers it byte for
#     byte; running, panic YES again; a re-run of setup changes nothing.
# Exit 0: pass; 77 (CTest: skipped) when not root; any other non-zero with a
# message otherwise, including a QEMU that cannot start.
# Needs root (debootstrap), about 2 GB in the cache; first run ~10 min.
# Env: PSB_VM_CACHE, PSB_KERNEL_ABI, PSB_OVMF, PSB_DEBIAN_BOOT_TIMEOUT (600),
#      PSB_KEEP_WORK=1.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=tests/vm/debian-e2e-lib.sh
. "$PSB_VM_DIR/debian-e2e-lib.sh"

me=e2e-debian
(($# == 1)) || { echo "usage: $0 PSTORE_BLK_BINARY" >&2; exit 2; }
bin=$1
e2e_init bookworm
e2e_disk debian12
sfdisk --dump "$work/debian12.img" >"$work/table.initial"
E2E_DISK_DEV=/dev/vda E2E_SETUP_ARGS="/dev/vda --size 8M --replace-backend" E2E_RERUN_AT=read
E2E_CMDLINE="root=/dev/vda1 rw console=ttyS0 panic=-1 no_timer_check"

# --- 1. setup while / is mounted from the same disk ---------------------------
e2e_boot setup setup
e2e_check_before setup
e2e_guest_failed setup
e2e_check_setup setup vda2 2 "$work/table.initial"

# --- 2. next boot: attached by itself; check; oops ------------------------------
e2e_boot oops oops
e2e_check_attached_boot oops

# --- 3. read boot: systemd-pstore archives (and erases) the record ------------
e2e_boot read read
e2e_check_archived read

# --- 4. after a re-run of the same setup, the next boot still attaches -------
e2e_check_rerun read setup
E2E_CAPTURE_SETUP=1 e2e_boot verify verify
note "verify boot: system $(state_of verify is-system-running boot), backend=$(state_of verify backend boot)"
[[ -z $PSB_LAST_GUEST_FAIL ]] || problem "verify boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: }"
failed=$(section verify 'failed units' boot)
[[ -z $failed ]] || problem "failed units at the boot after the re-run: $(tr '\n' ' ' <<<"$failed") (system $(state_of verify is-system-running boot))"


# --- 5. setup --capture-panics, reboot, panic ----------------------------------
e2e_capture_cmdline verify
e2e_panic_boot panic

# --- 6. the panic archived, recovered offline ------------------------------------
e2e_boot capread read
e2e_check_panic_read capread
e2e_check_rerun capread setup

elapsed=$(($(date +%s) - t_start))
e2e_finish "setup with / mounted, attached at boot (efi_pstore present), oops archived by systemd-pstore and recovered erased offline, re-run idempotent; setup --capture-panics: panic saved by the capture kernel in ${panic_to_disk}s, archived and recovered offline (${elapsed}s; image ${t_image}s; boots $(cat "$work/setup/boot-seconds")s + $(cat "$work/oops/boot-seconds")s + $(cat "$work/read/boot-seconds")s + $(cat "$work/verify/boot-seconds")s + $(cat "$work/panic/boot-seconds")s + $(cat "$work/capread/boot-seconds")s)"
