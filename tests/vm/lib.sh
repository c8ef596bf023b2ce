# shellcheck shell=bash
# shellcheck disable=SC2034  # variables are set here for the scripts that source this file
# Shared helpers for the pstore-blk real-kernel harness (tests/vm/).
#
# Source it from bash scripts that run with `set -euo pipefail`:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything downloaded or built (Debian .debs, unpacked kernels, the custom
# kernel build, initramfs images) lives OUTSIDE the repository, in
#   ${PSB_VM_CACHE:-$HOME/.cache/pstore-blk-vm}
# Nothing is ever installed on the host from the kernel packages: they are
# fetched with `apt-get download` and unpacked with `dpkg -x`.

PSB_VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PSB_REPO_DIR=$(cd "$PSB_VM_DIR/../.." && pwd)
PSB_CACHE=${PSB_VM_CACHE:-${HOME:-/root}/.cache/pstore-blk-vm}
PSB_QEMU=${PSB_QEMU:-qemu-system-x86_64}
# Seconds one QEMU boot may take before it is killed and counted as a failure.
PSB_BOOT_TIMEOUT=${PSB_BOOT_TIMEOUT:-240}

psb_log() { printf '[psb-vm] %s\n' "$*" >&2; }
psb_die() { printf '[psb-vm] ERROR: %s\n' "$*" >&2; exit 1; }

# psb_need_cmds CMD... : fail loudly, naming the Debian package, when a tool is missing.
psb_need_cmds() {
    local c missing=()
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    if ((${#missing[@]})); then
        psb_die "missing host tools: ${missing[*]} (Debian 12: apt-get install qemu-system-x86 busybox-static xz-utils cpio kmod fdisk e2fsprogs make gcc-12 bc flex bison libelf-dev libssl-dev)"
    fi
}

# psb_apt_download PKG... : download .debs into the cache (no install). Idempotent.
# PKG or PKG=VERSION. With PSB_APT_SUITE set (e.g. trixie), from that release
# through psb_suite_apt instead of the host's apt sources.
psb_apt_download() {
    local dir=$PSB_CACHE/debs pkg have
    mkdir -p "$dir"
    for pkg in "$@"; do
        if [[ $pkg == *=* ]]; then
            have=$(find "$dir" -maxdepth 1 -name "${pkg%%=*}_${pkg#*=}_*.deb" -print -quit)
        else
            have=$(find "$dir" -maxdepth 1 -name "${pkg}_*.deb" -print -quit)
        fi
        if [[ -n $have ]]; then
            continue
        fi
        if [[ -n ${PSB_APT_SUITE:-} ]]; then
            psb_log "apt-get download $pkg (from $PSB_APT_SUITE, private apt configuration)"
            (cd "$dir" && psb_suite_apt "$PSB_APT_SUITE" apt-get download -q "$pkg" >/dev/null) \
                || psb_die "apt-get download $pkg from $PSB_APT_SUITE failed"
            continue
        fi
        psb_log "apt-get download $pkg"
        # _apt cannot write into root's cache: download as is, quietly.
        (cd "$dir" && apt-get download -q "$pkg" >/dev/null 2>&1) \
            || (cd "$dir" && apt-get download "$pkg") \
            || psb_die "apt-get download $pkg failed (is 'apt-get update' done and the Debian registry reachable?)"
    done
}

# psb_debian_mirror : $PSB_DEBIAN_MIRROR, else the first deb.debian.org/debian-like
# URI of the host's apt sources, else http://deb.debian.org/debian.
psb_debian_mirror() {
    local mirror=${PSB_DEBIAN_MIRROR:-}
    if [[ -z $mirror ]]; then
        mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
            | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n1 | tr -d ' ' || true)
    fi
    printf '%s\n' "${mirror:-http://deb.debian.org/debian}"
}

# psb_suite_apt SUITE TOOL ARGS... : run apt-get/apt-cache against another
# Debian release through a PRIVATE configuration: its own sources list
# (SUITE, SUITE-updates, SUITE-security), state, cache and preferences under
# $PSB_CACHE/apt/SUITE/, an empty dpkg status. The host's apt sources and
# state are never read or written (adding another release to them would
# make apt upgrade the host's own libraries). `psb_suite_apt SUITE update`
# refreshes the lists; other calls refresh them when older than a day.
# PSB_APT_ARCH (default amd64) picks the architecture (its own state directory).
psb_suite_apt() {
    local suite=$1 tool=$2 d mirror arch=${PSB_APT_ARCH:-amd64}
    shift 2
    d=$PSB_CACHE/apt/$suite
    [[ $arch == amd64 ]] || d=$d-$arch
    mirror=$(psb_debian_mirror)
    mkdir -p "$d"/{state/lists/partial,cache/archives/partial,etc/preferences.d,etc/apt.conf.d}
    [[ -f $d/state/status ]] || : >"$d/state/status"
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' \
        "$mirror" "$suite" "$mirror" "$suite-updates" >"$d/etc/sources.list"
    printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s-security main\n' \
        "${PSB_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}" "$suite" >>"$d/etc/sources.list"
    local -a opts=(
        -o "Dir::Etc::SourceList=$d/etc/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::Etc::Preferences=$d/etc/preferences" -o "Dir::Etc::PreferencesParts=$d/etc/preferences.d"
        -o "Dir::State=$d/state" -o "Dir::State::status=$d/state/status"
        -o "Dir::Cache=$d/cache" -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
        -o Debug::NoLocking=1 -o APT::Sandbox::User=root
    )
    if [[ $tool == update || ! -f $d/state/updated || -n $(find "$d/state/updated" -mmin +1440) ]]; then
        psb_log "apt-get update for $suite (private configuration in $d)"
        apt-get -q "${opts[@]}" update >"$d/update.log" 2>&1 \
            || { cat "$d/update.log" >&2; psb_die "apt-get update for $suite failed (is the Debian archive reachable?)"; }
        touch "$d/state/updated"
        [[ $tool == update ]] && return 0
    fi
    "$tool" "${opts[@]}" "$@"
}

# psb_deb_path PKG : path of the cached .deb of PKG (newest if several).
psb_deb_path() {
    local f
    f=$(find "$PSB_CACHE/debs" -maxdepth 1 -name "${1}_*.deb" | sort -V | tail -n1)
    [[ -n $f ]] || psb_die "no cached .deb for $1"
    printf '%s\n' "$f"
}

# psb_default_abi [SUITE] : the ABI that linux-image-amd64 depends on, e.g.
# 6.1.0-56 (host's release) or 6.12.118+deb13 (SUITE=trixie).
psb_default_abi() {
    local suite=${1:-} dep pat='s/^ *Depends: linux-image-\([0-9][^ ]*\)-amd64$/\1/p'
    if [[ -n $suite ]]; then
        dep=$(psb_suite_apt "$suite" apt-cache depends linux-image-amd64 2>/dev/null | sed -n "$pat" | head -n1)
        [[ -n $dep ]] || psb_die "cannot find the ABI linux-image-amd64 depends on in $suite"
        printf '%s\n' "$dep"
        return
    fi
    dep=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n "$pat" | head -n1)
    if [[ -z $dep && $(id -u) == 0 ]]; then
        psb_log "apt-cache knows no linux-image-amd64: running apt-get update"
        apt-get update -q >/dev/null || true
        dep=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n "$pat" | head -n1)
    fi
    [[ -n $dep ]] || psb_die "cannot find the ABI linux-image-amd64 depends on (run apt-get update, or set PSB_KERNEL_ABI=6.1.0-NN)"
    printf '%s\n' "$dep"
}

