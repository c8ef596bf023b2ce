#!/bin/sh
# /init of the harness's busybox initramfs (runs INSIDE the QEMU guest).
#
# The host bakes the job into /etc/psb/job.conf (shell variables):
#   PSB_PHASE       writer | erase | read | info, or a phase_<name> function
#                   of /etc/psb/phases.sh (tests/vm/guest-phases.sh)
#   PSB_BLKDEV      block device pstore_blk uses (module: passed as blkdev=)
#   PSB_BLK_PARAMS  extra pstore_blk module parameters (module kernels)
#   PSB_EVENTS      writer events, space separated words:
#                     psb_oops=<null|gpf|bug|warn|msg>  (stock kernel, tests/vm/oops-module)
#                     lkdtm=<EXCEPTION|BUG|WARNING|...> (custom kernel, LKDTM DIRECT)
#                     pmsg=<N>      N lines written to /dev/pmsg0 (one write() each)
#                     kmsg=<N>      N lines written to /dev/kmsg (console output)
#                     ftrace=on|off pstore function tracing via debugfs
#                     sleep=<S>
#   PSB_ERASE       erase phase: names of /sys/fs/pstore files to rm
# Results go to /export, written as a tar to /dev/vdb at the end.
# Markers on the serial console: PSB-DONE (job finished), PSB-FAIL: <why>.
# A job variable PSB_KERNEL_MODULES=0 means everything is built in.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev /tmp /export
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp

# shellcheck source=/dev/null
. /etc/psb/job.conf

fail() { echo "PSB-FAIL: $*"; }
log() { echo "psb-guest: $*"; }

wait_for_block() {
    i=0
    while [ ! -b "$1" ]; do
        i=$((i + 1))
        if [ $i -gt 100 ]; then
            fail "block device $1 did not appear"
            return 1
        fi
        sleep 0.1
    done
}

load_modules() {
    for ko in /lib/psb/*.ko; do
        [ -e "$ko" ] || continue
        name=${ko##*/}
        name=${name#[0-9][0-9]-}
        case $name in
        pstore_blk.ko)
            wait_for_block "$PSB_BLKDEV" || return 1
            # shellcheck disable=SC2086
            insmod "$ko" blkdev="$PSB_BLKDEV" $PSB_BLK_PARAMS || { fail "insmod pstore_blk failed"; return 1; }
            ;;
        *)
            insmod "$ko" || { fail "insmod $name failed"; return 1; }
            ;;
        esac
    done
}

mount_pstore() {
    mkdir -p /sys/fs/pstore
    mount -t pstore pstore /sys/fs/pstore || fail "mount pstore failed"
}

mount_debugfs() {
    [ -d /sys/kernel/debug/pstore ] || [ -d /sys/kernel/debug/provoke-crash ] \
        || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null || true
}

# export_pstore DIR [NAME...]: copy pstore files with cat (tar would truncate
# ftrace) and list "<name> <mtime> <size of the copy>"; stat.raw keeps the
# kernel's st_size.
export_pstore() {
    d=/export/$1
    shift
    mkdir -p "$d/files"
    : >"$d/list"
    : >"$d/stat.raw"
    if [ $# -eq 0 ]; then
        # pstore file names have no spaces.
        # shellcheck disable=SC2046
        set -- $(ls /sys/fs/pstore)
    fi
    for n in "$@"; do
        f=/sys/fs/pstore/$n
        if [ ! -f "$f" ]; then
            fail "no pstore file $n to export"
            continue
        fi
        cat "$f" >"$d/files/$n"
        chmod 0600 "$d/files/$n"
        echo "$n $(stat -c %Y "$f") $(wc -c <"$d/files/$n" | tr -d ' ')" >>"$d/list"
        stat -c '%n %Y %s %a' "$f" >>"$d/stat.raw"
    done
}

export_info() {
    d=/export/info
    mkdir -p "$d"
    uname -r >"$d/uname-r"
    cat /sys/devices/system/cpu/possible >"$d/cpu-possible"
    cat /proc/cmdline >"$d/cmdline"
    for p in /sys/module/pstore_blk/parameters/* /sys/module/pstore/parameters/*; do
        [ -r "$p" ] || continue
        echo "${p#/sys/module/} $(cat "$p" 2>/dev/null)" >>"$d/params"
    done
    date +%s >"$d/date"
}

run_events() {
    for ev in $PSB_EVENTS; do
        log "event $ev"
        case $ev in
        psb_oops=*)
            # The writer of the trigger file is killed by the oops: use a child.
            sh -c "echo ${ev#*=} > /sys/kernel/psb_oops/trigger" || true
            sleep 1
            ;;
        lkdtm=*)
            mount_debugfs
            sh -c "echo ${ev#*=} > /sys/kernel/debug/provoke-crash/DIRECT" || true
            sleep 1
            ;;
        pmsg=*)
            i=0
            while [ $i -lt "${ev#*=}" ]; do
                echo "psb pmsg line $i: userspace message written to /dev/pmsg0" >/dev/pmsg0 || fail "pmsg write"
                i=$((i + 1))
            done
            ;;
        kmsg=*)
            i=0
            while [ $i -lt "${ev#*=}" ]; do
                echo "psb console line $i: the quick brown fox jumps over the lazy dog" >/dev/kmsg
                i=$((i + 1))
            done
            ;;
        ftrace=on)
            mount_debugfs
            echo 1 >/sys/kernel/debug/pstore/record_ftrace || fail "record_ftrace on"
            ;;
        ftrace=off)
            echo 0 >/sys/kernel/debug/pstore/record_ftrace || fail "record_ftrace off"
            ;;
        sleep=*)
            sleep "${ev#*=}"
            ;;
        *)
            fail "unknown event $ev"
            ;;
        esac
    done
}

finish() {
    dmesg >/export/dmesg.txt
    if [ -b /dev/vdb ]; then
        tar -cf /dev/vdb -C /export . || fail "export tar failed"
    else
        fail "no export disk /dev/vdb"
    fi
    sync
    echo "PSB-DONE"
    poweroff -f
}

log "phase $PSB_PHASE, kernel $(uname -r)"
if [ "${PSB_KERNEL_MODULES:-1}" = 1 ]; then
    load_modules
fi
export_info
mount_pstore

case $PSB_PHASE in
writer)
    export_pstore before
    run_events
    # The pstore/zone worker flushes dirty zones after ~500 ms.
    sleep 2
    export_pstore after-writer
    ;;
erase)
    # shellcheck disable=SC2086
    export_pstore erased $PSB_ERASE
    export_pstore before-erase
    for n in $PSB_ERASE; do
        rm "/sys/fs/pstore/$n" || fail "rm $n"
    done
    sleep 2
    ls -l /sys/fs/pstore >/export/after-erase.ls
    ;;
read)
    export_pstore read
    ;;
info)
    ;;
*)
    # Other phases come from a phase script the host put in the initramfs
    # (e2e-setup.sh: tests/vm/guest-phases.sh) as a function phase_<name>.
    if [ -f /etc/psb/phases.sh ]; then
        # shellcheck source=/dev/null
        . /etc/psb/phases.sh
    fi
    if command -v "phase_$PSB_PHASE" >/dev/null 2>&1; then
        "phase_$PSB_PHASE"
    else
        fail "unknown phase $PSB_PHASE"
    fi
    ;;
esac
finish
