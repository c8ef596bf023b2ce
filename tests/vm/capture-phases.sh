# shellcheck shell=sh
# Phases for tests/vm/e2e-capture-vmcore.sh, sourced by guest-init.sh as
# /etc/psb/phases.sh (runs INSIDE the QEMU guest).

# phase_arm: `pstore-blk capture-load` builds the capture initramfs from this
# guest (its busybox, /lib/modules/KREL with the virtio modules, pstore-blk
# and its libraries) and loads /boot/vmlinuz as the crash kernel; then panic
# with sysrq-c. The capture kernel's /init (rendered by capture-load) runs
# `pstore-blk capture-panic --partuuid <its PARTUUID> --vmcore /proc/vmcore` and reboots.
phase_arm() {
    if /usr/sbin/pstore-blk capture-load "$PSB_BLKDEV" --kernel /boot/vmlinuz --append loglevel=7 \
        >/export/capture-load.out 2>&1; then
        cat /export/capture-load.out
    else
        cat /export/capture-load.out
        fail "pstore-blk capture-load failed"
        return
    fi
    [ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || { fail "kexec_crash_loaded is not 1"; return; }
    # check now says panics are saved, through this capture kernel.
    /usr/sbin/pstore-blk check >/export/check.out 2>&1
    grep -q "panic:   YES — capture kernel loaded" /export/check.out \
        || { cat /export/check.out; fail "check does not say panics are saved"; return; }
    # The export now: this kernel never reaches guest-init's finish.
    tar -cf /dev/vdb -C /export . || { fail "export tar failed"; return; }
    sync
    log "capture kernel loaded; crashing"
    echo "psb-guest: PANIC-AT $(date +%s)"
    echo c >/proc/sysrq-trigger
    sleep 10
    fail "still alive after sysrq-c"
}