# psb_abi_suite ABI : the Debian release whose archive has ABI's packages,
# empty for the host's own release: 6.12.118+deb13 -> trixie, 6.1.0-56 -> "".
psb_abi_suite() {
    case $1 in
    *+deb13) echo trixie ;;
    *) echo "" ;;
    esac
}

# Paths of the stock kernel for ABI $1 (set by psb_stock_paths).
psb_stock_paths() {
    local abi=$1
    PSB_STOCK_ROOT=$PSB_CACHE/stock/$abi/root
    PSB_STOCK_KREL=$abi-amd64
    PSB_STOCK_KERNEL=$PSB_STOCK_ROOT/boot/vmlinuz-$PSB_STOCK_KREL
    PSB_STOCK_MODDIR=$PSB_STOCK_ROOT/lib/modules/$PSB_STOCK_KREL
    PSB_STOCK_OOPS_KO=$PSB_CACHE/stock/$abi/psb_oops.ko
}

# Paths of the custom kernel (set by psb_custom_paths); built by build-custom-kernel.sh.
# PSB_ARCH=i386 (scenario variable) selects the 32-bit build in custom-i386/.
psb_custom_paths() {
    PSB_CUSTOM_DIR=$PSB_CACHE/custom
    [[ ${PSB_ARCH:-x86_64} == x86_64 ]] || PSB_CUSTOM_DIR=$PSB_CACHE/custom-$PSB_ARCH
    PSB_CUSTOM_OUT=$PSB_CUSTOM_DIR/out
    PSB_CUSTOM_KERNEL=$PSB_CUSTOM_OUT/bzImage
    PSB_CUSTOM_SYSMAP=$PSB_CUSTOM_OUT/System.map
    PSB_CUSTOM_CONFIG=$PSB_CUSTOM_OUT/config
}

# ---------------------------------------------------------------------------
# initramfs
# ---------------------------------------------------------------------------

