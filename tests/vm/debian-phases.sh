#!/bin/bash
# Phases of e2e-debian.sh and e2e-trixie.sh, run INSIDE the Debian test
# system by psb-job (tests/vm/debian-job.sh) as phase_$PSB_PHASE. $JOB holds
# the job files (pstore-blk, psb_oops.ko, job.conf, optional libs/), results go
# to $EXPORT.
# job.conf: PSB_PHASE; PSB_DISK, the system disk (/dev/vda, /dev/nvme0n1);
# PSB_SETUP_ARGS, setup's device and options (e.g. "/dev/vda --size 8M",
# "/dev/nvme0n1p9 --now"); PSB_RERUN_AT, the phase that re-runs the same
# setup and records what it rewrote (setup or read); PSB_INITRD_MD5 (of the
# initrd the host boots with: a changed /boot/initrd.img is exported so the
# next boot uses it, as a boot loader would); PSB_CAPTURE_SETUP=1: the read
# or verify phase ends with `setup ... --capture-panics` (capture_setup).
# shellcheck shell=bash

PSB_CMD_TIMEOUT=300

# run_cmd NAME CMD...: output and status to $EXPORT/cmd/NAME.{out,err,rc}, echoed on the console.
run_cmd() {
    local n=$1
    shift
    mkdir -p "$EXPORT/cmd"
    log "run $n: $*"
    RC=0
    timeout "$PSB_CMD_TIMEOUT" "$@" </dev/null >"$EXPORT/cmd/$n.out" 2>"$EXPORT/cmd/$n.err" || RC=$?
    echo "$RC" >"$EXPORT/cmd/$n.rc"
    sed "s/^/[$n out] /" "$EXPORT/cmd/$n.out"
    sed "s/^/[$n err] /" "$EXPORT/cmd/$n.err"
    log "$n exited $RC"
}

# sysstate NAME: systemd's and the kernel's view, after boot has finished.
sysstate() {
    local s=$EXPORT/state.$1 p
    {
        echo "== is-system-running: $(timeout 300 systemctl is-system-running --wait 2>&1)"
        echo "== failed units"
        systemctl --failed --no-legend --no-pager 2>&1
        echo "== backend: $(cat /sys/module/pstore/parameters/backend 2>/dev/null)"
        echo "== efi: $([[ -d /sys/firmware/efi ]] && echo yes || echo no)"
        echo "== modules"
        lsmod | grep -E '^(pstore|efi_pstore|psb_oops)' || true
        echo "== pstore_blk parameters"
        for p in /sys/module/pstore_blk/parameters/*; do
            [[ -r $p ]] && echo "${p##*/}=$(cat "$p")"
        done
        echo "== efi_pstore parameters"
        for p in /sys/module/efi_pstore/parameters/*; do
            [[ -r $p ]] && echo "${p##*/}=$(cat "$p")"
        done
        echo "== /sys/fs/pstore"
        ls -l --time-style=+%s /sys/fs/pstore 2>&1
        echo "== /var/lib/systemd/pstore"
        ls -lR --time-style=+%s /var/lib/systemd/pstore 2>&1
        echo "== units"
        systemctl status --no-pager -l systemd-modules-load.service systemd-pstore.service \
            modprobe@efi_pstore.service 2>&1 | grep -v '^ *$'
        echo "== unit order (monotonic start, systemd-analyze would need more)"
        for u in modprobe@efi_pstore.service systemd-modules-load.service systemd-pstore.service; do
            echo "$u $(systemctl show -P ExecMainStartTimestampMonotonic "$u") $(systemctl show -P ActiveState "$u") $(systemctl show -P Result "$u")"
        done
        echo "== kernel pstore lines"
        dmesg | grep -iE 'pstore|efi_pstore|efivars' || true
        echo "== sfdisk --dump $PSB_DISK"
        sfdisk --dump "$PSB_DISK" 2>&1
        echo "== /proc/partitions"
        cat /proc/partitions
        echo "== by-partuuid"
        ls -l /dev/disk/by-partuuid 2>&1
        echo "== mounts"
        findmnt -n -o TARGET,SOURCE,FSTYPE / /sys/fs/pstore 2>&1
        echo "== config files"
        find /etc/modprobe.d /etc/modules-load.d /etc/systemd/system/systemd-pstore.service.d \
            /etc/default/grub.d /etc/kernel /var/lib/pstore-blk -type f 2>/dev/null | sort
        echo "== end"
    } >"$s" 2>&1
}

