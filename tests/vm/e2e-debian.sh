#!/usr/bin/env bash
# End-to-end test on a real Debian 12 system (ctest label "vm-slow"; issue 4:
# "Include a real Debian 12 system ... booted with OVMF so efi_pstore is there").
#
# Usage: tests/vm/e2e-debian.sh PSTORE_BLK_BINARY
#
# The system comes from debian-rootfs.sh (debootstrap minbase + systemd,
# udev, kmod, util-linux, fdisk, Debian's stock kernel and initramfs; built
# once into $PSB_VM_CACHE/debian, copied per run). QEMU boots it with OVMF
# (-bios, so efi_pstore can register and systemd-pstore's modprobe@efi_pstore
# loads it early) and -kernel/-initrd from its /boot, root=/dev/vda1. Each
# boot is driven by psb-job.service with the phase handed over on /dev/vdb
# (tests/vm/debian-phases.sh) and bounded by timeout:
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
#  4. verify boot: pstore_blk still attaches, no failed unit.
# Exit 0: pass; 77 (CTest: skipped) when not root; any other non-zero with a
# message otherwise, including a QEMU that cannot start.
# Needs root (debootstrap), about 2 GB in the cache; first run ~10 min.
# Env: PSB_VM_CACHE, PSB_KERNEL_ABI, PSB_OVMF, PSB_DEBIAN_BOOT_TIMEOUT (600),
#      PSB_KEEP_WORK=1.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

