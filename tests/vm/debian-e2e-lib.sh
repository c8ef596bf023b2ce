# shellcheck shell=bash
# Host side of the end-to-end tests on a real Debian system (e2e-debian.sh:
# Debian 12 on virtio; e2e-trixie.sh: Debian 13 on NVMe). Source it after
# lib.sh and set, before calling e2e_init:
#   me      test name (messages, work dir)
#   bin     absolute path of the pstore-blk binary under test
# e2e_init SUITE builds or reuses the system image (debian-rootfs.sh SUITE)
# and the oops module for its kernel, then sets: base (image cache dir),
# kernel, krel, t_start, t_image. Each boot hands a job to the guest's
# psb-job (debian-job.sh, debian-phases.sh) and unpacks its export into
# $work/<name>/export.
# Per disk: e2e_disk NAME SOURCE_IMAGE makes $work/NAME.img, and boots use
# the disk and initrd named by E2E_DISK (so two scenarios can each have a
# disk and an initrd of their own).

fail() { printf '%s: FAIL: %s\n' "$me" "$*" >&2; exit 1; }
note() { printf '%s: %s\n' "$me" "$*" >&2; }
problems=()
problem() { problems+=("$*"); printf '%s: problem: %s\n' "$me" "$*" >&2; }

# e2e_prereqs: binary, root, QEMU, OVMF. Exits 77 (skipped) when not root.
e2e_prereqs() {
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
    local sub
    for sub in check setup status; do
        "$bin" "$sub" --help >/dev/null 2>&1 \
            || fail "'$bin $sub --help' failed: the binary has no '$sub' command"
    done
}

e2e_init() {
    local suite=$1
    e2e_prereqs
    t_start=$(date +%s)
    base=$("$PSB_VM_DIR/debian-rootfs.sh" "$suite" | tail -n1)
    [[ -f $base/.complete ]] || fail "debian-rootfs.sh $suite did not produce an image"
    t_image=$(($(date +%s) - t_start))
    krel=$(cat "$base/KREL")
    psb_scenario_defaults
    PSB_KERNEL=stock
    PSB_KERNEL_ABI=${krel%-amd64} psb_prepare_kernel # psb_oops.ko for the same kernel
    [[ $krel == "$PSB_STOCK_KREL" ]] || fail "the Debian image runs $krel, psb_oops.ko is built for $PSB_STOCK_KREL"
    psb_make_workdir "$me"
    kernel=$base/vmlinuz
    export PSB_QEMU_BIOS=$PSB_OVMF PSB_QEMU_MEM=1024 PSB_EXPORT_MIB=160 PSB_ALLOW_GUEST_FAIL=1
    export PSB_BOOT_TIMEOUT=${PSB_DEBIAN_BOOT_TIMEOUT:-600} PSB_BOOT_RETRIES=1
    export PSB_INIT_MARKER='Run /init as init process' PSB_INIT_DEADLINE=150
}

# e2e_disk NAME: a fresh copy of the image's disk and initrd for one scenario.
e2e_disk() {
    cp --sparse=always "$base/disk.img" "$work/$1.img"
    cp "$base/initrd.img" "$work/$1.initrd"
    E2E_DISK=$1
}

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

