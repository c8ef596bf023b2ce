#!/usr/bin/env bash
# Regenerate real-kernel fixtures: fixtures/kernel/<kernel-release>-<scenario>/
#
# Usage: tests/vm/make-fixtures.sh [scenario...]
#   default: every tests/vm/scenarios/*.scenario (custom-kernel ones build
#   the custom kernel first if it is not cached: several minutes).
# Env: PSB_VM_CACHE (cache dir), PSB_KERNEL_ABI (stock ABI, e.g. 6.1.0-56),
#      PSB_FIXTURES_DIR (output root, default fixtures/kernel in the repo),
#      PSB_BOOT_TIMEOUT (seconds per boot).
#
# Per scenario: writer boot (load pstore_blk, mount pstore, events, sleep 2,
# poweroff -f) -> optional erase boot (export the files it is about to rm,
# rm them) -> snapshot of the disk image (this is image.bin.xz) -> read boot
# on the live image (export every /sys/fs/pstore file with cat + mtimes).
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

psb_need_cmds "$PSB_QEMU" timeout sfdisk mkfs.ext4 cpio gzip xz tar modprobe depmod awk

out_root=${PSB_FIXTURES_DIR:-$PSB_REPO_DIR/fixtures/kernel}

# params value from the guest's info/params ("pstore_blk/parameters/NAME VALUE")
guest_param() {
    awk -v k="$2/parameters/$3" '$1 == k { print $2 }' "$1"
}

