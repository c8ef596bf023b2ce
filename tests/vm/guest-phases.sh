#!/bin/sh
# Phases of the provisioning end-to-end tests (e2e-setup.sh, e2e-efi.sh).
# Runs INSIDE the busybox guest: guest-init.sh sources this file as
# /etc/psb/phases.sh and calls phase_$PSB_PHASE after it has loaded
# /lib/psb/*.ko (virtio, psb_oops; NOT pstore_blk), mounted /sys/fs/pstore
# and exported info/. guest-init.sh then writes /export to /dev/vdb and powers
# off. The initramfs overlay (lib.sh psb_overlay_*) brings the project binary
# (/usr/sbin/pstore-blk), kmod, udev, util-linux tools and a Debian-like
# /lib/modules/<krel> tree; /etc/psb/phase.conf sets:
#   PSB_SETUP_DEV    device given to `pstore-blk setup` (/dev/vda)
#   PSB_SETUP_ARGS   extra setup arguments (--size 8M)
#   PSB_OOPS         psb_oops trigger (null, bug, ...) for the writer phase
#   PSB_EFI          1: load efi_pstore first, as systemd's modprobe@efi_pstore does
#   PSB_PANIC_AFTER  1: after the writer phase's export, panic (sysrq-c), so the
#                    read boot shows whether the panic was saved
# What each command printed goes to /export/cmd/<name>.{out,err,rc} and to the
# serial console. Markers: PSB-FAIL: for what stops the test; the host judges
# the rest from the export.

PSB_SETUP_DEV=/dev/vda
PSB_SETUP_ARGS=""
PSB_OOPS=null
PSB_EFI=0
PSB_PANIC_AFTER=0
PSB_CMD_TIMEOUT=180
# shellcheck source=/dev/null
[ -f /etc/psb/phase.conf ] && . /etc/psb/phase.conf

# Debian's order: /usr/sbin before busybox's applets in /bin. Debian's
# busybox-static runs its own applets before any PATH lookup (also through
# its `timeout`), so kmod's tools are called by absolute path below; the
# project binary finds them through PATH.
export PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin

phase_env() {
    mkdir -p /run /export/cmd /export/written
    mountpoint -q /run || mount -t tmpfs -o mode=0755 tmpfs /run
    mkdir -p /run/udev /var/log
}

# start_udev: systemd-udevd as in Debian's initramfs (udev.service), with
# the persistent-storage rules, then a coldplug.
start_udev() {
    if [ ! -x /lib/systemd/systemd-udevd ]; then
        fail "no systemd-udevd in the initramfs"
        return 1
    fi
    /lib/systemd/systemd-udevd --daemon --resolve-names=never || { fail "systemd-udevd did not start"; return 1; }
    udevadm trigger --type=subsystems --action=add
    udevadm trigger --type=devices --action=add
    udevadm settle --timeout=60 || log "udevadm settle timed out"
    ls -l /dev/disk/by-partuuid/ >/export/by-partuuid.boot.ls 2>&1 || true
}

# run_cmd NAME CMD...: runs CMD (stdin /dev/null, bounded), keeps its
# output and exit status in /export/cmd/NAME.*, echoes them on the console.
# Sets RC.
run_cmd() {
    n=$1
    shift
    log "run $n: $*"
    RC=0
    timeout "$PSB_CMD_TIMEOUT" "$@" </dev/null >"/export/cmd/$n.out" 2>"/export/cmd/$n.err" || RC=$?
    echo "$RC" >"/export/cmd/$n.rc"
    sed "s/^/[$n out] /" "/export/cmd/$n.out"
    sed "s/^/[$n err] /" "/export/cmd/$n.err"
    log "$n exited $RC"
    return 0
}

# snapshot_fs NAME: list every regular file of the root file system (for
# "what did setup write").
snapshot_fs() {
    find / -xdev -type f ! -path '/export/*' ! -path '/tmp/*' 2>/dev/null | sort >"/tmp/fs.$1"
    find / -xdev -type f ! -path '/export/*' ! -path '/tmp/*' -exec md5sum {} + 2>/dev/null | sort -k2 >"/tmp/sum.$1"
}