# e2e_boot NAME PHASE: hand over the job for PHASE on the job disk, boot the
# disk $E2E_DISK (kernel command line $E2E_CMDLINE), unpack the results into
# $work/NAME/export. Job variables: E2E_DISK_DEV (the disk as the guest names
# it), E2E_SETUP_ARGS, E2E_RERUN_AT.
e2e_boot() {
    local name=$1 phase=$2 p=$work/$1 initrd=$work/$E2E_DISK.initrd
    mkdir -p "$p/job"
    cp "$PSB_VM_DIR/debian-phases.sh" "$p/job/phases.sh"
    cp "$bin" "$p/job/pstore-blk"
    cp "$PSB_STOCK_OOPS_KO" "$p/job/psb_oops.ko"
    if [[ -n ${E2E_LIBS:-} ]]; then
        mkdir -p "$p/job/libs"
        cp -L $E2E_LIBS "$p/job/libs/"
    fi
    {
        printf 'PSB_PHASE=%q\n' "$phase"
        printf 'PSB_DISK=%q\n' "$E2E_DISK_DEV"
        printf 'PSB_SETUP_ARGS=%q\n' "$E2E_SETUP_ARGS"
        printf 'PSB_RERUN_AT=%q\n' "${E2E_RERUN_AT:-read}"
        printf 'PSB_INITRD_MD5=%q\n' "$(md5sum <"$initrd" | cut -d' ' -f1)"
        printf 'PSB_CAPTURE_SETUP=%q\n' "${E2E_CAPTURE_SETUP:-0}"
    } >"$p/job/job.conf"
    tar -cf "$p/xfer.img" -C "$p/job" .
    truncate -s "${PSB_EXPORT_MIB}M" "$p/xfer.img"
    psb_log "boot '$name' ($me, OVMF, disk $E2E_DISK_DEV): $E2E_CMDLINE"
    psb_qemu_run "$kernel" "$initrd" "$E2E_CMDLINE" "$p/serial.log" 1 "$work/$E2E_DISK.img" "$p/xfer.img"
    printf '%s\n' "$PSB_LAST_BOOT_SECONDS" >"$p/boot-seconds"
    psb_unpack_export "$p/xfer.img" "$p/export"
    rm -f "$p/xfer.img"
    if [[ -f $p/export/boot/initrd.img ]]; then
        note "$name: the guest's /boot/initrd.img changed; the next boot uses it"
        cp "$p/export/boot/initrd.img" "$initrd"
    fi
}

# e2e_guest_failed NAME: stop with the guest's PSB-FAIL reason, if any.
e2e_guest_failed() {
    [[ -z $PSB_LAST_GUEST_FAIL ]] && return 0
    show_cmd "$1" setup
    section "$1" 'kernel pstore lines' boot 2>/dev/null | sed 's/^/  | /' >&2 || true
    PSB_KEEP_WORK=1
    fail "$1 boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: } (serial log: $work/$1/serial.log)"
}

# e2e_check_before NAME: check before setup says NO (exit 1) and names the
# EFI backend that holds the slot.
e2e_check_before() {
    local sx=$work/$1/export rc v reason backend
    backend=$(state_of "$1" backend before)
    note "before setup: backend=$backend, system $(state_of "$1" is-system-running before)"
    rc=$(cmd_rc "$1" check-before)
    IFS=$'\t' read -r v reason < <(python3 "$PSB_VM_DIR/verdict.py" oops "$sx/cmd/check-before-json.out" "$sx/cmd/check-before.out")
    note "check before setup: exit $rc, oops ${v^^} ($reason)"
    [[ $rc == 1 && $v == no ]] || problem "check before setup: exit $rc, oops '$v'; nothing records oopses yet, expected exit 1 / NO"
    if [[ $backend == efi || $backend == efi_pstore ]] && ! grep -q "$backend" "$sx/cmd/check-before.out"; then
        problem "check before setup does not name the backend '$backend' that holds the slot"
    fi
}

# e2e_check_setup NAME PARTNAME PARTNO TABLE_BEFORE: the partition the
# running kernel sees (PARTNAME, e.g. vda2, nvme0n1p9) with udev's link, an
# 8 MiB entry number PARTNO on the disk, the root partition's entry
# untouched, the configuration files written.
e2e_check_setup() {
    local name=$1 part=$2 no=$3 before=$4 sx=$work/$1/export pline
    note "setup: exit $(cmd_rc "$name" setup); wrote: $(tr '\n' ' ' <"$sx/written.list")"
    section "$name" '/proc/partitions' after-setup | grep -qw "$part" \
        || problem "after setup the running kernel does not see $part (/proc/partitions) although / is mounted from the same disk"
    section "$name" 'by-partuuid' after-setup | grep -q "$part\$" \
        || problem "after setup udev has no /dev/disk/by-partuuid link for $part"
    sfdisk --dump "$work/$E2E_DISK.img" >"$work/$name.table"
    pline=$(grep -E "^[^ ]+[^0-9]$no : " "$work/$name.table" || true)
    [[ -n $pline ]] || fail "no partition $no on the disk after setup"
    note "partition $no: ${pline#*: }"
    grep -q 'size= *16384,' <<<"$pline" || problem "partition $no is not 8 MiB: $pline"
    [[ $(grep -E '^[^ ]+[^0-9]1 : ' "$before" | sed 's/^[^ ]*//') == $(grep -E '^[^ ]+[^0-9]1 : ' "$work/$name.table" | sed 's/^[^ ]*//') ]] \
        || problem "the root partition's entry changed"
    grep -q '^/etc/modprobe.d/' "$sx/written.list" || problem "setup wrote nothing in /etc/modprobe.d"
    grep -q '^/etc/modules-load.d/' "$sx/written.list" || problem "setup wrote nothing in /etc/modules-load.d"
    grep -rqs 'efi_pstore' "$sx/written/etc/modprobe.d" \
        || problem "setup on an EFI system wrote no efi_pstore option/blacklist: efi_pstore keeps the slot"
    grep -q '^/etc/systemd/system/systemd-pstore.service.d/' "$sx/written.list" \
        || problem "no systemd-pstore drop-in ordering it after systemd-modules-load"
}

