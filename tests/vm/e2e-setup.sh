#!/usr/bin/env bash
# End-to-end test of `pstore-blk check` and `pstore-blk setup --now` on a real
# kernel (ctest label "vm"; issue 4 "End-to-end in the real-kernel harness").
#
# Usage: tests/vm/e2e-setup.sh [--efi] PSTORE_BLK_BINARY
#
# The guest is the harness's busybox initramfs with Debian's stock kernel,
# plus the project binary and its libraries, kmod, systemd-udevd (Debian's
# udev package, unpacked in the cache) and a Debian-like /lib/modules tree;
# /dev/vda is a blank 64 MiB GPT disk with one ext4 data partition.
#
#  1. writer boot: `check` (saved), `setup /dev/vda --size 8M --now --yes`:
#     exit 0 and the kernel's `pstore_blk: attached` line; `check` again;
#     an oops (psb_oops from a child process); sleep 2; poweroff.
#  2. the disk is snapshotted; the files setup wrote (modprobe.d,
#     modules-load.d, ...) are put back into the next initramfs: the guest's
#     /etc persists like a real root file system's would.
#  3. read boot: pstore_blk is loaded the way systemd-modules-load would
#     (modprobe of each /etc/modules-load.d entry, options from modprobe.d)
#     and must attach; /sys/fs/pstore is exported; `check` again; then
#     `setup` is re-run twice with the same arguments (pstore_blk attached,
#     then after rmmod) and must change nothing: no file written, no new
#     partition, records still there.
#  4. host: `pstore-blk extract` of the snapshot must equal the guest
#     kernel's files (bytes, mode 0600, dmesg mtime); the ext4 partition must
#     be byte-identical; the records must survive the re-runs on disk;
#     `check`'s exit status and oops verdict must match what happened.
#  5. verify boot: /etc as the re-runs left it; pstore_blk must attach the
#     way a booting system loads it; then `undo --remove-partition` must
#     remove every file setup wrote, delete the partition (the kernel must
#     drop it too, and pstore_blk must not stay attached to it) and leave
#     the table as it was before setup and the ext4 partition untouched.
#
# --efi (e2e-efi.sh): boot with OVMF and load efi_pstore before anything else,
# as systemd-pstore.service's modprobe@efi_pstore does on Debian 12, so the
# efi backend holds the single pstore slot. `check` must then say oops NO and
# exit 1; `setup --now` must resolve the conflict and attach; the read boot
# loads efi_pstore first again and pstore_blk must still attach.
#
# Exit 0: pass. Non-zero with a message: failure, including a binary without a
# `setup` command and a QEMU that cannot start (never a silent pass).
# Env: PSB_VM_CACHE, PSB_KERNEL_ABI, PSB_BOOT_TIMEOUT, PSB_KEEP_WORK=1,
#      PSB_OVMF (default /usr/share/ovmf/OVMF.fd).
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

efi=0
if [[ ${1:-} == --efi ]]; then
    efi=1
    shift