# export_written FROM TO: files added or changed between two snapshots, copied
# to /export/written/TO/<path>, listed in /export/written/TO.list.
export_written() {
    d=/export/written/$2
    mkdir -p "$d"
    diff "/tmp/sum.$1" "/tmp/sum.$2" | sed -n 's/^+[0-9a-f]*  //p' | grep -v '^/tmp/sum\.\|^/tmp/fs\.' >"$d.list" || true
    diff "/tmp/fs.$1" "/tmp/fs.$2" | sed -n 's/^-\(\/.*\)/\1/p' >"$d.removed" || true
    while read -r f; do
        [ -f "$f" ] || continue
        mkdir -p "$d$(dirname "$f")"
        cp -p "$f" "$d$f"
    done <"$d.list"
}

# state NAME: the system as a human debugging this would look at it.
state() {
    s=/export/state.$1
    {
        echo "== backend: $(cat /sys/module/pstore/parameters/backend 2>/dev/null)"
        echo "== lsmod"
        /usr/sbin/lsmod 2>&1
        echo "== pstore_blk parameters"
        for p in /sys/module/pstore_blk/parameters/*; do
            [ -r "$p" ] && echo "${p##*/}=$(cat "$p")"
        done
        echo "== efi_pstore parameters"
        for p in /sys/module/efi_pstore/parameters/*; do
            [ -r "$p" ] && echo "${p##*/}=$(cat "$p")"
        done
        echo "== /sys/fs/pstore"
        ls -l /sys/fs/pstore 2>&1
        echo "== by-partuuid"
        ls -l /dev/disk/by-partuuid 2>&1
        echo "== sfdisk --dump /dev/vda"
        sfdisk --dump /dev/vda 2>&1
        echo "== /proc/partitions"
        cat /proc/partitions
        echo "== config files"
        find /etc/modprobe.d /etc/modules-load.d /etc/systemd /etc/default /etc/kernel /var/lib/pstore-blk \
            -type f 2>/dev/null | sort
        echo "== end"
    } >"$s" 2>&1
}

# load_efi_pstore: what systemd-pstore.service's Wants=modprobe@efi_pstore
# does on Debian 12 (modprobe -abq honours blacklists and options).
load_efi_pstore() {
    run_cmd modprobe-efi_pstore"$1" /usr/sbin/modprobe -abq efi_pstore
    log "backend after efi_pstore: $(cat /sys/module/pstore/parameters/backend 2>/dev/null)"
}