# e2e_check_now NAME: setup --now attached pstore_blk in the same boot.
e2e_check_now() {
    local backend
    backend=$(state_of "$1" backend after-setup)
    note "after setup --now: backend=$backend; $(grep -a -o 'pstore_blk: attached.*' "$work/$1/export/dmesg.txt" | head -n1)"
    [[ $backend == pstore_blk ]] || { show_cmd "$1" setup; problem "after setup --now the backend is '$backend', not pstore_blk"; }
    [[ $(cmd_rc "$1" check-after-setup) == 0 ]] || { show_cmd "$1" check-after-setup; problem "check after setup --now exited $(cmd_rc "$1" check-after-setup), expected 0"; }
}

# e2e_check_rerun NAME SETUP_NAME: the re-run of the same setup (in boot
# NAME) exited 0 and rewrote none of the files setup wrote in SETUP_NAME.
e2e_check_rerun() {
    local rx=$work/$1/export sx=$work/$2/export rc f
    rc=$(cmd_rc "$1" setup-rerun)
    note "setup re-run (same arguments): exit $rc; wrote: $(tr '\n' ' ' <"$rx/rerun-written.list")"
    [[ $rc == 0 ]] || { show_cmd "$1" setup-rerun; problem "setup re-run with the same arguments exited $rc"; }
    grep -q 'Nothing to change' "$rx/cmd/setup-rerun.out" \
        || problem "setup re-run did not say 'Nothing to change': $(head -n 3 "$rx/cmd/setup-rerun.out" | tr '\n' ' ')"
    while read -r f; do
        [[ -n $f ]] || continue
        if [[ -f $sx/written$f ]] && ! cmp -s "$sx/written$f" "$rx/rerun-written$f"; then
            problem "setup re-run changed $f: $(diff "$sx/written$f" "$rx/rerun-written$f" | grep '^[<>]' | grep -v '^[<>] #' | tr '\n' ' ')"
        fi
    done <"$rx/rerun-written.list"
}

# e2e_check_running NAME WHAT: at boot NAME (WHAT, in the problems) no unit
# failed, the system is running and the guest's job reported no failure.
e2e_check_running() {
    local failed state
    failed=$(section "$1" 'failed units' boot)
    [[ -z $failed ]] || problem "failed units at $2: $(tr '\n' ' ' <<<"$failed")"
    state=$(state_of "$1" is-system-running boot)
    [[ $state == running ]] || problem "system state at $2 is '$state', expected running"
    e2e_guest_failed "$1"
}

# e2e_check_attached_boot NAME: the boot after setup: no failed unit, state
# running, pstore_blk holds the slot (attached by itself), check says YES.
e2e_check_attached_boot() {
    local ox=$work/$1/export rc v reason
    note "$1 boot: system $(state_of "$1" is-system-running boot), backend=$(state_of "$1" backend boot); $(grep -a -o 'pstore_blk: attached.*' "$ox/dmesg.txt" | head -n1)"
    note "unit order: $(section "$1" 'unit order' boot | tr '\n' ';')"
    e2e_check_running "$1" "the boot after setup"
    [[ $(state_of "$1" backend boot) == pstore_blk ]] || problem "backend at boot is '$(state_of "$1" backend boot)', not pstore_blk"
    rc=$(cmd_rc "$1" check)
    IFS=$'\t' read -r v reason < <(python3 "$PSB_VM_DIR/verdict.py" oops "$ox/cmd/check-json.out" "$ox/cmd/check.out")
    note "check at the boot after setup: exit $rc, oops ${v^^} ($reason)"
    [[ $rc == 0 && $v == yes ]] || problem "check with pstore_blk attached: exit $rc, oops '$v'; expected 0 / YES"
}

