#!/bin/bash
# /usr/local/sbin/psb-job in the Debian test system (debian-rootfs.sh), run by
# psb-job.service after multi-user.target at every boot.
#
# The host hands over a tar on the job disk (a virtio disk with serial
# "psbjob": /dev/disk/by-id/virtio-psbjob, whatever its kernel name beside a
# virtio or NVMe system disk): job.conf (PSB_PHASE=...), phases.sh
# (tests/vm/debian-phases.sh, defining phase_<name>) and any files the phase
# needs. The phase writes its results to $EXPORT; then this script writes
# $EXPORT as a tar to the job disk, prints PSB-DONE and powers off.
# Serial console markers: "psb-job:" lines, PSB-FAIL: <why>, PSB-DONE.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export JOB=/run/psb-job EXPORT=/run/psb-export
JOBDISK=/dev/disk/by-id/virtio-psbjob
log() { echo "psb-job: $*"; }
fail() { echo "PSB-FAIL: $*"; }

log "started ($(uname -r))"
mkdir -p "$JOB" "$EXPORT"
if ! tar -xf "$JOBDISK" -C "$JOB"; then
    fail "no job tar on $JOBDISK"
else
    # shellcheck source=/dev/null
    . "$JOB/job.conf"
    # shellcheck source=/dev/null
    . "$JOB/phases.sh"
    log "phase ${PSB_PHASE:-?}"
    if declare -F "phase_${PSB_PHASE:-}" >/dev/null; then
        "phase_$PSB_PHASE"
    else
        fail "unknown phase ${PSB_PHASE:-}"
    fi
fi
{
    systemctl is-system-running 2>&1
    systemctl --failed --no-legend --no-pager 2>&1
} >"$EXPORT/systemd-state.end"
journalctl -b --no-pager -o short-monotonic >"$EXPORT/journal.txt" 2>&1
dmesg >"$EXPORT/dmesg.txt" 2>&1
tar -cf "$JOBDISK" -C "$EXPORT" . || fail "export tar failed"
sync
echo "PSB-DONE"
systemctl poweroff --no-block