# export_boot: a changed initrd (setup may run update-initramfs) goes back to the host.
export_boot() {
    local f
    f=/boot/initrd.img-$(uname -r)
    if [[ -f $f && $(md5sum <"$f" | cut -d' ' -f1) != "${PSB_INITRD_MD5:-}" ]]; then
        log "$f changed: exported for the next boot"
        mkdir -p "$EXPORT/boot"
        cp "$f" "$EXPORT/boot/initrd.img"
    fi
}

# export_written NAME MARKER DIR...: the regular files below DIR... newer
# than MARKER (systemd's timer stamps and random seed and ldconfig's cache
# aside), listed in $EXPORT/NAME.list and copied with their paths below
# $EXPORT/NAME.
export_written() {
    local name=$1 marker=$2 f
    shift 2
    find "$@" -xdev -newer "$marker" -type f 2>/dev/null \
        | grep -v '^/var/lib/systemd/\(timers\|random-seed\)\|^/etc/ld.so.cache' | sort >"$EXPORT/$name.list"
    while read -r f; do
        mkdir -p "$EXPORT/$name$(dirname "$f")"
        cp -p "$f" "$EXPORT/$name$f"
    done <"$EXPORT/$name.list"
}

# rerun_setup: a user re-runs setup with the same arguments: nothing may
# change. Files it wrote go to $EXPORT/rerun-written*.
rerun_setup() {
    touch /run/psb-marker
    sleep 1
    # shellcheck disable=SC2086
    run_cmd setup-rerun pstore-blk setup $PSB_SETUP_ARGS --yes
    export_written rerun-written /run/psb-marker /etc /boot /var/lib/pstore-blk
}

# install_libs: libraries shipped with the binary (job libs/) that this
# system lacks, e.g. Debian 12's libfmt.so.9 on Debian 13, in /usr/local/lib.
install_libs() {
    local l
    [[ -d $JOB/libs ]] || return 0
    for l in "$JOB"/libs/*; do
        [[ -e $l ]] || continue
        if ! ldconfig -p | grep -q "^[[:space:]]*${l##*/} "; then
            log "installing ${l##*/} (shipped with the binary) in /usr/local/lib"
            install -m 0644 "$l" /usr/local/lib/
        fi
    done
    ldconfig
}

# capture_setup: with PSB_CAPTURE_SETUP=1, the same setup again with
# --capture-panics. /etc/kernel/cmdline (the running command line) stands
# for the boot loader: setup adds crashkernel= there (kernel-install's file)
# and the host boots the next kernels with that line. Files written go to
# $EXPORT/capture-written*.
capture_setup() {
    [[ ${PSB_CAPTURE_SETUP:-0} == 1 ]] || return 0
    mkdir -p /etc/kernel
    tr ' ' '\n' </proc/cmdline | grep -vE '^(BOOT_IMAGE|initrd)=|^$' | paste -sd' ' >/etc/kernel/cmdline
    # shellcheck disable=SC2086
    run_cmd capture-setup-dry pstore-blk setup $PSB_SETUP_ARGS --capture-panics --dry-run --yes
    touch /run/psb-marker-capture
    sleep 1
    # shellcheck disable=SC2086
    run_cmd capture-setup pstore-blk setup $PSB_SETUP_ARGS --capture-panics --yes
    local rc=$RC
    export_written capture-written /run/psb-marker-capture /etc /boot /var/lib/pstore-blk
    run_cmd status-after-capture-setup pstore-blk status
    [[ $rc == 0 ]] || fail "pstore-blk setup $PSB_SETUP_ARGS --capture-panics --yes exited $rc: $(tail -n 3 "$EXPORT/cmd/capture-setup.err" | tr '\n' ' ')"
}

# Boot 1: install the binary and the oops module (they stay in the root
# file system), check, setup while / is mounted from the same disk.
phase_setup() {
    install -m 0755 "$JOB/pstore-blk" /usr/local/sbin/pstore-blk
    install_libs
    if ldd /usr/local/sbin/pstore-blk | grep -q 'not found'; then
        fail "pstore-blk needs libraries this Debian system lacks: $(ldd /usr/local/sbin/pstore-blk | grep 'not found' | tr '\n' ' ')"
        return
    fi
    install -D -m 0644 "$JOB/psb_oops.ko" "/lib/modules/$(uname -r)/updates/psb_oops.ko"
    depmod -a
    sysstate before
    run_cmd check-before pstore-blk check
    run_cmd check-before-json pstore-blk check --json
    run_cmd check-dev-before pstore-blk check "${PSB_SETUP_ARGS%% *}"
    # shellcheck disable=SC2086
    run_cmd setup-dry pstore-blk setup $PSB_SETUP_ARGS --dry-run --yes
    touch /run/psb-marker
    sleep 1
    # shellcheck disable=SC2086
    run_cmd setup pstore-blk setup $PSB_SETUP_ARGS --yes
    local setup_rc=$RC
    udevadm settle --timeout=60 || true
    export_written written /run/psb-marker /etc /boot /var/lib /usr/local/lib
    sysstate after-setup
    run_cmd check-after-setup pstore-blk check
    run_cmd status-after-setup pstore-blk status
    [[ ${PSB_RERUN_AT:-read} != setup ]] || rerun_setup
    export_boot
    [[ $setup_rc == 0 ]] || fail "pstore-blk setup $PSB_SETUP_ARGS --yes exited $setup_rc: $(tail -n 3 "$EXPORT/cmd/setup.err" | tr '\n' ' ')"
}