# psb_module_chain MODDIR KREL MODULE... : print the .ko paths (relative to
# MODDIR) needed for the given modules, dependencies first, no duplicates.
psb_module_chain() {
    local moddir=$1 krel=$2
    shift 2
    local basedir=${moddir%/lib/modules/*}
    local m line f
    declare -A seen=()
    for m in "$@"; do
        # modprobe --show-depends prints "insmod /path/x.ko" lines, deps first.
        while read -r line; do
            [[ $line == insmod\ * ]] || continue
            f=${line#insmod }
            f=${f%% *}
            f=${f#"$moddir"/}
            if [[ -z ${seen[$f]:-} ]]; then
                seen[$f]=1
                printf '%s\n' "$f"
            fi
        done < <(modprobe -d "$basedir" -S "$krel" --show-depends "$m" 2>/dev/null \
            || psb_die "modprobe --show-depends $m failed in $moddir")
    done
}

# psb_busybox : the static busybox for the guest's architecture: the host's
# (busybox-static) for x86_64; for i386, Debian's busybox-static:i386 of the
# host's release, downloaded through the private apt configuration.
psb_busybox() {
    if [[ ${PSB_ARCH:-x86_64} == x86_64 ]]; then
        echo /bin/busybox
        return
    fi
    local dir=$PSB_CACHE/busybox-$PSB_ARCH suite deb
    if [[ ! -x $dir/bin/busybox ]]; then
        suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
        mkdir -p "$dir/deb"
        (cd "$dir/deb" && PSB_APT_ARCH=$PSB_ARCH psb_suite_apt "$suite" apt-get download -q "busybox-static:$PSB_ARCH" >/dev/null) \
            || psb_die "apt-get download busybox-static:$PSB_ARCH failed"
        deb=$(find "$dir/deb" -name 'busybox-static_*.deb' | head -n1)
        dpkg -x "$deb" "$dir"
    fi
    echo "$dir/bin/busybox"
}

# psb_build_initramfs OUT.cpio.gz INIT_SCRIPT JOB_CONF [KO_FILE...]
# A busybox-static initramfs: /init = INIT_SCRIPT, /etc/psb/job.conf = JOB_CONF,
# modules in /lib/psb/NN-name.ko (loaded in that order by the init script).
psb_build_initramfs() {
    local out=$1 init=$2 job=$3
    shift 3
    local tmp n=10 ko base
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/psb-initramfs.XXXXXX")
    mkdir -p "$tmp"/{bin,sbin,dev,proc,sys,tmp,mnt,lib/psb,export,etc/psb}
    cp "$job" "$tmp/etc/psb/job.conf"
    cp "$(psb_busybox)" "$tmp/bin/busybox"
    ln -s busybox "$tmp/bin/sh"
    cp "$init" "$tmp/init"
    chmod 0755 "$tmp/init"
    for ko in "$@"; do
        base=$(basename "$ko")
        base=${base%.xz}
        if [[ $ko == *.xz ]]; then
            xz -dc "$ko" >"$tmp/lib/psb/$n-$base"
        else
            cp "$ko" "$tmp/lib/psb/$n-$base"
        fi
        n=$((n + 1))
    done
    # Optional extra tree copied over the initramfs (binaries, libraries,
    # module tree, phase scripts); see psb_overlay_* below.
    if [[ -n ${PSB_INITRAMFS_OVERLAY:-} ]]; then
        cp -a "$PSB_INITRAMFS_OVERLAY"/. "$tmp"/
    fi
    (cd "$tmp" && find . -print0 | LC_ALL=C sort -z \
        | cpio --null -o -H newc --owner 0:0 --quiet) | gzip -9n >"$out.tmp"
    mv "$out.tmp" "$out"
    rm -rf "$tmp"
}

# ---------------------------------------------------------------------------
# QEMU
# ---------------------------------------------------------------------------

# psb_qemu_run KERNEL INITRD CMDLINE LOG NCPUS DISK [EXPORT_DISK]
# Boots once; DISK becomes /dev/vda (PCI slot 4; /dev/nvme0n1 with
# PSB_QEMU_DISK_IF=nvme), EXPORT_DISK /dev/vdb (slot 5; /dev/vda beside an
# NVMe disk).
# Serial console to LOG.  Fails if the guest does not power off within
# PSB_BOOT_TIMEOUT seconds or if QEMU fails.
psb_qemu_run() {
    local kernel=$1 initrd=$2 cmdline=$3 log=$4 ncpus=$5 disk=$6 export_disk=${7:-}
    local accel=${PSB_QEMU_ACCEL:-tcg} dev=virtio-blk-pci
    # PSB_QEMU_DISK_IF=nvme: DISK is an NVMe namespace (/dev/nvme0n1) instead.
    [[ ${PSB_QEMU_DISK_IF:-virtio} == nvme ]] && dev=nvme,serial=psbdisk
    local -a args=(
        -accel "$accel" -m "${PSB_QEMU_MEM:-512}" -smp "$ncpus" -nographic -no-reboot
        -kernel "$kernel" -initrd "$initrd" -append "$cmdline"
        -serial "file:$log" -monitor none -display none
        -drive "file=$disk,format=raw,if=none,id=d0,cache=writeback"
        -device "$dev,drive=d0,addr=0x4"
    )
    if [[ -n $export_disk ]]; then
        # serial: udev's /dev/disk/by-id/virtio-psbjob for the Debian guests.
        args+=(-drive "file=$export_disk,format=raw,if=none,id=d1"
            -device "virtio-blk-pci,drive=d1,addr=0x5,serial=psbjob")
    fi
    # PSB_QEMU_BIOS: firmware image, e.g. /usr/share/ovmf/OVMF.fd (UEFI; the
    # kernel is still passed with -kernel and started by OVMF's EFI stub loader).
    if [[ -n ${PSB_QEMU_BIOS:-} ]]; then
        [[ -r $PSB_QEMU_BIOS ]] || psb_die "firmware $PSB_QEMU_BIOS not readable (Debian 12: apt-get install ovmf)"
        args+=(-bios "$PSB_QEMU_BIOS")
    fi
    local t0 t1 rc=0 attempt=0
    t0=$(date +%s.%N)
    while :; do
        rc=0
        if ((${PSB_BOOT_RETRIES:-0} > 0)); then
            psb_qemu_watch "$log" "${args[@]}" || rc=$?
        else
            timeout --kill-after=10 "$PSB_BOOT_TIMEOUT" "$PSB_QEMU" "${args[@]}" \
                </dev/null >"$log.qemu" 2>&1 || rc=$?
        fi
        # 125: psb_qemu_watch saw no guest marker in time: QEMU (TCG) hung
        # while the kernel booted, before the guest touched any disk.
        ((rc == 125)) || break
        attempt=$((attempt + 1))
        if ((attempt > PSB_BOOT_RETRIES)); then
            rc=124
            break
        fi
        mv "$log" "$log.hung-$attempt"
        psb_log "QEMU hung before the guest's init ran (no '${PSB_INIT_MARKER:-psb-guest:}' within ${PSB_INIT_DEADLINE:-90}s; log kept as $log.hung-$attempt); retry $attempt of $PSB_BOOT_RETRIES"
    done
    t1=$(date +%s.%N)
    PSB_LAST_BOOT_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
    if ((rc == 124 || rc == 137)); then
        psb_die "QEMU boot timed out after ${PSB_BOOT_TIMEOUT}s (serial log: $log)"
    elif ((rc != 0)); then
        cat "$log.qemu" >&2 || true
        psb_die "QEMU failed with exit code $rc (serial log: $log)"
    fi
    # PSB_DONE_MARKER: what the guest prints when its job is done, when that
    # is not guest-init.sh's PSB-DONE (a capture kernel's /init).
    if ! grep -qF "${PSB_DONE_MARKER:-PSB-DONE}" "$log"; then
        tail -n 40 "$log" >&2 || true
        psb_die "guest did not finish its job (no ${PSB_DONE_MARKER:-PSB-DONE} marker; serial log: $log)"
    fi
    PSB_LAST_GUEST_FAIL=""
    if grep -q 'PSB-FAIL' "$log"; then
        # PSB_ALLOW_GUEST_FAIL=1: the caller inspects the export first and
        # reports PSB_LAST_GUEST_FAIL itself.
        if [[ ${PSB_ALLOW_GUEST_FAIL:-0} == 1 ]]; then
            PSB_LAST_GUEST_FAIL=$(grep -a 'PSB-FAIL' "$log" | tr -d '\r')
        else
            grep 'PSB-FAIL' "$log" >&2 || true
            psb_die "guest job reported a failure (serial log: $log)"
        fi
    fi
    psb_log "boot finished in ${PSB_LAST_BOOT_SECONDS}s ($log)"
}

# psb_qemu_watch LOG QEMU_ARGS... : runs QEMU like psb_qemu_run (bounded by
# PSB_BOOT_TIMEOUT) and returns its status, but kills it and returns 125 when
# the serial LOG shows no PSB_INIT_MARKER (default "psb-guest:", printed by
# the guest's init) within PSB_INIT_DEADLINE seconds (default 90). Used with
# PSB_BOOT_RETRIES: multi-threaded TCG occasionally hangs in early boot.
psb_qemu_watch() {
    local log=$1 pid waited=0 rc=0
    shift
    timeout --kill-after=10 "$PSB_BOOT_TIMEOUT" "$PSB_QEMU" "$@" </dev/null >"$log.qemu" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= ${PSB_INIT_DEADLINE:-90})) && ! grep -aq -- "${PSB_INIT_MARKER:-psb-guest:}" "$log" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
            return 125
        fi
        sleep 1
        waited=$((waited + 1))
    done
    wait "$pid" || rc=$?
    return "$rc"
}

# psb_make_export_disk PATH : an empty 32 MiB disk the guest writes a tar to.
psb_make_export_disk() {
    rm -f "$1"
    truncate -s "${PSB_EXPORT_MIB:-32}M" "$1"
}

# psb_unpack_export DISK DIR : extract the guest's tar from the export disk.
psb_unpack_export() {
    mkdir -p "$2"
    tar -xf "$1" -C "$2" || psb_die "cannot read the guest's export tar from $1"
}

# ---------------------------------------------------------------------------
# Scenarios (tests/vm/scenarios/<name>.scenario, shell-sourceable)
# ---------------------------------------------------------------------------
# Variables a scenario may set (defaults below):
#   PSB_DESCRIPTION  one line for PROVENANCE.md
#   PSB_KERNEL       stock | custom   (custom = build-custom-kernel.sh, all built in)
#   PSB_LABEL        gpt | dos | none (none: the image is the bare partition)
#   PSB_DISK_MIB     whole-disk size in MiB (gpt/dos)
#   PSB_PARTS        sfdisk partition lines (one per line, no header)
#   PSB_LABEL_ID     sfdisk label-id (disk GUID / dos id), for reproducible images
#   PSB_PSTORE_PART  1-based number of the pstore partition (gpt/dos)
#   PSB_EXT4_PART    optional partition number to format as ext4
#   PSB_PART_KIB     image size in KiB when PSB_LABEL=none
#   PSB_BLK_PARAMS   pstore_blk parameters without blkdev, e.g. "kmsg_size=64 best_effort=y"
#                    (module: insmod args; custom kernel: pstore_blk.* on the cmdline)
#   PSB_BLKDEV       override blkdev (default /dev/vda or /dev/vda<N>)
#   PSB_CMDLINE      extra kernel command line
#   PSB_EVENTS       writer-boot events (see guest-init.sh)
#   PSB_ERASE        files to rm in an erase boot (none: no erase boot)
#   PSB_NCPUS        vCPUs
#   PSB_TCG_SINGLE   1: -accel tcg,thread=single (needed with function tracing)
psb_scenario_defaults() {
    PSB_DESCRIPTION=""
    PSB_KERNEL=stock
    PSB_LABEL=gpt
    PSB_DISK_MIB=8
    PSB_PARTS=""
    PSB_LABEL_ID=""
    PSB_PSTORE_PART=1
    PSB_EXT4_PART=""
    PSB_PART_KIB=1024
    PSB_BLK_PARAMS="kmsg_size=64 best_effort=y"
    PSB_BLKDEV=""
    PSB_CMDLINE=""
    PSB_EVENTS=""
    PSB_ERASE=""
    PSB_CORRUPT_ZONES=""
    PSB_ARCH=x86_64
    PSB_NCPUS=1
    PSB_TCG_SINGLE=0
}

# psb_load_scenario NAME|PATH
psb_load_scenario() {
    local f=$1
    [[ -f $f ]] || f=$PSB_VM_DIR/scenarios/$1.scenario
    [[ -f $f ]] || psb_die "no scenario $1 (looked for $f)"
    psb_scenario_defaults
    PSB_SCENARIO=$(basename "$f" .scenario)
    PSB_SCENARIO_FILE=$f
    # shellcheck source=/dev/null
    . "$f"
    case $PSB_LABEL in gpt | dos | none) ;; *) psb_die "$f: PSB_LABEL must be gpt, dos or none" ;; esac
    case $PSB_KERNEL in stock | custom) ;; *) psb_die "$f: PSB_KERNEL must be stock or custom" ;; esac
    case $PSB_KERNEL-$PSB_ARCH in
    *-x86_64) ;;
    custom-i386) [[ $PSB_QEMU != qemu-system-x86_64 ]] || PSB_QEMU=qemu-system-i386 ;;
    *) psb_die "$f: PSB_ARCH=$PSB_ARCH needs PSB_KERNEL=custom (i386 only)" ;;
    esac
    if [[ -z $PSB_BLKDEV ]]; then
        if [[ $PSB_LABEL == none ]]; then PSB_BLKDEV=/dev/vda; else PSB_BLKDEV=/dev/vda$PSB_PSTORE_PART; fi
    fi
}

# psb_prepare_kernel : sets PSB_KERNEL_IMAGE, PSB_KERNEL_PACKAGE, PSB_KOS (array)
psb_prepare_kernel() {
    PSB_KOS=()
    if [[ $PSB_KERNEL == stock ]]; then
        local abi
        # ctest -j runs several vm tests at once: one fetch at a time.
        mkdir -p "$PSB_CACHE"
        abi=$(flock "$PSB_CACHE/.fetch-kernel.lock" "$PSB_VM_DIR/fetch-kernel.sh" "${PSB_KERNEL_ABI:-}" | tail -n1)
        psb_stock_paths "$abi"
        PSB_KERNEL_IMAGE=$PSB_STOCK_KERNEL
        PSB_KERNEL_PACKAGE=$(cat "$PSB_CACHE/stock/$abi/PACKAGE")
        local m
        while read -r m; do
            PSB_KOS+=("$PSB_STOCK_MODDIR/$m")
        done < <(psb_module_chain "$PSB_STOCK_MODDIR" "$PSB_STOCK_KREL" virtio_pci virtio_blk pstore_blk)
        PSB_KOS+=("$PSB_STOCK_OOPS_KO")
    else
        psb_custom_paths
        [[ -f $PSB_CUSTOM_KERNEL ]] || PSB_ARCH=$PSB_ARCH "$PSB_VM_DIR/build-custom-kernel.sh"
        [[ -f $PSB_CUSTOM_KERNEL ]] || psb_die "custom kernel not built ($PSB_CUSTOM_KERNEL)"
        PSB_KERNEL_IMAGE=$PSB_CUSTOM_KERNEL
        PSB_KERNEL_PACKAGE="custom $(cat "$PSB_CUSTOM_OUT/VERSION") from $(cat "$PSB_CUSTOM_OUT/SOURCE")"
    fi
}

# psb_make_disk IMAGE : create the scenario's empty disk (or bare partition) image.
psb_make_disk() {
    local img=$1
    rm -f "$img"
    if [[ $PSB_LABEL == none ]]; then
        truncate -s "${PSB_PART_KIB}K" "$img"
        return
    fi
    truncate -s "${PSB_DISK_MIB}M" "$img"
    {
        printf 'label: %s\n' "$PSB_LABEL"
        [[ -z $PSB_LABEL_ID ]] || printf 'label-id: %s\n' "$PSB_LABEL_ID"
        printf '\n%s\n' "$PSB_PARTS"
    } | sfdisk --quiet --no-reread --no-tell-kernel "$img" >/dev/null \
        || psb_die "sfdisk failed on $img"
    if [[ -n $PSB_EXT4_PART ]]; then
        local start size tmp
        read -r start size < <(psb_part_geometry "$img" "$PSB_EXT4_PART")
        tmp=$img.ext4
        rm -f "$tmp"
        truncate -s $((size * 512)) "$tmp"
        mkfs.ext4 -q -F -L psbdata -E nodiscard "$tmp" >/dev/null
        dd if="$tmp" of="$img" bs=512 seek="$start" conv=notrunc status=none
        rm -f "$tmp"
    fi
}

# psb_part_geometry IMAGE N : prints "<start sector> <size in sectors>"
psb_part_geometry() {
    sfdisk --dump "$1" | awk -v n="$2" '
        /^[^ ]+ : start=/ {
            i++; if (i == n) {
                gsub(/,/, ""); for (k = 1; k <= NF; k++) {
                    if ($k == "start=") s = $(k+1); if ($k == "size=") z = $(k+1)
                    if ($k ~ /^start=/ && $k != "start=") s = substr($k, 7)
                    if ($k ~ /^size=/ && $k != "size=") z = substr($k, 6)
                }
                print s, z
            }
        }'
}

# psb_boot_phase PHASE DISK WORKDIR [ERASE_NAMES]
# Builds the phase's initramfs, boots, unpacks the export into WORKDIR/PHASE/.
psb_boot_phase() {
    local phase=$1 disk=$2 work=$3 erase=${4:-}
    local pdir=$work/$phase cmdline accel kparams="" p
    rm -rf "$pdir"
    mkdir -p "$pdir"
    local modules=1
    [[ $PSB_KERNEL == custom ]] && modules=0
    {
        printf 'PSB_PHASE=%q\n' "$phase"
        printf 'PSB_BLKDEV=%q\n' "$PSB_BLKDEV"
        printf 'PSB_BLK_PARAMS=%q\n' "$PSB_BLK_PARAMS"
        printf 'PSB_EVENTS=%q\n' "$PSB_EVENTS"
        printf 'PSB_ERASE=%q\n' "$erase"
        printf 'PSB_KERNEL_MODULES=%q\n' "$modules"
    } >"$pdir/job.conf"
    psb_build_initramfs "$pdir/initramfs.cpio.gz" "$PSB_VM_DIR/guest-init.sh" "$pdir/job.conf" "${PSB_KOS[@]}"
    # no_timer_check: on a busy host TCG can miss the IO-APIC timer check
    # ("IO-APIC + timer doesn't work!" panic at boot, seen with 6.12).
    cmdline="console=ttyS0 panic=-1 loglevel=7 rdinit=/init no_timer_check"
    if [[ $PSB_KERNEL == custom ]]; then
        kparams="pstore_blk.blkdev=$PSB_BLKDEV"
        for p in $PSB_BLK_PARAMS; do kparams+=" pstore_blk.$p"; done
        cmdline+=" nokaslr initramfs_async=0 $kparams"
    fi
    [[ -z $PSB_CMDLINE ]] || cmdline+=" $PSB_CMDLINE"
    PSB_LAST_CMDLINE=$cmdline
    psb_make_export_disk "$pdir/export.img"
    accel=tcg
    ((PSB_TCG_SINGLE)) && accel=tcg,thread=single
    psb_log "boot '$phase' ($PSB_SCENARIO): $cmdline"
    PSB_QEMU_ACCEL=$accel psb_qemu_run "$PSB_KERNEL_IMAGE" "$pdir/initramfs.cpio.gz" "$cmdline" \
        "$pdir/serial.log" "$PSB_NCPUS" "$disk" "$pdir/export.img"
    printf '%s\n' "$PSB_LAST_BOOT_SECONDS" >"$pdir/boot-seconds"
    psb_unpack_export "$pdir/export.img" "$pdir/export"
    rm -f "$pdir/export.img"
}

# ---------------------------------------------------------------------------
# Initramfs overlays for the provisioning tests (e2e-setup.sh, e2e-efi.sh):
# the project binary with its libraries, kmod, udev, util-linux tools and a
# /lib/modules tree so `pstore-blk setup --now` can modprobe, wait for udev's
# /dev/disk/by-partuuid links and read /boot/config-* like on a real system.
# Build one with psb_overlay_init DIR, psb_overlay_* DIR ..., then boot with
# PSB_INITRAMFS_OVERLAY=DIR.
# ---------------------------------------------------------------------------

psb_overlay_init() {
    rm -rf "$1"
    mkdir -p "$1"/{usr/bin,usr/sbin,sbin,lib64,run,etc/psb,etc/modprobe.d,etc/modules-load.d}
}

# psb_overlay_add_libs OVERLAY ELF [LD_LIBRARY_PATH]: copy the shared
# libraries ELF needs (ldd), at their own paths. Fails naming a missing one.
psb_overlay_add_libs() {
    local ov=$1 elf=$2 llp=${3:-} line lib out
    if ! out=$(LD_LIBRARY_PATH=$llp ldd "$elf" 2>&1); then
        # Scripts and static executables need no libraries.
        grep -q 'not a dynamic executable' <<<"$out" && return 0
        psb_die "ldd $elf failed: $out"
    fi
    grep -q 'statically linked' <<<"$out" && return 0
    if grep -q 'not found' <<<"$out"; then
        psb_die "$elf needs libraries missing on this host: $(grep 'not found' <<<"$out" | awk '{print $1}' | tr '\n' ' ')"
    fi
    while read -r line; do
        lib=""
        if [[ $line == *' => '/* ]]; then
            lib=${line#*=> }
            lib=${lib%% (*}
        elif [[ $line == /* ]]; then
            lib=${line%% (*}
        fi
        [[ -n $lib && -e $lib ]] || continue
        mkdir -p "$ov$(dirname "$lib")"
        cp -L "$lib" "$ov$lib"
    done <<<"$out"
}

# psb_overlay_add_bin OVERLAY SRC DEST [LD_LIBRARY_PATH]: an executable and its libraries.
psb_overlay_add_bin() {
    local ov=$1 src=$2 dest=$3
    [[ -x $src ]] || psb_die "no executable $src"
    mkdir -p "$ov$(dirname "$dest")"
    cp -L "$src" "$ov$dest"
    chmod 0755 "$ov$dest"
    psb_overlay_add_libs "$ov" "$src" "${4:-}"
}

# psb_overlay_add_kmod OVERLAY: the host's kmod as /usr/bin/kmod with
# modprobe/rmmod/insmod/lsmod/modinfo/depmod links in /usr/sbin and /sbin
# (/sbin/modprobe is the kernel's default modprobe_path).
psb_overlay_add_kmod() {
    local ov=$1 k t
    k=$(readlink -f "$(command -v kmod || echo /bin/kmod)")
    psb_overlay_add_bin "$ov" "$k" /usr/bin/kmod
    for t in modprobe rmmod insmod lsmod modinfo depmod; do
        ln -sf ../bin/kmod "$ov/usr/sbin/$t"
        ln -sf ../usr/bin/kmod "$ov/sbin/$t"
    done
}

# psb_overlay_add_utils OVERLAY: util-linux tools a Debian system has
# (blkid, partx, sfdisk, wipefs, lsblk, findmnt) in /usr/sbin.
psb_overlay_add_utils() {
    local ov=$1 t p
    for t in blkid partx sfdisk wipefs lsblk findmnt; do
        p=$(PATH=/usr/sbin:/sbin:/usr/bin:/bin command -v "$t") || psb_die "host tool $t missing (apt-get install util-linux fdisk)"
        psb_overlay_add_bin "$ov" "$p" "/usr/sbin/$t"
    done
}

# psb_fetch_udev : sets PSB_UDEV_ROOT, an unpacked Debian udev package (plus
# systemd's libsystemd-shared when the host has no systemd of the same
# version). Cached in $PSB_CACHE/udev/<version>/root.
psb_fetch_udev() {
    local ver pkgs=(udev) p deb lockfd
    ver=$(dpkg-query -W -f='${Version}' systemd 2>/dev/null || true)
    if [[ -z $ver || ! -e /usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-${ver%%.*}.so ]]; then
        ver=$(apt-cache policy udev 2>/dev/null | awk '/Candidate:/ {print $2}')
        [[ -n $ver && $ver != '(none)' ]] || psb_die "apt-cache knows no udev package (run apt-get update)"
        pkgs+=(systemd)
    fi
    PSB_UDEV_ROOT=$PSB_CACHE/udev/$ver/root
    if [[ -f $PSB_UDEV_ROOT/.complete ]]; then
        return 0
    fi
    mkdir -p "$PSB_CACHE"
    exec {lockfd}>"$PSB_CACHE/.fetch-udev.lock"
    flock "$lockfd"
    if [[ -f $PSB_UDEV_ROOT/.complete ]]; then
        exec {lockfd}>&-
        return 0
    fi
    rm -rf "$PSB_UDEV_ROOT"
    mkdir -p "$PSB_UDEV_ROOT"
    for p in "${pkgs[@]}"; do
        psb_apt_download "$p=$ver"
        deb=$(find "$PSB_CACHE/debs" -maxdepth 1 -name "${p}_${ver//:/%3a}_*.deb" | head -n1)
        [[ -n $deb ]] || deb=$(find "$PSB_CACHE/debs" -maxdepth 1 -name "${p}_*.deb" | grep -F "_${ver#*:}_" | head -n1)
        [[ -n $deb ]] || psb_die "no cached .deb for $p $ver"
        dpkg -x "$deb" "$PSB_UDEV_ROOT"
    done
    [[ -x $PSB_UDEV_ROOT/bin/udevadm ]] || psb_die "udev package has no bin/udevadm"
    touch "$PSB_UDEV_ROOT/.complete"
    exec {lockfd}>&-
}

# psb_overlay_add_udev OVERLAY: systemd-udevd + udevadm and the rules that
# make /dev/disk/by-{partuuid,partlabel,uuid,label} links for block devices.
psb_overlay_add_udev() {
    local ov=$1 r llp
    psb_fetch_udev
    llp=$PSB_UDEV_ROOT/usr/lib/x86_64-linux-gnu/systemd:$PSB_UDEV_ROOT/lib/systemd
    psb_overlay_add_bin "$ov" "$PSB_UDEV_ROOT/bin/udevadm" /usr/bin/udevadm "$llp"
    mkdir -p "$ov/lib/systemd" "$ov/lib/udev/rules.d" "$ov/etc/udev" "$ov/run/udev"
    ln -sf /usr/bin/udevadm "$ov/lib/systemd/systemd-udevd"
    for r in 50-udev-default.rules 60-block.rules 60-persistent-storage.rules; do
        cp "$PSB_UDEV_ROOT/lib/udev/rules.d/$r" "$ov/lib/udev/rules.d/"
    done
    # Names used by the rules (GROUP=...), so udevd does not warn about them.
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ov/etc/passwd"
    printf '%s\n' root:x:0: disk:x:6: kmem:x:15: tty:x:5: dialout:x:20: cdrom:x:24: \
        audio:x:29: video:x:44: input:x:105: kvm:x:106: render:x:107: sgx:x:108: tape:x:26: >"$ov/etc/group"
}

# psb_overlay_add_modules OVERLAY MODDIR KREL MODULE...: a /lib/modules/KREL
# tree with MODULE... and their dependencies (depmod'ed), the kernel's
# modules.builtin*, and /boot/config-KREL, so modprobe and `pstore-blk check`
# see a Debian-like module layout.
psb_overlay_add_modules() {
    local ov=$1 moddir=$2 krel=$3 f
    shift 3
    local dst=$ov/lib/modules/$krel
    mkdir -p "$dst"
    while read -r f; do
        mkdir -p "$dst/$(dirname "$f")"
        cp "$moddir/$f" "$dst/$f"
    done < <(psb_module_chain "$moddir" "$krel" "$@")
    for f in modules.builtin modules.builtin.modinfo modules.order; do
        [[ -f $moddir/$f ]] && cp "$moddir/$f" "$dst/"
    done
    depmod -b "$ov" "$krel" || psb_die "depmod -b $ov $krel failed"
    local cfg=${moddir%/lib/modules/*}/boot/config-$krel
    if [[ -f $cfg ]]; then
        mkdir -p "$ov/boot"
        cp "$cfg" "$ov/boot/"
    fi
}

# psb_compare_export EXPORT_DIR OUT_DIR : compare the files pstore-blk wrote
# in OUT_DIR with a guest's export_pstore directory (list + files/): every
# file the kernel listed must be there, byte-identical, mode 0600, dmesg
# files with the kernel's mtime; no extra record files. Prints one line per
# mismatch on stderr; sets PSB_MISMATCHES and PSB_COMPARED.
psb_compare_export() {
    local exp=$1 out=$2 name mtime size got mode gm f n
    PSB_MISMATCHES=0
    PSB_COMPARED=0
    while read -r name mtime size; do
        PSB_COMPARED=$((PSB_COMPARED + 1))
        got=$out/$name
        if [[ ! -f $got ]]; then
            printf '  mismatch: %s: not written by pstore-blk (kernel size %s)\n' "$name" "$size" >&2
            PSB_MISMATCHES=$((PSB_MISMATCHES + 1))
            continue
        fi
        if ! cmp -s "$exp/files/$name" "$got"; then
            printf '  mismatch: %s: content differs (%s vs kernel %s bytes; %s)\n' "$name" \
                "$(stat -c %s "$got")" "$size" "$(cmp "$exp/files/$name" "$got" 2>&1 | head -n1)" >&2
            PSB_MISMATCHES=$((PSB_MISMATCHES + 1))
        fi
        mode=$(stat -c %a "$got")
        if [[ $mode != 600 ]]; then
            printf '  mismatch: %s: mode %s, expected 600\n' "$name" "$mode" >&2
            PSB_MISMATCHES=$((PSB_MISMATCHES + 1))
        fi
        if [[ $name == dmesg-* ]]; then
            gm=$(stat -c %Y "$got")
            if [[ $gm != "$mtime" ]]; then
                printf '  mismatch: %s: mtime %s, expected the dump time %s\n' "$name" "$gm" "$mtime" >&2
                PSB_MISMATCHES=$((PSB_MISMATCHES + 1))
            fi
        fi
    done <"$exp/list"
    for f in "$out"/*; do
        [[ -e $f ]] || continue
        n=$(basename "$f")
        case $n in
        dmesg-* | console-* | pmsg-* | ftrace-*)
            if ! awk -v n="$n" '$1 == n { f = 1 } END { exit !f }' "$exp/list"; then
                printf '  mismatch: %s: written by pstore-blk, not listed by the kernel\n' "$n" >&2
                PSB_MISMATCHES=$((PSB_MISMATCHES + 1))
            fi
            ;;
        esac
    done
}

# psb_make_workdir NAME : sets `work` to a fresh scratch directory, removed on
# exit unless PSB_KEEP_WORK=1 (which a failing test sets to keep its logs).
psb_make_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/psb-$1.XXXXXX")
    PSB_WORKDIR_NAME=$1
    trap psb_cleanup_workdir EXIT
}
psb_cleanup_workdir() {
    if [[ ${PSB_KEEP_WORK:-0} == 1 ]]; then
        printf '%s: work dir kept: %s\n' "$PSB_WORKDIR_NAME" "$work" >&2
    else
        rm -rf "$work"
    fi
}

# psb_host_extract BIN OUT_DIR SOURCE [ARGS...] : `BIN extract SOURCE ARGS
# --output-dir OUT_DIR` on the host; dies with its output when it fails.
psb_host_extract() {
    local bin=$1 out=$2 rc=0
    shift 2
    mkdir -p "$out"
    "$bin" extract "$@" --output-dir "$out" >"$out.log" 2>&1 || rc=$?
    if ((rc != 0)); then
        cat "$out.log" >&2
        psb_die "pstore-blk extract $* exited $rc"
    fi
}