# modules_load NAME: what systemd-modules-load does with /etc/modules-load.d.
modules_load() {
    for f in /etc/modules-load.d/*.conf; do
        [ -f "$f" ] || continue
        grep -v '^[#;]' "$f" | while read -r m; do
            [ -n "$m" ] || continue
            run_cmd "modules-load-$1-$m" /usr/sbin/modprobe -b "$m"
        done
    done
}

trigger_oops() {
    log "oops: $PSB_OOPS"
    # The writer of the trigger file is killed by the oops: use a child.
    sh -c "echo $PSB_OOPS > /sys/kernel/psb_oops/trigger" || true
    # pstore/zone writes the dirty kmsg zone >= 500 ms later.
    sleep 2
}

# Writer boot: check (before), setup --now, check (after), oops.
phase_setup_writer() {
    phase_env
    start_udev || return
    [ "$PSB_EFI" = 1 ] && load_efi_pstore ""
    state before
    run_cmd check-before pstore-blk check
    run_cmd check-before-json pstore-blk check --json
    run_cmd check-dev-before pstore-blk check "$PSB_SETUP_DEV"
    # shellcheck disable=SC2086
    run_cmd setup-dry pstore-blk setup "$PSB_SETUP_DEV" $PSB_SETUP_ARGS --dry-run --yes
    replace=""
    if [ "$PSB_EFI" = 1 ]; then
        # efi_pstore saves panics now, pstore_blk on a disk cannot: setup must
        # refuse without --replace-backend (--yes is not enough), changing nothing.
        snapshot_fs before-refusal
        # shellcheck disable=SC2086
        run_cmd setup-refused pstore-blk setup "$PSB_SETUP_DEV" $PSB_SETUP_ARGS --now --yes
        snapshot_fs after-refusal
        export_written before-refusal after-refusal
        state after-refusal
        replace=--replace-backend
    fi
    snapshot_fs before-setup
    dmesg >/tmp/dmesg.before-setup
    # shellcheck disable=SC2086
    run_cmd setup pstore-blk setup "$PSB_SETUP_DEV" $PSB_SETUP_ARGS --now --yes $replace
    setup_rc=$RC
    snapshot_fs after-setup
    export_written before-setup after-setup
    dmesg >/tmp/dmesg.after-setup
    diff /tmp/dmesg.before-setup /tmp/dmesg.after-setup | sed -n '/^+++ /d; s/^+//p' >/export/dmesg.setup
    udevadm settle --timeout=30 || true
    state after-setup
    if [ "$setup_rc" != 0 ]; then
        fail "pstore-blk setup $PSB_SETUP_DEV $PSB_SETUP_ARGS --now --yes exited $setup_rc: $(tail -n 3 /export/cmd/setup.err | tr '\n' ' ')"
        return
    fi
    if ! dmesg | grep -q 'pstore_blk: attached'; then
        fail "setup exited 0 but the kernel logged no 'pstore_blk: attached'"
        return
    fi
    run_cmd check-after pstore-blk check
    run_cmd check-after-json pstore-blk check --json
    run_cmd status-after pstore-blk status
    run_cmd status-after-json pstore-blk status --json
    trigger_oops
    state after-oops
    export_pstore after-oops
    [ "$PSB_PANIC_AFTER" = 1 ] && export_then_panic
}

# export_then_panic: what guest-init.sh's finish does, then a panic instead
# of the power-off (panic=-1 and QEMU's -no-reboot end the run). check says
# whether the backend saves panics; the read boot shows what was saved.
export_then_panic() {
    dmesg >/export/dmesg.txt
    tar -cf /dev/vdb -C /export . || fail "export tar failed"
    sync
    echo "PSB-DONE"
    log "panic (sysrq-c)"
    echo c >/proc/sysrq-trigger
}

# Read boot: /etc carries what setup wrote (the host put it back into the
# initramfs); load pstore_blk the way a booting Debian would (efi_pstore
# first with PSB_EFI=1), read the records, then re-run setup twice
# (pstore_blk attached, then detached) and read the records again: a re-run
# must change nothing and must not wipe them.
phase_setup_read() {
    phase_env
    start_udev || return
    [ "$PSB_EFI" = 1 ] && load_efi_pstore ""
    state boot
    run_cmd check-boot pstore-blk check
    modules_load boot
    state loaded
    if ! dmesg | grep -q 'pstore_blk: attached'; then
        fail "pstore_blk did not attach from the configuration setup wrote (/etc/modules-load.d, /etc/modprobe.d)"
        return
    fi
    export_pstore read
    run_cmd check-read pstore-blk check
    run_cmd check-read-json pstore-blk check --json
    run_cmd status-read pstore-blk status

    snapshot_fs before-rerun
    # shellcheck disable=SC2086
    run_cmd setup-rerun-attached pstore-blk setup "$PSB_SETUP_DEV" $PSB_SETUP_ARGS --now --yes
    snapshot_fs after-rerun
    export_written before-rerun after-rerun
    state rerun-attached
    export_pstore rerun-attached

    run_cmd rmmod-pstore_blk /usr/sbin/rmmod pstore_blk
    run_cmd rmmod-pstore_zone /usr/sbin/rmmod pstore_zone
    state detached
    snapshot_fs before-rerun2
    # shellcheck disable=SC2086
    run_cmd setup-rerun-detached pstore-blk setup "$PSB_SETUP_DEV" $PSB_SETUP_ARGS --now --yes
    snapshot_fs after-rerun2
    export_written before-rerun2 after-rerun2
    state rerun-detached
    export_pstore rerun-detached
}

# Third boot: /etc as the setup re-runs left it. pstore_blk must attach again
# the way a booting system loads it (efi_pstore first with PSB_EFI=1); then
# `undo --remove-partition` must take everything back.
phase_setup_verify() {
    phase_env
    start_udev || return
    [ "$PSB_EFI" = 1 ] && load_efi_pstore ""
    modules_load verify
    state verify
    if ! dmesg | grep -q 'pstore_blk: attached'; then
        fail "after the setup re-runs pstore_blk no longer attaches at boot: $(dmesg | grep -i 'pstore' | tail -n 3 | tr '\n' ' ')"
    fi
    run_cmd check-verify pstore-blk check
    run_cmd undo-dry pstore-blk undo --remove-partition --dry-run
    snapshot_fs before-undo
    run_cmd undo pstore-blk undo --remove-partition
    snapshot_fs after-undo
    export_written before-undo after-undo
    udevadm settle --timeout=30 || true
    state after-undo
    run_cmd check-after-undo pstore-blk check
}