# Boot 2: pstore_blk must have attached at boot by itself; check; oops.
phase_oops() {
    sysstate boot
    run_cmd check pstore-blk check
    run_cmd check-json pstore-blk check --json
    run_cmd status pstore-blk status
    if ! dmesg | grep -q 'pstore_blk: attached'; then
        fail "pstore_blk did not attach at boot: $(dmesg | grep -iE 'pstore' | tail -n 3 | tr '\n' ' ')"
        return
    fi
    modprobe psb_oops || { fail "modprobe psb_oops failed"; return; }
    log "oops: null"
    # The writer of the trigger file is killed by the oops: use a child.
    sh -c 'echo null > /sys/kernel/psb_oops/trigger' || true
    # pstore/zone writes the dirty kmsg zone >= 500 ms later.
    sleep 3
    sync
    sysstate after-oops
    export_boot
}

# Boot 3: systemd-pstore should have archived the record and unlinked it.
phase_read() {
    sysstate boot
    local d=$EXPORT/archived f
    mkdir -p "$d/files"
    : >"$d/list"
    for f in /var/lib/systemd/pstore/*; do
        [[ -f $f ]] || continue
        cp -p "$f" "$d/files/"
        echo "${f##*/} $(stat -c %Y "$f") $(stat -c %s "$f") $(stat -c %a "$f")" >>"$d/list"
    done
    run_cmd status pstore-blk status
    run_cmd check pstore-blk check
    run_cmd check-json pstore-blk check --json
    [[ ${PSB_RERUN_AT:-read} != read ]] || rerun_setup
    capture_setup
    export_boot
}

# Boot 4: after the re-run, pstore_blk must still attach at boot.
phase_verify() {
    sysstate boot
    run_cmd check pstore-blk check
    dmesg | grep -q 'pstore_blk: attached' \
        || fail "after the setup re-run pstore_blk no longer attaches at boot: $(dmesg | grep -iE 'pstore' | tail -n 3 | tr '\n' ' ')"
    capture_setup
    export_boot
}

# The boot after setup --capture-panics, with its crashkernel= on the command
# line: pstore-blk-capture.service has loaded the capture kernel and check
# says panics are saved. The export is written now (debian-job.sh never gets
# to it), then a panic (sysrq-c): the capture kernel writes the record and
# reboots (QEMU -no-reboot exits).
phase_panic() {
    sysstate boot
    run_cmd check pstore-blk check
    run_cmd check-json pstore-blk check --json
    run_cmd status pstore-blk status
    systemctl status --no-pager -l pstore-blk-capture.service >"$EXPORT/capture-unit.txt" 2>&1
    echo "loaded=$(cat /sys/kernel/kexec_crash_loaded) size=$(cat /sys/kernel/kexec_crash_size)" >"$EXPORT/crash-slot"
    cat /proc/cmdline >"$EXPORT/cmdline"
    journalctl -b --no-pager -o short-monotonic >"$EXPORT/journal.txt" 2>&1
    dmesg >"$EXPORT/dmesg.txt" 2>&1
    tar -cf "$JOBDISK" -C "$EXPORT" . || { fail "export tar failed"; return; }
    sync
    if [[ $(cat /sys/kernel/kexec_crash_loaded) != 1 ]]; then
        fail "no capture kernel loaded: $(systemctl status --no-pager pstore-blk-capture.service 2>&1 | tail -n 3 | tr '\n' ' ')"
        return
    fi
    log "capture kernel loaded; crashing"
    # Through the kernel's log, not psb-job's stdout: journald forwards that
    # to the console later, and the panic may come first (it did in CI).
    echo "psb-job: PANIC-AT $(date +%s)" >/dev/kmsg
    echo c >/proc/sysrq-trigger
    sleep 10
    fail "still alive after sysrq-c"
}