# nr_cpu_ids from a cpu "possible" mask like 0-1 or 0,2-3
count_cpus() {
    local mask=$1 n=0 part a b
    IFS=, read -ra parts <<<"$mask"
    for part in "${parts[@]}"; do
        if [[ $part == *-* ]]; then
            a=${part%-*} b=${part#*-}
            n=$((n + b - a + 1))
        else
            n=$((n + 1))
        fi
    done
    echo "$n"
}

# corrupt_zones DISK ZONE... : damages the deflate stream of each compressed
# kmsg zone (x86_64 layout only: 12-byte zone header, 40-byte psz_kmsg_header, then
# the compressed text up to datalen) with 16 bytes of 0xff, from the middle of
# the stream on, at the first offset where raw inflate (any window) fails, so
# the kernel cannot decompress it. Prints what it did.
corrupt_zones() {
    local disk=$1 part_off=0 kmsg
    shift
    if [[ $PSB_LABEL != none ]]; then
        local start size
        read -r start size < <(psb_part_geometry "$disk" "$PSB_PSTORE_PART")
        part_off=$((start * 512))
    fi
    kmsg=$(sed -n 's/.*kmsg_size=\([0-9]*\).*/\1/p' <<<"$PSB_BLK_PARAMS")
    python3 - "$disk" "$part_off" "$((${kmsg:-64} * 1024))" "$@" <<'PY'
import struct, sys, zlib
disk, part_off, zone_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(disk, "r+b") as f:
    for z in map(int, sys.argv[4:]):
        off = part_off + z * zone_size
        f.seek(off)
        sig, datalen, start = struct.unpack("<IiI", f.read(12))
        hdr = f.read(40)
        if datalen <= 40 or hdr[24] != 1:
            sys.exit("zone %d at %d: no compressed record (datalen %d)" % (z, off, datalen))
        payload = f.read(datalen - 40)
        for at in range(len(payload) // 2, len(payload) - 16):
            bad = payload[:at] + b"\xff" * 16 + payload[at + 16:]
            try:
                zlib.decompressobj(-15).decompress(bad)
            except zlib.error as e:
                f.seek(off + 52 + at)
                f.write(b"\xff" * 16)
                print("zone %d: 16 bytes of 0xff at byte %d of its %d-byte deflate stream (%s)"
                      % (z, at, len(payload), e))
                break
        else:
            sys.exit("zone %d: no 16-byte damage makes inflate fail" % z)
PY
}

make_one() {
    psb_load_scenario "$1"
    psb_prepare_kernel
    local work=$PSB_CACHE/work/$PSB_SCENARIO
    rm -rf "$work"
    mkdir -p "$work"
    local disk=$work/disk.img
    psb_make_disk "$disk"
    local t_start
    t_start=$(date +%s)

    psb_boot_phase writer "$disk" "$work"
    local wlog=$work/writer/serial.log
    grep -q 'pstore: Registered pstore_blk as persistent store backend' "$wlog" \
        || psb_die "$PSB_SCENARIO: pstore_blk did not register in the writer boot ($wlog)"
    local writer_cmdline=$PSB_LAST_CMDLINE

    if [[ -n $PSB_ERASE ]]; then
        psb_boot_phase erase "$disk" "$work" "$PSB_ERASE"
    fi

    local corrupt_note=""
    if [[ -n $PSB_CORRUPT_ZONES ]]; then
        # shellcheck disable=SC2086 # a list of zone numbers
        corrupt_note=$(corrupt_zones "$disk" $PSB_CORRUPT_ZONES) || psb_die "$PSB_SCENARIO: $corrupt_note"
        psb_log "$corrupt_note"
    fi
    cp --sparse=always "$disk" "$work/snapshot.img"
    psb_boot_phase read "$disk" "$work"
    local rexp=$work/read/export
    [[ -s $rexp/read/list ]] || psb_die "$PSB_SCENARIO: the read boot found no pstore files"

    local krel
    krel=$(cat "$rexp/info/uname-r")
    local case_dir=$out_root/$krel-$PSB_SCENARIO
    psb_log "writing $case_dir"
    # Remove only what this script writes: other files (e.g. golden outputs
    # the reader's tests keep beside a fixture) stay.
    rm -rf "$case_dir/sysfs-pstore" "$case_dir/erased"
    rm -f "$case_dir"/{image.bin.xz,sysfs-pstore.list,erased.list,params.conf,PROVENANCE.md,System.map.xz}
    mkdir -p "$case_dir/sysfs-pstore"
    xz -9 -T1 -c "$work/snapshot.img" >"$case_dir/image.bin.xz"
    cp -p "$rexp/read/files/." "$case_dir/sysfs-pstore/" -r
    chmod 0644 "$case_dir/sysfs-pstore/"*
    cp "$rexp/read/list" "$case_dir/sysfs-pstore.list"
    if [[ -n $PSB_ERASE ]]; then
        local eexp=$work/erase/export
        mkdir -p "$case_dir/erased"
        cp -r "$eexp/erased/files/." "$case_dir/erased/"
        chmod 0644 "$case_dir/erased/"*
        cp "$eexp/erased/list" "$case_dir/erased.list"
        local n
        for n in $PSB_ERASE; do
            if awk -v n="$n" '$1 == n { f = 1 } END { exit !f }' "$rexp/read/list"; then
                psb_die "$PSB_SCENARIO: $n still listed after the erase boot"
            fi
        done
    fi

    # --- params.conf -------------------------------------------------------
    local params=$rexp/info/params reg sizes=() f v source label_line part_line=""
    reg=$(grep -o 'registered pstore_blk as backend for.*' "$wlog" | head -n1 | tr -d '\r')
    for f in kmsg pmsg console ftrace; do
        v=$(guest_param "$params" pstore_blk "${f}_size")
        [[ -n $v && $v -gt 0 ]] || v=0
        # A frontend missing from the registration line is not in use.
        if [[ $f == kmsg ]]; then
            [[ $reg == *"kmsg("* ]] || v=0
        else
            [[ " ${reg#*)} " == *" $f "* ]] || v=0
        fi
        sizes+=("${f}_size=$v")
    done
    local compress=none
    grep -q 'pstore: Using crash dump compression: deflate' "$wlog" && compress=deflate
    local nr_cpus
    nr_cpus=$(count_cpus "$(cat "$rexp/info/cpu-possible")")
    if [[ $PSB_LABEL == none ]]; then
        source=partition
    else
        source=disk
        local start size
        read -r start size < <(psb_part_geometry "$work/snapshot.img" "$PSB_PSTORE_PART")
        part_line="partition=$PSB_PSTORE_PART
partition_offset=$((start * 512))
partition_size=$((size * 512))"
    fi
    label_line="label=$PSB_LABEL"
    local builtin=0
    [[ $PSB_KERNEL == custom ]] && builtin=1
    {
        echo "# pstore-blk real-kernel fixture; written by tests/vm/make-fixtures.sh"
        echo "scenario=$PSB_SCENARIO"
        echo "image=image.bin.xz"
        echo "image_size=$(stat -c %s "$work/snapshot.img")"
        echo "source=$source"
        echo "$label_line"
        [[ -z $part_line ]] || echo "$part_line"
        printf '%s\n' "${sizes[@]}"
        echo "max_reason=$(guest_param "$params" pstore_blk max_reason)"
        echo "nr_cpus=$nr_cpus"
        echo "abi=$PSB_ARCH"
        echo "compress=$compress"
        echo "kernel=$krel"
        echo "builtin=$builtin"
        [[ -z $PSB_CORRUPT_ZONES ]] || echo "damaged_zones=$PSB_CORRUPT_ZONES"
    } >"$case_dir/params.conf"

    # --- System.map (custom kernel, only if small) -------------------------
    local sysmap_note="not applicable (stock Debian kernel: see its linux-image package's System.map)"
    if [[ $PSB_KERNEL == custom ]]; then
        xz -9 -T1 -c "$PSB_CUSTOM_SYSMAP" >"$work/System.map.xz"
        local smsize
        smsize=$(stat -c %s "$work/System.map.xz")
        if ((smsize < 300 * 1024)); then
            cp "$work/System.map.xz" "$case_dir/System.map.xz"
            sysmap_note="System.map.xz ($smsize bytes compressed) is the booted kernel's (CONFIG_RELOCATABLE off, booted with nokaslr: ftrace addresses match it directly; pass it to the reader to name ftrace addresses)"
        else
            sysmap_note="System.map not included: $smsize bytes compressed (limit 300 KiB); rebuild with tests/vm/build-custom-kernel.sh"
        fi
    fi

    # --- PROVENANCE.md ----------------------------------------------------
    local t_end changed
    t_end=$(date +%s)
    if cmp -s "$disk" "$work/snapshot.img"; then
        changed="no: the image after the read boot is identical to the snapshot"
    else
        changed="yes: $(cmp -l "$disk" "$work/snapshot.img" | wc -l) bytes differ after the read boot (image.bin.xz is the snapshot taken before it)"
    fi
    {
        echo "# Fixture $krel-$PSB_SCENARIO"
        echo
        echo "$PSB_DESCRIPTION"
        echo
        echo "- Kernel: $PSB_KERNEL_PACKAGE (uname -r: \`$krel\`), $PSB_ARCH, booted under QEMU TCG ($PSB_NCPUS vCPU, $PSB_QEMU)"
        if [[ $PSB_KERNEL == stock ]]; then
            echo "- Kernel config facts: $(grep -E '^(CONFIG_PSTORE(_ZONE|_BLK|_COMPRESS|_COMPRESS_DEFAULT|_CONSOLE|_PMSG|_FTRACE)?)=' "$PSB_STOCK_ROOT/boot/config-$PSB_STOCK_KREL" | tr '\n' ' ')"
            echo "  (PSTORE_CONSOLE/PMSG/FTRACE are off in Debian's config: kmsg zones only)"
            echo "- Oopses from tests/vm/oops-module (psb_oops.ko built against linux-headers-$PSB_STOCK_KREL)"
        else
            echo "- Kernel config facts: $(grep -E '^CONFIG_(PSTORE[A-Z_]*|LKDTM|FUNCTION_TRACER|SMP|ACPI|MODULES)=' "$PSB_CUSTOM_CONFIG" | tr '\n' ' ')"
            echo "- Built by tests/vm/build-custom-kernel.sh: $( [[ $PSB_ARCH == x86_64 ]] || echo "PSB_ARCH=$PSB_ARCH ")make tinyconfig + tests/vm/custom-kernel.config ($PSB_ARCH, everything built in, no modules)"
            echo "- Oopses from LKDTM (/sys/kernel/debug/provoke-crash/DIRECT)"
        fi
        echo "- Image: $PSB_LABEL label, $(stat -c %s "$work/snapshot.img") bytes raw; pstore device in the guest: \`$PSB_BLKDEV\`"
        echo "- pstore_blk parameters: \`$PSB_BLK_PARAMS\` ($( [[ $PSB_KERNEL == stock ]] && echo "insmod arguments, plus blkdev=$PSB_BLKDEV" || echo "as pstore_blk.* on the kernel command line"))"
        echo "- Writer boot command line: \`$writer_cmdline\`"
        echo "- Writer events (tests/vm/guest-init.sh): \`$PSB_EVENTS\`, then sleep 2, poweroff -f"
        if [[ -n $PSB_CORRUPT_ZONES ]]; then
            echo "- Damaged on the host before the read boot (make-fixtures.sh corrupt_zones): $corrupt_note"
        fi
        if [[ -n $PSB_ERASE ]]; then
            echo "- Erase boot: mount pstore, copy then rm \`$PSB_ERASE\` (copies in erased/, erased.list), sleep 2, poweroff -f"
        fi
        echo "- Read boot: mount pstore, copy every file with cat, list \`name mtime size\` (size of the cat copy)"
        echo "- Read boot changed the disk: $changed"
        echo "- Guest's own view of the files (stat: name mtime st_size mode):"
        echo '  ```'
        sed 's/^/  /' "$rexp/read/stat.raw"
        echo '  ```'
        echo "- System.map: $sysmap_note"
        echo "- Boot times (s, host wall clock): writer $(cat "$work/writer/boot-seconds")$( [[ -n $PSB_ERASE ]] && echo ", erase $(cat "$work/erase/boot-seconds")"), read $(cat "$work/read/boot-seconds"); whole scenario $((t_end - t_start)) s"
        echo "- Generated: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME"), $("$PSB_QEMU" --version | head -n1)"
        echo "- Regenerate: \`$( [[ $PSB_KERNEL == stock ]] && echo "PSB_KERNEL_ABI=${krel%-amd64} ")tests/vm/make-fixtures.sh $PSB_SCENARIO\` (scenario: tests/vm/scenarios/$PSB_SCENARIO.scenario)"
        echo
        echo "## Guest pstore lines, writer boot"
        echo
        echo '```'
        grep -aiE 'pstore|psb_oops|lkdtm' "$wlog" | grep -av 'Command line' | tr -d '\r' | grep -av '^psb-guest' | head -n 60
        echo '```'
        echo
        echo "## Guest pstore lines, read boot"
        echo
        echo '```'
        grep -aiE 'pstore' "$work/read/serial.log" | grep -av 'Command line' | tr -d '\r' | grep -av '^psb-guest' | head -n 30
        echo '```'
    } >"$case_dir/PROVENANCE.md"
    psb_log "$PSB_SCENARIO done in $((t_end - t_start)) s: $(wc -l <"$case_dir/sysfs-pstore.list") files, image $(stat -c %s "$case_dir/image.bin.xz") bytes xz"
}

scenarios=("$@")
if ((${#scenarios[@]} == 0)); then
    for f in "$PSB_VM_DIR"/scenarios/*.scenario; do
        scenarios+=("$(basename "$f" .scenario)")
    done
fi
for s in "${scenarios[@]}"; do
    make_one "$s"
done