me=e2e-debian
fail() { printf '%s: FAIL: %s\n' "$me" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$me" "$*" >&2; }

(($# == 1)) || { echo "usage: $0 PSTORE_BLK_BINARY" >&2; exit 2; }
bin=$1
[[ -x $bin ]] || fail "pstore-blk binary '$bin' is missing or not executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
if [[ $(id -u) != 0 ]]; then
    # Like the loop-device tests: reported as skipped by CTest, never as passed.
    echo "$me: SKIP: needs root (debootstrap and chroot build the Debian image)" >&2
    exit 77
fi
psb_need_cmds "$PSB_QEMU" timeout sfdisk tar cmp stat md5sum python3
PSB_OVMF=${PSB_OVMF:-/usr/share/ovmf/OVMF.fd}
[[ -r $PSB_OVMF ]] || fail "no OVMF firmware at $PSB_OVMF (Debian 12: apt-get install ovmf)"
for sub in check setup status; do
    "$bin" "$sub" --help >/dev/null 2>&1 \
        || fail "'$bin $sub --help' failed: the binary has no '$sub' command"
done

t_start=$(date +%s)
base=$("$PSB_VM_DIR/debian-rootfs.sh" | tail -n1)
[[ -f $base/.complete ]] || fail "debian-rootfs.sh did not produce an image"
t_image=$(($(date +%s) - t_start))
psb_scenario_defaults
PSB_KERNEL=stock
psb_prepare_kernel # psb_oops.ko for the same ABI
krel=$(cat "$base/KREL")
[[ $krel == "$PSB_STOCK_KREL" ]] || fail "the Debian image runs $krel, psb_oops.ko is built for $PSB_STOCK_KREL"

psb_make_workdir "$me"
disk=$work/disk.img
cp --sparse=always "$base/disk.img" "$disk"
kernel=$base/vmlinuz
initrd=$work/initrd.img
cp "$base/initrd.img" "$initrd"
sfdisk --dump "$disk" >"$work/table.initial"

problems=()
problem() { problems+=("$*"); printf '%s: problem: %s\n' "$me" "$*" >&2; }
cmd_rc() { cat "$work/$1/export/cmd/$2.rc" 2>/dev/null || echo none; }
show_cmd() {
    local d=$work/$1/export/cmd
    [[ -f $d/$2.rc ]] || { echo "  ($2 did not run)" >&2; return 0; }
    echo "  --- $2 (exit $(cat "$d/$2.rc")):" >&2
    sed 's/^/  | /' "$d/$2.out" "$d/$2.err" >&2
}
state_of() { sed -n "s/^== $2: //p" "$work/$1/export/state.$3"; }
# section PHASE TITLE STATE: the lines under "== TITLE" of a guest state file.
section() {
    awk -v t="== $2" 'index($0, "== ") == 1 { on = (index($0, t) == 1); next } on' "$work/$1/export/state.$3"
}

export PSB_QEMU_BIOS=$PSB_OVMF PSB_QEMU_MEM=1024 PSB_EXPORT_MIB=160 PSB_ALLOW_GUEST_FAIL=1
export PSB_BOOT_TIMEOUT=${PSB_DEBIAN_BOOT_TIMEOUT:-600} PSB_BOOT_RETRIES=1
export PSB_INIT_MARKER='Run /init as init process' PSB_INIT_DEADLINE=150
cmdline="root=/dev/vda1 rw console=ttyS0 panic=-1"

# boot PHASE: hand over the job on the export disk, boot, unpack the results.
boot() {
    local phase=$1 p=$work/$1
    mkdir -p "$p/job"
    cp "$PSB_VM_DIR/debian-phases.sh" "$p/job/phases.sh"
    cp "$bin" "$p/job/pstore-blk"
    cp "$PSB_STOCK_OOPS_KO" "$p/job/psb_oops.ko"
    {
        printf 'PSB_PHASE=%q\n' "$phase"
        printf 'PSB_SETUP_ARGS=%q\n' "--size 8M"
        printf 'PSB_INITRD_MD5=%q\n' "$(md5sum <"$initrd" | cut -d' ' -f1)"
    } >"$p/job/job.conf"
    tar -cf "$p/xfer.img" -C "$p/job" .
    truncate -s "${PSB_EXPORT_MIB}M" "$p/xfer.img"
    psb_log "boot '$phase' (Debian 12, OVMF): $cmdline"
    psb_qemu_run "$kernel" "$initrd" "$cmdline" "$p/serial.log" 1 "$disk" "$p/xfer.img"
    printf '%s\n' "$PSB_LAST_BOOT_SECONDS" >"$p/boot-seconds"
    psb_unpack_export "$p/xfer.img" "$p/export"
    rm -f "$p/xfer.img"
    if [[ -f $p/export/boot/initrd.img ]]; then
        note "$phase: the guest's /boot/initrd.img changed; the next boot uses it"
        cp "$p/export/boot/initrd.img" "$initrd"
    fi
}

# --- 1. setup while / is mounted from the same disk ---------------------------
boot setup
sx=$work/setup/export
note "before setup: backend=$(state_of setup backend before), system $(state_of setup is-system-running before)"
rc=$(cmd_rc setup check-before)
IFS=$'\t' read -r v reason < <(python3 "$PSB_VM_DIR/verdict.py" oops "$sx/cmd/check-before-json.out" "$sx/cmd/check-before.out")
note "check before setup: exit $rc, oops ${v^^} ($reason)"
[[ $rc == 1 && $v == no ]] || problem "check before setup: exit $rc, oops '$v'; nothing records oopses yet, expected exit 1 / NO"
if [[ $(state_of setup backend before) == efi ]] && ! grep -qi 'efi' "$sx/cmd/check-before.out"; then
    problem "check before setup does not mention efi although backend=efi"
fi
if [[ -n $PSB_LAST_GUEST_FAIL ]]; then
    show_cmd setup setup
    PSB_KEEP_WORK=1
    fail "setup boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: } (serial log: $work/setup/serial.log)"
fi
note "setup: exit $(cmd_rc setup setup); wrote: $(tr '\n' ' ' <"$sx/written.list")"
section setup '/proc/partitions' after-setup | grep -qw vda2 \
    || problem "after setup the running kernel does not see vda2 (/proc/partitions) although / is mounted from vda1"
section setup 'by-partuuid' after-setup | grep -q 'vda2' \
    || problem "after setup udev has no /dev/disk/by-partuuid link for vda2"
sfdisk --dump "$disk" >"$work/table.after-setup"
pline=$(grep -E '^[^ ]+2 : ' "$work/table.after-setup" || true)
[[ -n $pline ]] || fail "no partition 2 on the disk after setup"
note "new partition: ${pline#*: }"
grep -q 'size= *16384,' <<<"$pline" || problem "partition 2 is not 8 MiB: $pline"
[[ $(grep -E '^[^ ]+1 : ' "$work/table.initial" | sed 's/^[^ ]*//') == $(grep -E '^[^ ]+1 : ' "$work/table.after-setup" | sed 's/^[^ ]*//') ]] \
    || problem "the root partition's entry changed"
grep -q '^/etc/modprobe.d/' "$sx/written.list" || problem "setup wrote nothing in /etc/modprobe.d"
grep -q '^/etc/modules-load.d/' "$sx/written.list" || problem "setup wrote nothing in /etc/modules-load.d"
grep -rqs 'efi_pstore' "$sx/written/etc/modprobe.d" \
    || problem "setup on an EFI system wrote no efi_pstore option/blacklist: efi_pstore keeps the slot"
grep -q '^/etc/systemd/system/systemd-pstore.service.d/' "$sx/written.list" \
    || problem "no systemd-pstore drop-in ordering it after systemd-modules-load (DEBIAN-NOTES)"

# --- 2. next boot: attached by itself; check; oops ------------------------------
boot oops
ox=$work/oops/export
note "oops boot: system $(state_of oops is-system-running boot), backend=$(state_of oops backend boot); $(grep -a -o 'pstore_blk: attached.*' "$ox/dmesg.txt" | head -n1)"
note "unit order: $(section oops 'unit order' boot | tr '\n' ';')"
failed=$(section oops 'failed units' boot)
[[ -z $failed ]] || problem "failed units at the boot after setup: $(tr '\n' ' ' <<<"$failed")"
[[ $(state_of oops is-system-running boot) == running ]] \
    || problem "system state at the boot after setup is '$(state_of oops is-system-running boot)', expected running"
if [[ -n $PSB_LAST_GUEST_FAIL ]]; then
    section oops 'kernel pstore lines' boot | sed 's/^/  | /' >&2
    PSB_KEEP_WORK=1
    fail "oops boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: } (serial log: $work/oops/serial.log)"
fi
[[ $(state_of oops backend boot) == pstore_blk ]] || problem "backend at boot is '$(state_of oops backend boot)', not pstore_blk"
rc=$(cmd_rc oops check)
IFS=$'\t' read -r v reason < <(python3 "$PSB_VM_DIR/verdict.py" oops "$ox/cmd/check-json.out" "$ox/cmd/check.out")
note "check at the boot after setup: exit $rc, oops ${v^^} ($reason)"
[[ $rc == 0 && $v == yes ]] || problem "check with pstore_blk attached: exit $rc, oops '$v'; expected 0 / YES"
cp --sparse=always "$disk" "$work/after-oops.img"

# --- 3. read boot: systemd-pstore archives (and erases) the record ------------
boot read
rdx=$work/read/export
[[ -z $PSB_LAST_GUEST_FAIL ]] || problem "read boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: }"
note "read boot: system $(state_of read is-system-running boot); archived: $(awk '{printf "%s ", $1}' "$rdx/archived/list")"
note "systemd-pstore: $(grep -a 'systemd-pstore\[' "$rdx/journal.txt" | sed 's/^.*systemd-pstore\[[0-9]*\]: //' | head -n3 | tr '\n' ';')"
arch=$(awk '$1 ~ /^dmesg-pstore_blk-/ {print $1; exit}' "$rdx/archived/list")
[[ -n $arch ]] || fail "systemd-pstore archived no dmesg-pstore_blk-* record in /var/lib/systemd/pstore (list: $(tr '\n' ' ' <"$rdx/archived/list"); journal: $rdx/systemd-pstore.journal)"
left=$(section read '/sys/fs/pstore' boot | grep -c 'dmesg-' || true)
((left == 0)) || note "note: $left record(s) still in /sys/fs/pstore after systemd-pstore ran"

# Host: the erased record is still on the partition.
out=$work/extracted
psb_host_extract "$bin" "$out" "$disk" --include-erased
note "extract --include-erased: $(find "$out" -mindepth 1 -printf '%f ')"
got=$out/$arch.erased
[[ -f $got ]] || got=$out/$arch
if [[ ! -f $got ]]; then
    problem "extract --include-erased did not recover $arch (wrote: $(find "$out" -mindepth 1 -printf '%f '))"
else
    cmp -s "$rdx/archived/files/$arch" "$got" \
        || problem "$(basename "$got") differs from systemd-pstore's /var/lib/systemd/pstore/$arch ($(cmp "$rdx/archived/files/$arch" "$got" 2>&1 | head -n1))"
    amt=$(awk -v n="$arch" '$1 == n {print $2}' "$rdx/archived/list")
    gmt=$(stat -c %Y "$got")
    [[ $amt == "$gmt" ]] || problem "$(basename "$got") mtime $gmt, systemd-pstore's copy has $amt"
fi
out2=$work/extracted-plain
"$bin" extract "$disk" --output-dir "$out2" >/dev/null 2>&1 || true
[[ ! -f $out2/$arch ]] || note "note: plain extract still lists $arch (not erased on disk?)"

# --- 4. after a re-run of the same setup, the next boot still attaches -------
rc=$(cmd_rc read setup-rerun)
note "setup re-run (same arguments): exit $rc; wrote: $(tr '\n' ' ' <"$rdx/rerun-written.list")"
[[ $rc == 0 ]] || { show_cmd read setup-rerun; problem "setup re-run with the same arguments exited $rc"; }
if grep -q . "$rdx/rerun-written.list"; then
    while read -r f; do
        if [[ -f $sx/written$f ]] && ! cmp -s "$sx/written$f" "$rdx/rerun-written$f"; then
            problem "setup re-run changed $f: $(diff "$sx/written$f" "$rdx/rerun-written$f" | grep '^[<>]' | grep -v '^[<>] #' | tr '\n' ' ')"
        fi
    done <"$rdx/rerun-written.list"
fi
boot verify
note "verify boot: system $(state_of verify is-system-running boot), backend=$(state_of verify backend boot)"
if [[ -n $PSB_LAST_GUEST_FAIL ]]; then
    problem "verify boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: }"
fi
failed=$(section verify 'failed units' boot)
[[ -z $failed ]] || problem "failed units at the boot after the re-run: $(tr '\n' ' ' <<<"$failed") (system $(state_of verify is-system-running boot))"

elapsed=$(($(date +%s) - t_start))
if ((${#problems[@]})); then
    PSB_KEEP_WORK=1
    printf '%s: %d problem(s):\n' "$me" "${#problems[@]}" >&2
    printf '  - %s\n' "${problems[@]}" >&2
    fail "see above; guest outputs in $work/*/export, serial logs in $work/*/serial.log"
fi
echo "$me: PASS: setup with / mounted, attached at boot (efi_pstore present), oops archived by systemd-pstore and recovered erased offline, re-run idempotent (${elapsed}s; image ${t_image}s; boots $(cat "$work/setup/boot-seconds")s + $(cat "$work/oops/boot-seconds")s + $(cat "$work/read/boot-seconds")s + $(cat "$work/verify/boot-seconds")s)"
