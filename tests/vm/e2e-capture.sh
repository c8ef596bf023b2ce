#!/usr/bin/env bash
# End-to-end test (ctest label "vm"): the stock kernel accepts panic records
# that `pstore-blk capture-panic` wrote.
#
# Usage: tests/vm/e2e-capture.sh PSTORE_BLK_BINARY
#
# 1. Start from a disk the kernel itself wrote: the fixture
#    fixtures/kernel/6.1.0-56-amd64-oops-gpt (GPT, partition 2 "pstore",
#    64 KiB kmsg zones, two oops records in zones 0 and 1).
# 2. On the host, `capture-panic` writes a compressed panic record (it must
#    land in zone 2 with panic counter 1) and then an uncompressed one (zone
#    3, counter 2), each from a ~150 KB log, so only its newest lines fit.
# 3. Boot Debian's stock kernel with pstore_blk on that partition, mount
#    pstore and export /sys/fs/pstore.
# 4. The kernel must list all four records; `extract` on the host must be
#    byte-identical to every file (mode, dmesg mtime = the --time given), and
#    the panic files must be the "Panic#1 Part1" line plus the newest part of
#    the log ("Panic: Total 2 times" first for the uncompressed one).
#
# The same runs on Debian 13's 6.12 when the trixie tests have put it in the
# cache (it says so when they have not).
#
# Exit 0: pass; non-zero with a message: failure (never a silent skip).
# Env: PSB_VM_CACHE, PSB_KERNEL_ABI, PSB_BOOT_TIMEOUT, PSB_KEEP_WORK=1.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fail() {
    PSB_KEEP_WORK=1
    printf 'e2e-capture: FAIL: %s\n' "$*" >&2
    exit 1
}

(($# == 1)) || { echo "usage: $0 PSTORE_BLK_BINARY" >&2; exit 2; }
bin=$1
[[ -x $bin ]] || fail "pstore-blk binary '$bin' is missing or not executable"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
fixture=$PSB_REPO_DIR/fixtures/kernel/6.1.0-56-amd64-oops-gpt

psb_need_cmds "$PSB_QEMU" timeout cpio gzip tar xz modprobe depmod cmp stat python3

psb_make_workdir "e2e-capture"

psb_scenario_defaults
PSB_SCENARIO=e2e-capture
PSB_KERNEL=stock
PSB_BLKDEV=/dev/vda2
PSB_BLK_PARAMS="kmsg_size=64 best_effort=y"

# A log longer than any zone holds: the newest lines must be kept.
log=$work/panic.log
python3 - "$log" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(1800):
        f.write("<6>[%5d.%06d] e2e-capture line %d: the quick brown fox %x\n"
                % (100 + i // 10, (i * 7919) % 1000000, i, i * 2654435761 % 2**32))
    f.write("<0>[  300.000001] Kernel panic - not syncing: sysrq triggered crash\n")
    f.write("<4>[  300.000002] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---\n")
EOF

# use_cached_stock ABI : a stock kernel another script unpacked in the cache
# (Debian 13's 6.12 comes from the trixie tests), set up like psb_prepare_kernel.
use_cached_stock() {
    local m
    psb_stock_paths "$1"
    PSB_KERNEL_IMAGE=$PSB_STOCK_KERNEL
    PSB_KOS=()
    while read -r m; do
        PSB_KOS+=("$PSB_STOCK_MODDIR/$m")
    done < <(psb_module_chain "$PSB_STOCK_MODDIR" "$PSB_STOCK_KREL" virtio_pci virtio_blk pstore_blk)
}

capture() { # capture DISK LOGFILE ARGS... : run capture-panic, keep its message
    local disk=$1 msgs=$2
    shift 2
    "$bin" capture-panic "$disk" --log "$log" "$@" 2>>"$msgs" \
        || { cat "$msgs" >&2; fail "capture-panic $* failed"; }
}

# check_tails EXPORT_DIR : the kernel's panic files are the header lines plus
# the newest whole lines of the log.
check_tails() {
    python3 - "$log" "$1/files/dmesg-pstore_blk-2" "$1/files/dmesg-pstore_blk-3" <<'EOF'
import sys
log = open(sys.argv[1], "rb").read()
for path, head in ((sys.argv[2], b"Panic#1 Part1\n"),
                   (sys.argv[3], b"Panic: Total 2 times\nPanic#1 Part1\n")):
    got = open(path, "rb").read()
    if not got.startswith(head):
        sys.exit("%s does not start with %r" % (path, head))
    tail = got[len(head):]
    whole = len(tail) == len(log) or log[-len(tail) - 1:-len(tail)] == b"\n"
    if not log.endswith(tail) or len(tail) < 60000 or not whole:
        sys.exit("%s: %d bytes are not the newest whole lines of the log" % (path, len(tail)))
    print("e2e-capture: %s: %d of %d log bytes" % (path.rsplit("/", 1)[1], len(tail), len(log)))
EOF
}

# run_on_kernel : steps 1-4 with the kernel chosen before; work in $work/<release>.
run_on_kernel() {
    local kw=$work/$PSB_STOCK_KREL disk exp n
    mkdir -p "$kw"
    disk=$kw/disk.img
    xz -dc "$fixture/image.bin.xz" >"$disk"
    capture "$disk" "$kw/capture.log" --time 1795800000.5
    capture "$disk" "$kw/capture.log" --time 1795800100.25 --no-compress
    cat "$kw/capture.log" >&2
    grep -q 'wrote Panic record 1 .*in dmesg zone 2 ' "$kw/capture.log" || fail "first record not in zone 2 with counter 1"
    grep -q 'wrote Panic record 2 .*in dmesg zone 3 ' "$kw/capture.log" || fail "second record not in zone 3 with counter 2"

    cp --sparse=always "$disk" "$kw/snapshot.img"
    psb_boot_phase read "$disk" "$kw"
    exp=$kw/read/export/read
    grep -q 'pstore: Registered pstore_blk as persistent store backend' "$kw/read/serial.log" \
        || fail "pstore_blk did not register in the guest (log: $kw/read/serial.log)"
    for n in 0 1 2 3; do
        grep -q "^dmesg-pstore_blk-$n " "$exp/list" \
            || fail "the kernel does not list dmesg-pstore_blk-$n (list: $(tr '\n' ' ' <"$exp/list"))"
    done
    psb_host_extract "$bin" "$kw/extracted" "$kw/snapshot.img"
    psb_compare_export "$exp" "$kw/extracted"
    ((PSB_MISMATCHES == 0)) || fail "$PSB_MISMATCHES mismatch(es) against the kernel's /sys/fs/pstore"
    check_tails "$exp" || fail "panic files do not hold the log's tail"
    echo "e2e-capture: PASS on $(cat "$kw/read/export/info/uname-r"): $PSB_COMPARED file(s) identical to the kernel's /sys/fs/pstore, both panic records accepted"
}

psb_prepare_kernel
run_on_kernel
trixie=$(find "$PSB_CACHE/stock" -mindepth 1 -maxdepth 1 -name '6.12.*' -printf '%f\n' 2>/dev/null | sort -V | tail -n1)
if [[ -n $trixie && -f $PSB_CACHE/stock/$trixie/root/lib/modules/$trixie-amd64/modules.dep ]]; then
    use_cached_stock "$trixie"
    run_on_kernel
else
    echo "e2e-capture: Debian 13's 6.12 kernel is not in $PSB_CACHE/stock (the trixie tests fetch it): ran on 6.1 only"
fi