# archived_record NAME [PANIC]: the first dmesg-pstore_blk-* record
# systemd-pstore archived at boot NAME; with PANIC, the first whose text
# begins "Panic#" (the oops of an earlier boot may be archived beside it).
archived_record() {
    local d=$work/$1/export/archived n
    for n in $(awk '$1 ~ /^dmesg-pstore_blk-/ {print $1}' "$d/list"); do
        [[ -z ${2:-} ]] || head -c 6 "$d/files/$n" | grep -q '^Panic#' || continue
        echo "$n"
        return
    done
}

# e2e_check_archived NAME [PANIC]: systemd-pstore archived the oops (with
# PANIC: the panic) at boot NAME; the host's `extract --include-erased` of
# the disk recovers it byte for byte with the same mtime.
e2e_check_archived() {
    local rdx=$work/$1/export arch left out got amt gmt out2
    [[ -z $PSB_LAST_GUEST_FAIL ]] || problem "$1 boot: ${PSB_LAST_GUEST_FAIL#*PSB-FAIL: }"
    note "$1 boot: system $(state_of "$1" is-system-running boot); archived: $(awk '{printf "%s ", $1}' "$rdx/archived/list")"
    note "systemd-pstore: $(grep -a 'systemd-pstore\[' "$rdx/journal.txt" | sed 's/^.*systemd-pstore\[[0-9]*\]: //' | head -n3 | tr '\n' ';')"
    arch=$(archived_record "$1" ${2:-})
    [[ -n $arch ]] || fail "systemd-pstore archived no ${2:-} dmesg-pstore_blk-* record in /var/lib/systemd/pstore (list: $(tr '\n' ' ' <"$rdx/archived/list"); journal: $rdx/journal.txt)"
    left=$(section "$1" '/sys/fs/pstore' boot | grep -c 'dmesg-' || true)
    ((left == 0)) || note "note: $left record(s) still in /sys/fs/pstore after systemd-pstore ran"
    out=$work/$1-extracted
    psb_host_extract "$bin" "$out" "$work/$E2E_DISK.img" --include-erased
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
    out2=$work/$1-extracted-plain
    "$bin" extract "$work/$E2E_DISK.img" --output-dir "$out2" >/dev/null 2>&1 || true
    [[ ! -f $out2/$arch ]] || note "note: plain extract still lists $arch (not erased on disk?)"
}

# e2e_capture_cmdline NAME: boot NAME ran `setup ... --capture-panics`
# (capture_setup): it wrote the capture unit, its wants drop-in and
# crashkernel= into /etc/kernel/cmdline; the next boots use that command
# line, as kernel-install would.
e2e_capture_cmdline() {
    local cx=$work/$1/export f
    note "setup --capture-panics: exit $(cmd_rc "$1" capture-setup); wrote: $(tr '\n' ' ' <"$cx/capture-written.list")"
    [[ $(cmd_rc "$1" capture-setup) == 0 ]] || { show_cmd "$1" capture-setup; fail "setup --capture-panics exited $(cmd_rc "$1" capture-setup)"; }
    for f in /etc/systemd/system/pstore-blk-capture.service /etc/systemd/system/multi-user.target.d/pstore-blk-capture.conf /etc/kernel/cmdline; do
        grep -qx "$f" "$cx/capture-written.list" || problem "setup --capture-panics did not write $f"
    done
    grep -q '^ExecStart=/usr/local/sbin/pstore-blk capture-load /dev/disk/by-partuuid/' "$cx/capture-written/etc/systemd/system/pstore-blk-capture.service" \
        || problem "the capture unit does not run the installed binary on the partition's by-partuuid link: $(grep ExecStart "$cx/capture-written/etc/systemd/system/pstore-blk-capture.service")"
    E2E_CMDLINE=$(head -n1 "$cx/capture-written/etc/kernel/cmdline")
    grep -qw 'crashkernel=128M' <<<"$E2E_CMDLINE" || fail "setup --capture-panics reserved no crashkernel=128M: $E2E_CMDLINE"
    note "next boots (as kernel-install would): $E2E_CMDLINE"
}