fi
me=e2e-setup
((efi)) && me=e2e-efi
fail() { printf '%s: FAIL: %s\n' "$me" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$me" "$*" >&2; }

(($# == 1)) || { echo "usage: $0 [--efi] PSTORE_BLK_BINARY" >&2; exit 2; }
bin=$1
[[ -x $bin ]] || fail "pstore-blk binary '$bin' is missing or not executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

psb_need_cmds "$PSB_QEMU" timeout sfdisk mkfs.ext4 cpio gzip tar modprobe depmod cmp stat ldd python3 dpkg apt-get
if ((efi)); then
    PSB_OVMF=${PSB_OVMF:-/usr/share/ovmf/OVMF.fd}
    [[ -r $PSB_OVMF ]] || fail "no OVMF firmware at $PSB_OVMF (Debian 12: apt-get install ovmf)"
fi

# The provisioning commands must exist: a binary without them fails here.
for sub in check setup; do
    "$bin" "$sub" --help >/dev/null 2>&1 \
        || fail "'$bin $sub --help' failed: the binary has no '$sub' command (issue 4 not implemented in this build?)"
done

psb_make_workdir "$me"
t_start=$(date +%s)

# --- kernel, disk ----------------------------------------------------------
psb_scenario_defaults
PSB_SCENARIO=$me
PSB_KERNEL=stock
PSB_LABEL=gpt
PSB_DISK_MIB=64
PSB_PARTS="start=2048, size=32MiB, type=linux, name=data"
PSB_EXT4_PART=1
PSB_PSTORE_PART=2      # what setup is expected to create (checked, not assumed)
PSB_BLKDEV=/dev/vda2   # unused: pstore_blk is not in /lib/psb
PSB_NCPUS=1
psb_prepare_kernel
# /lib/psb: virtio and the oops module only. pstore_blk is setup's business.
PSB_KOS=()
while read -r m; do
    PSB_KOS+=("$PSB_STOCK_MODDIR/$m")
done < <(psb_module_chain "$PSB_STOCK_MODDIR" "$PSB_STOCK_KREL" virtio_pci virtio_blk)
PSB_KOS+=("$PSB_STOCK_OOPS_KO")

disk=$work/disk.img
psb_make_disk "$disk"
read -r d1_start d1_size < <(psb_part_geometry "$disk" 1)
data_sum() { dd if="$disk" bs=512 skip="$d1_start" count="$d1_size" status=none | md5sum | cut -d' ' -f1; }
data_before=$(data_sum)
sfdisk --dump "$disk" >"$work/table.initial"

# --- initramfs overlay -------------------------------------------------------
ov=$work/overlay
psb_overlay_init "$ov"
psb_overlay_add_bin "$ov" "$bin" /usr/sbin/pstore-blk
psb_overlay_add_kmod "$ov"
psb_overlay_add_utils "$ov"
psb_overlay_add_udev "$ov"
psb_overlay_add_modules "$ov" "$PSB_STOCK_MODDIR" "$PSB_STOCK_KREL" \
    virtio_pci virtio_blk pstore_blk efi_pstore
cp "$PSB_VM_DIR/guest-phases.sh" "$ov/etc/psb/phases.sh"
{
    echo "PSB_SETUP_DEV=/dev/vda"
    echo "PSB_SETUP_ARGS='--size 8M'"
    echo "PSB_OOPS=null"
    echo "PSB_EFI=$efi"
    echo "PSB_PANIC_AFTER=1"
} >"$ov/etc/psb/phase.conf"

# One retry when TCG hangs before the guest init runs (seen once with OVMF).
export PSB_INITRAMFS_OVERLAY=$ov PSB_ALLOW_GUEST_FAIL=1 PSB_QEMU_MEM=768 PSB_BOOT_RETRIES=${PSB_BOOT_RETRIES:-1}
((efi)) && export PSB_QEMU_BIOS=$PSB_OVMF

# show_cmd PHASE NAME: what a guest command printed, for failure messages.
show_cmd() {
    local d=$work/$1/export/cmd
    [[ -f $d/$2.rc ]] || { echo "  ($2 did not run)" >&2; return 0; }
    echo "  --- $2 (exit $(cat "$d/$2.rc")) stdout:" >&2
    sed 's/^/  | /' "$d/$2.out" >&2
    echo "  --- $2 stderr:" >&2
    sed 's/^/  | /' "$d/$2.err" >&2
}
cmd_rc() { cat "$work/$1/export/cmd/$2.rc" 2>/dev/null || echo none; }
# verdict PHASE NAME KIND -> "yes|no|unknown<TAB>reason" (check NAME-json + NAME)
verdict() {
    python3 "$PSB_VM_DIR/verdict.py" "$3" "$work/$1/export/cmd/$2-json.out" "$work/$1/export/cmd/$2.out"
}

problems=()
problem() { problems+=("$*"); printf '%s: problem: %s\n' "$me" "$*" >&2; }
# row PHASE NAME BACKEND -> "available=yes active=no ..." from check NAME-json.
row() { python3 "$PSB_VM_DIR/capture_row.py" "$work/$1/export/cmd/$2-json.out" "$3"; }
# expect_row PHASE NAME BACKEND "col=val ..." WHAT: each col=val must be in the row.
expect_row() {
    local r kv
    r=$(row "$1" "$2" "$3")
    for kv in $4; do
        [[ " $r " == *" $kv "* ]] || { problem "$5: check's table says $3 [$r], expected $kv"; return 0; }
    done
}

# --- writer boot ------------------------------------------------------------
psb_boot_phase setup_writer "$disk" "$work"
wx=$work/setup_writer/export
if [[ -n $PSB_LAST_GUEST_FAIL ]]; then
    show_cmd setup_writer check-before
    show_cmd setup_writer setup
    [[ -f $wx/dmesg.setup ]] && { echo "  --- kernel log during setup:" >&2; sed 's/^/  | /' "$wx/dmesg.setup" >&2; }
    PSB_KEEP_WORK=1
    fail "writer boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: } (serial log: $work/setup_writer/serial.log)"
fi
note "setup: exit $(cmd_rc setup_writer setup); kernel: $(grep -a -o 'pstore_blk: attached.*' "$wx/dmesg.txt" | head -n1)"

if ((efi)); then
    backend_before=$(sed -n 's/^== backend: //p' "$wx/state.before")
    [[ $backend_before == efi ]] \
        || fail "efi_pstore did not take the backend slot before setup (backend '$backend_before'; state: $wx/state.before)"
    note "before setup: backend=$backend_before (efi_pstore holds the slot)"
fi

# check before setup: nothing is configured (and with --efi efi holds the
# slot), so an oops would not reach the disk: oops NO, exit 1.
rc=$(cmd_rc setup_writer check-before)
IFS=$'\t' read -r v reason < <(verdict setup_writer check-before oops)
note "check before setup: exit $rc, oops ${v^^} ($reason)"
[[ $rc == 1 ]] || problem "check before setup exited $rc; nothing records oopses yet, expected 1"
[[ $v == no ]] || problem "check before setup said oops '$v'; nothing records oopses yet, expected NO"
if ((efi)) && ! grep -qi 'efi' "$wx/cmd/check-before.out"; then
    problem "check before setup does not mention efi/efi_pstore although efi_pstore holds the backend"
fi
if ((efi)); then
    # The table before setup: efi_pstore holds the slot (measured above) and saves panics.
    note "check before setup: efi_pstore [$(row setup_writer check-before efi_pstore)]"
    expect_row setup_writer check-before efi_pstore "active=yes oops=yes panic=yes" \
        "before setup (backend '$backend_before')"
    expect_row setup_writer check-before pstore_blk "active=no panic=no" "before setup"
    # setup --now --yes without --replace-backend: refused, nothing changed.
    rc=$(cmd_rc setup_writer setup-refused)
    note "setup without --replace-backend: exit $rc: $(tail -n 1 "$wx/cmd/setup-refused.err" 2>/dev/null)"
    [[ $rc == 1 ]] || { show_cmd setup_writer setup-refused; problem "setup --yes without --replace-backend exited $rc, expected 1 (it takes panic capture away from efi_pstore)"; }
    grep -q -- '--replace-backend' "$wx/cmd/setup-refused.err" \
        || problem "the refusal does not name --replace-backend"
    sentence="today: panics and oopses are saved by efi_pstore (EFI variables); after setup: oopses are saved by pstore_blk on"
    grep -qF -- "$sentence" "$wx/cmd/setup-refused.out" \
        || problem "setup does not state the capture change ('$sentence ...')"
    grep -qF -- "$sentence" "$wx/cmd/setup-dry.out" \
        || problem "setup --dry-run does not state the capture change"
    n=$(grep -c . "$wx/written/after-refusal.list" 2>/dev/null || true)
    ((n == 0)) || problem "the refused setup wrote files: $(tr '\n' ' ' <"$wx/written/after-refusal.list")"
    sed -n '/^== sfdisk/,/^== /p' "$wx/state.after-refusal" | grep -qE '^/dev/vda2 : ' \
        && problem "the refused setup created a partition"
    [[ $(sed -n 's/^== backend: //p' "$wx/state.after-refusal") == efi ]] \
        || problem "the refused setup changed the backend: $(sed -n 's/^== backend: //p' "$wx/state.after-refusal")"
fi
# check after setup --now: attached, so oops YES, exit 0.
rc=$(cmd_rc setup_writer check-after)
IFS=$'\t' read -r v reason < <(verdict setup_writer check-after oops)
note "check after setup --now: exit $rc, oops ${v^^} ($reason)"
[[ $rc == 0 ]] || problem "check after setup --now exited $rc, expected 0 (pstore_blk is attached)"
[[ $v == yes ]] || problem "check after setup --now said oops '$v', expected YES"
IFS=$'\t' read -r v reason < <(verdict setup_writer check-after panic)
note "check after setup --now: panic ${v^^} ($reason)"
[[ $v != yes ]] || problem "check after setup --now said panic YES; a virtio disk has no panic_write"
note "check after setup --now: pstore_blk [$(row setup_writer check-after pstore_blk)]"
expect_row setup_writer check-after pstore_blk "active=yes next_boot=yes oops=yes panic=no" "after setup --now"
((efi)) && expect_row setup_writer check-after efi_pstore "active=no next_boot=no" "after setup --now"

# What setup did to the disk and to /etc.
sfdisk --dump "$disk" >"$work/table.after-setup" 2>/dev/null || fail "sfdisk cannot read the disk after setup"
pline=$(grep -E "^[^ ]+[0-9] : " "$work/table.after-setup" | sed -n "${PSB_PSTORE_PART}p")
[[ -n $pline ]] || fail "setup created no partition $PSB_PSTORE_PART on the blank disk (table: $(tr '\n' ' ' <"$work/table.after-setup"))"
psize=$(sed -n 's/.*size= *\([0-9]*\).*/\1/p' <<<"$pline")
puuid=$(sed -n 's/.*uuid=\([0-9A-Fa-f-]*\).*/\1/p' <<<"$pline")
puuid=${puuid,,}
note "new partition: $pline"
[[ $psize == $((8 * 2048)) ]] || problem "the pstore partition has $psize sectors, expected 16384 (--size 8M)"
grep -q 'name="pstore"' <<<"$pline" || problem "the new GPT partition is not named 'pstore'"
[[ $(data_sum) == "$data_before" ]] || problem "the ext4 data partition changed during setup"
blkdev_param=$(sed -n 's/^blkdev=//p' "$wx/state.after-setup")
note "pstore_blk blkdev=$blkdev_param"
[[ ${blkdev_param,,} == *"$puuid"* || $blkdev_param == /dev/vda$PSB_PSTORE_PART ]] \
    || problem "pstore_blk's blkdev '$blkdev_param' is not the new partition (PARTUUID $puuid)"
note "setup wrote: $(tr '\n' ' ' <"$wx/written/after-setup.list")"
grep -q '^/etc/modprobe.d/' "$wx/written/after-setup.list" \
    || problem "setup wrote nothing in /etc/modprobe.d (the module needs its options at every boot)"
grep -q '^/etc/modules-load.d/' "$wx/written/after-setup.list" \
    || problem "setup wrote nothing in /etc/modules-load.d (nothing loads pstore_blk at boot)"
if ((efi)); then
    grep -rqs 'efi_pstore' "$wx/written/after-setup/etc/modprobe.d" \
        || problem "setup wrote no efi_pstore option/blacklist in modprobe.d: at the next boot efi_pstore takes the slot again"
    note "after setup: backend=$(sed -n 's/^== backend: //p' "$wx/state.after-setup")"
fi

cp --sparse=always "$disk" "$work/snapshot.img"

# --- read boot ---------------------------------------------------------------
# The guest's root file system persists: put back what setup wrote.
cp -a "$wx/written/after-setup/." "$ov/"
psb_boot_phase setup_read "$disk" "$work"
rx=$work/setup_read/export
if [[ -n $PSB_LAST_GUEST_FAIL ]]; then
    show_cmd setup_read check-boot
    for f in "$rx"/cmd/modules-load-*.rc; do
        [[ -e $f ]] && show_cmd setup_read "$(basename "$f" .rc)"
    done
    grep -a 'pstore' "$rx/dmesg.txt" | sed 's/^/  | /' >&2 || true
    PSB_KEEP_WORK=1
    fail "read boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: } (serial log: $work/setup_read/serial.log)"
fi
note "read boot: $(grep -a -o 'pstore_blk: attached.*' "$rx/dmesg.txt" | head -n1)"
# Informational: what check says when setup's configuration is in place but
# pstore_blk is not loaded yet (the state between boot and modules-load, or
# after `setup` without --now).
IFS=$'\t' read -r v reason < <(python3 "$PSB_VM_DIR/verdict.py" oops /dev/null "$rx/cmd/check-boot.out")
note "check with the configuration in place, pstore_blk not loaded yet: exit $(cmd_rc setup_read check-boot), oops ${v^^} ($reason)"
((efi)) && note "read boot: backend=$(sed -n 's/^== backend: //p' "$rx/state.loaded") (efi_pstore loaded first: $(cmd_rc setup_read modprobe-efi_pstore))"
if grep -aq 'Failed to insert\|ignoring unexpected backend\|registering with pstore failed' "$rx/dmesg.txt"; then
    problem "read boot kernel log: $(grep -a 'ignoring unexpected backend\|registering with pstore failed' "$rx/dmesg.txt" | head -n2 | tr '\n' ' ')"
fi

[[ -s $rx/read/list ]] || fail "the guest kernel shows no record after the oops (read boot: $rx/read/list empty; serial: $work/setup_read/serial.log)"
grep -q '^dmesg-pstore_blk-' "$rx/read/list" || fail "no dmesg-pstore_blk-* record after the oops: $(tr '\n' ' ' <"$rx/read/list")"

# Did check tell the truth? The oops was recorded: check after setup said YES.
rc=$(cmd_rc setup_read check-read)
IFS=$'\t' read -r v reason < <(verdict setup_read check-read oops)
note "check in the read boot: exit $rc, oops ${v^^}"
[[ $rc == 0 && $v == yes ]] || problem "check in the read boot (pstore_blk attached) said oops '$v' with exit $rc, expected YES / 0"

# The writer boot panicked after its export: check said pstore_blk saves no
# panics; the kernel must show the oops and no panic record.
expect_row setup_read check-read pstore_blk "active=yes oops=yes panic=no" "read boot"
grep -aq 'sysrq: Trigger a crash\|Kernel panic' "$work/setup_writer/serial.log" \
    || problem "the writer boot did not panic after the oops (serial log: $work/setup_writer/serial.log)"
panics=$( (grep -l '^Panic' "$rx"/read/files/dmesg-* 2>/dev/null || true) | wc -l)
oopses=$( (grep -l '^Oops' "$rx"/read/files/dmesg-* 2>/dev/null || true) | wc -l)
note "after oops + panic: $oopses oops record(s), $panics panic record(s) (check said: oops yes, panic no)"
((oopses >= 1)) || problem "no oops record although check said pstore_blk saves oopses"
((panics == 0)) || problem "a panic record was saved although check said pstore_blk saves no panics"

# Host: the reader on the snapshot must reproduce the kernel's files.
out=$work/extracted
psb_host_extract "$bin" "$out" "$work/snapshot.img"
psb_compare_export "$rx/read" "$out"
((PSB_MISMATCHES == 0)) || problem "$PSB_MISMATCHES mismatch(es) between 'pstore-blk extract' and the guest kernel's /sys/fs/pstore"
note "extract: $PSB_COMPARED file(s) compared with the guest kernel's"

# Re-running setup with the same arguments: exit 0, nothing written, no new
# partition, records untouched (attached and detached).
for which in attached detached; do
    rc=$(cmd_rc setup_read "setup-rerun-$which")
    wl=$rx/written/after-rerun.list
    [[ $which == detached ]] && wl=$rx/written/after-rerun2.list
    n=$(grep -c . "$wl" 2>/dev/null || true)
    note "setup re-run ($which): exit $rc, $n file(s) written; records after: $(awk '{printf "%s ", $1}' "$rx/rerun-$which/list" 2>/dev/null)"
    if [[ $rc != 0 ]]; then
        show_cmd setup_read "setup-rerun-$which"
        problem "setup re-run with pstore_blk $which exited $rc, expected 0 (idempotent)"
    fi
    ((n == 0)) || problem "setup re-run ($which) wrote files: $(tr '\n' ' ' <"$wl")"
    if ! cmp -s <(awk '{print $1, $3}' "$rx/read/list") <(awk '{print $1, $3}' "$rx/rerun-$which/list" 2>/dev/null); then
        problem "records in /sys/fs/pstore changed after the setup re-run ($which): before [$(awk '{printf "%s ", $1}' "$rx/read/list")] after [$(awk '{printf "%s ", $1}' "$rx/rerun-$which/list" 2>/dev/null)]"
    fi
done
grep -a -o 'pstore_blk: attached.*' "$rx/dmesg.txt" | sed -n '2,$p' | while read -r l; do note "re-run: kernel: $l"; done
sfdisk --dump "$disk" >"$work/table.final" 2>/dev/null || true
cmp -s "$work/table.after-setup" "$work/table.final" \
    || problem "the partition table changed during the setup re-runs: $(diff "$work/table.after-setup" "$work/table.final" | grep '^[<>]' | tr '\n' ' ')"
[[ $(data_sum) == "$data_before" ]] || problem "the ext4 data partition changed during the read boot"
# The records are still on the partition (not wiped by a re-run).
out2=$work/extracted-final
mkdir -p "$out2"
"$bin" extract "$disk" --output-dir "$out2" >"$work/extract-final.out" 2>&1 || true
for f in "$out"/dmesg-*; do
    [[ -e $f ]] || continue
    cmp -s "$f" "$out2/$(basename "$f")" \
        || problem "$(basename "$f") is no longer on the partition after the setup re-runs (wiped?)"
done

# --- verify boot: the configuration as the re-runs left it, then undo -------
# Apply what the re-runs wrote and removed to the persistent root.
for w in after-rerun after-rerun2; do
    cp -a "$rx/written/$w/." "$ov/"
    while read -r f; do
        [[ -n $f ]] && rm -f "$ov$f"
    done <"$rx/written/$w.removed"
done
psb_boot_phase setup_verify "$disk" "$work"
vx=$work/setup_verify/export
if [[ -n $PSB_LAST_GUEST_FAIL ]]; then
    problem "verify boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: }"
    grep -a 'pstore\|efi' "$vx/cmd/modules-load-verify-pstore_blk.err" 2>/dev/null | sed 's/^/  | /' >&2 || true
else
    note "verify boot: $(grep -a -o 'pstore_blk: attached.*' "$vx/dmesg.txt" | head -n1)"
fi
rc=$(cmd_rc setup_verify undo)
note "undo --remove-partition: exit $rc; removed: $(tr '\n' ' ' <"$vx/written/after-undo.removed"); written: $(tr '\n' ' ' <"$vx/written/after-undo.list")"
if [[ $rc != 0 ]]; then
    show_cmd setup_verify undo
    problem "undo --remove-partition exited $rc"
fi
left=$(sed -n '/^== config files/,/^== /p' "$vx/state.after-undo" | grep -v '^== ' || true)
[[ -z $left ]] || problem "files left after undo (there were none before setup): $(tr '\n' ' ' <<<"$left")"
sfdisk --dump "$disk" >"$work/table.after-undo" 2>/dev/null || true
if grep -qE '^[^ ]+2 : ' "$work/table.after-undo"; then
    problem "partition 2 is still in the table after undo --remove-partition"
fi
diff <(grep -E '^[^ ]+ : |^label' "$work/table.initial" | sed 's/^[^ ]*img//') \
    <(grep -E '^[^ ]+ : |^label' "$work/table.after-undo" | sed 's/^[^ ]*img//') >/dev/null \
    || problem "the partition table after undo differs from the one before setup: $(diff "$work/table.initial" "$work/table.after-undo" | grep '^[<>]' | tr '\n' ' ')"
[[ $(data_sum) == "$data_before" ]] || problem "the ext4 data partition changed during undo"
# The kernel must not keep using the deleted partition.
if sed -n '/^== \/proc\/partitions/,/^== /p' "$vx/state.after-undo" | grep -qw "vda$PSB_PSTORE_PART"; then
    problem "after undo --remove-partition the kernel still has vda$PSB_PSTORE_PART (not told, or the partition is busy)"
fi
if [[ $(sed -n 's/^== backend: //p' "$vx/state.after-undo") == pstore_blk ]]; then
    problem "after undo --remove-partition pstore_blk is still attached ($(sed -n 's/^blkdev=//p' "$vx/state.after-undo")): oopses go to sectors that are now free space"
fi

elapsed=$(($(date +%s) - t_start))
if ((${#problems[@]})); then
    PSB_KEEP_WORK=1
    printf '%s: %d problem(s):\n' "$me" "${#problems[@]}" >&2
    printf '  - %s\n' "${problems[@]}" >&2
    fail "see above; guest outputs in $work/*/export/cmd, serial logs in $work/*/serial.log"
fi
echo "$me: PASS: setup --now attached, oops recorded, $PSB_COMPARED file(s) identical to the kernel's, re-runs idempotent, attaches at the next boot, undo restores (${elapsed}s; boots $(cat "$work/setup_writer/boot-seconds")s + $(cat "$work/setup_read/boot-seconds")s + $(cat "$work/setup_verify/boot-seconds")s)"
