# shellcheck shell=sh
# Phases for tests/vm/e2e-capture-vmcore.sh, sourced by guest-init.sh as
# /etc/psb/phases.sh (runs INSIDE the QEMU guest).

# phase_arm: load the capture kernel, then panic with sysrq-c. The capture
# kernel boots from /boot/capture.cpio.gz and runs phase_capture.
phase_arm() {
    cmdline="console=ttyS0 rdinit=/init irqpoll nr_cpus=1 reset_devices panic=-1 loglevel=7"
    /usr/bin/kexec-crash-load /boot/vmlinuz /boot/capture.cpio.gz "$cmdline" \
        || { fail "kexec_file_load of the capture kernel failed"; return; }
    [ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] || { fail "kexec_crash_loaded is not 1"; return; }
    log "capture kernel loaded; crashing"
    echo "psb-guest: PANIC-AT $(date +%s)"
    echo c >/proc/sysrq-trigger
    sleep 10
    fail "still alive after sysrq-c"
}

# phase_capture: in the capture kernel, store the crashed kernel's log from
# /proc/vmcore as a panic record on the pstore partition.
phase_capture() {
    [ -e /proc/vmcore ] || { fail "no /proc/vmcore: not booted as a capture kernel"; return; }
    wait_for_block "$PSB_BLKDEV" || return
    ls -l /proc/vmcore >/export/vmcore.ls
    if /usr/sbin/pstore-blk capture-panic "$PSB_BLKDEV" --vmcore /proc/vmcore >/export/capture.out 2>&1; then
        cat /export/capture.out
        echo "psb-guest: CAPTURED-AT $(date +%s)"
    else
        cat /export/capture.out
        fail "capture-panic failed"
    fi
}