# e2e_panic_boot NAME: the boot after setup --capture-panics: system
# running, the capture unit loaded the capture kernel, check says panics
# are saved; then sysrq-c, and the capture kernel writes the record (QEMU
# exits when it reboots). Sets panic_to_disk (seconds, guest clocks).
e2e_panic_boot() {
    local px=$work/$1/export serial=$work/$1/serial.log rc v reason t0 t1
    PSB_DONE_MARKER='pstore-blk capture: panic record written at' e2e_boot "$1" panic
    note "$1 boot: system $(state_of "$1" is-system-running boot); crash slot: $(cat "$px/crash-slot")"
    e2e_check_running "$1" "the boot with the capture unit"
    grep -q '^loaded=1 ' "$px/crash-slot" || problem "no crash kernel loaded: $(cat "$px/capture-unit.txt")"
    rc=$(cmd_rc "$1" check)
    IFS=$'\t' read -r v reason < <(python3 "$PSB_VM_DIR/verdict.py" panic "$px/cmd/check-json.out" "$px/cmd/check.out")
    note "check with the capture kernel loaded: exit $rc, panic ${v^^} ($reason)"
    [[ $v == yes ]] || { show_cmd "$1" check; problem "check with the capture kernel loaded: panic '$v', expected YES"; }
    grep -aq 'Kernel panic - not syncing' "$serial" || fail "the guest did not panic (log: $serial)"
    grep -aq 'wrote Panic record' "$serial" || fail "the capture kernel wrote no record (log: $serial)"
    grep -aq 'pstore-blk: PARTUUID .* is partition [0-9]* of /dev/' "$serial" \
        || problem "the capture kernel did not find the partition by its PARTUUID (log: $serial)"
    t0=$(grep -a 'PANIC-AT' "$serial" | tr -d '\r' | awk '{print $NF}' | tail -n1 || true)
    t1=$(grep -a 'pstore-blk capture: panic record written at' "$serial" | tr -d '\r' | awk '{print $NF}' | tail -n1 || true)
    if [[ $t0 =~ ^[0-9]+$ && $t1 =~ ^[0-9]+$ ]]; then
        panic_to_disk=$((t1 - t0))
    else
        panic_to_disk="?"
        problem "no panic or capture time on the console (PANIC-AT '$t0', written at '$t1'; log: $serial)"
    fi
    note "panic to record on disk: ${panic_to_disk}s (TCG); capture-load: $(grep -a 'capture kernel loaded' "$px/journal.txt" | sed 's/^.*pstore-blk\[[0-9]*\]: //' | head -n1)"
}

# e2e_check_panic_read NAME: the boot after the capture: running, no failed
# unit, pstore_blk attached, the capture kernel loaded again (check: panic
# YES), systemd-pstore archived the panic record (last lines: the panic
# message), and the host's extract recovers it byte for byte.
e2e_check_panic_read() {
    local rx=$work/$1/export v reason arch
    e2e_check_attached_boot "$1"
    IFS=$'\t' read -r v reason < <(python3 "$PSB_VM_DIR/verdict.py" panic "$rx/cmd/check-json.out" "$rx/cmd/check.out")
    [[ $v == yes ]] || problem "check at the boot after the capture: panic '$v' ($reason), expected YES"
    e2e_check_archived "$1" panic
    arch=$(archived_record "$1" panic)
    [[ -n $arch ]] || return 0
    python3 - "$rx/archived/files/$arch" <<'PY' || problem "the archived panic record $arch is not the panicked kernel's log"
import sys
lines = [l for l in open(sys.argv[1], "rb").read().decode("utf-8", "replace").split("\n") if l]
if not lines[0].startswith("Panic#1 Part1"):
    sys.exit("first line %r" % lines[0])
tail = "\n".join(lines[-80:])
if "Kernel panic - not syncing: sysrq triggered crash" not in tail:
    sys.exit("no panic message in the last 80 lines")
print("  record: %d lines, ends with the panic" % len(lines), file=sys.stderr)
PY
}

# e2e_finish SUMMARY: fail with every problem, or print PASS with SUMMARY.
e2e_finish() {
    if ((${#problems[@]})); then
        PSB_KEEP_WORK=1
        printf '%s: %d problem(s):\n' "$me" "${#problems[@]}" >&2
        printf '  - %s\n' "${problems[@]}" >&2
        fail "see above; guest outputs in $work/*/export, serial logs in $work/*/serial.log"
    fi
    echo "$me: PASS: $1"
}
