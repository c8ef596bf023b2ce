#!/usr/bin/env bash
# Build (once, cached) a real Debian system disk image for the end-to-end
# tests: Debian 12 for e2e-debian.sh, Debian 13 for e2e-trixie.sh.
#
# Usage: tests/vm/debian-rootfs.sh [SUITE]   (bookworm, the default, or trixie)
#        prints the cache directory on stdout
#
# debootstrap --variant=minbase SUITE, plus systemd-sysv, systemd, udev,
# kmod, util-linux, fdisk, e2fsprogs, initramfs-tools and the libraries the
# project binary links that minbase lacks, then Debian's stock kernel for
# SUITE (the .deb fetch-kernel.sh downloaded: bookworm's from the host's apt
# sources, trixie's through a private apt configuration; both may come from
# SUITE-security, which debootstrap does not use) installed with dpkg in the
# chroot, so its postinst builds Debian's own initramfs. Configured for
# unattended boots: fixed machine-id (no first-boot prompts), fstab mounting
# root by its file system label (the same image boots from virtio or NVMe),
# empty root password on the serial console, and psb-job.service
# (tests/vm/debian-job.sh as /usr/local/sbin/psb-job), which runs the job the
# host hands over on the disk with serial "psbjob" at every boot.
#
# Output in $PSB_VM_CACHE/debian/<SUITE>-<ABI>-<key>/ (never in the repository):
#   disk.img     raw GPT disk: partition 1 = ext4 root (made with mkfs.ext4 -d,
#                no loop device or mount needed), free space after it
#   vmlinuz, initrd.img   copied out of the root's /boot for -kernel/-initrd
#   KREL, PACKAGES (dpkg -l of the root), build.log
# <key> hashes this script, debian-job.sh, the suite and the ABI: editing
# either rebuilds. Env: PSB_KERNEL_ABI (bookworm only; trixie takes the ABI
# its linux-image-amd64 depends on), PSB_DEBIAN_MIRROR (default: the first
# deb.debian.org/debian-like URI in /etc/apt/sources*). Needs root
# (debootstrap, chroot) and the debootstrap package (installed with apt-get
# when missing).
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $(id -u) == 0 ]] || psb_die "debian-rootfs.sh needs root (debootstrap, chroot)"
if ! command -v debootstrap >/dev/null 2>&1; then
    psb_log "installing debootstrap (apt-get install debootstrap)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >/dev/null \
        || psb_die "cannot install debootstrap"
fi
psb_need_cmds debootstrap chroot mkfs.ext4 sfdisk dpkg-deb md5sum

suite=${1:-bookworm}
case $suite in
bookworm)
    abi=${PSB_KERNEL_ABI:-}
    [[ -n $abi ]] || abi=$(psb_default_abi)
    # Libraries of the project binary that minbase lacks.
    libs=libfmt9,libblkid1,libfdisk1,zlib1g,libdeflate0,libstdc++6
    ;;
trixie)
    abi=$(psb_default_abi trixie)
    # Trixie has libfmt10, not the libfmt9 a binary built on Debian 12
    # links: e2e-trixie.sh ships that library with the binary.
    libs=libfmt10,libblkid1,libfdisk1,zlib1g,libdeflate0,libstdc++6
    ;;
*) psb_die "unknown suite '$suite' (bookworm or trixie)" ;;
esac
krel=$abi-amd64
key=$(cat "$0" "$PSB_VM_DIR/debian-job.sh" <(echo "$abi $suite") | md5sum | cut -c1-12)
out=$PSB_CACHE/debian/$suite-$abi-$key
if [[ -f $out/.complete ]]; then
    psb_log "Debian root image in cache: $out"
    printf '%s\n' "$out"
    exit 0
fi

mkdir -p "$PSB_CACHE/debian"
exec {lockfd}>"$PSB_CACHE/debian/.build.lock"
flock "$lockfd"
if [[ -f $out/.complete ]]; then
    printf '%s\n' "$out"
    exit 0
fi

mirror=$(psb_debian_mirror)

# Older images of this suite (another ABI or an edited recipe) are 1.5 GB
# each: drop them.
find "$PSB_CACHE/debian" -mindepth 1 -maxdepth 1 -type d -name "$suite-*" ! -path "$out" -exec rm -rf {} +
rm -rf "$out"
mkdir -p "$out"
root=$out/root
log=$out/build.log
mounted=()
cleanup() {
    local m
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        m=${mounted[i]}
        umount -l "$m" 2>/dev/null || true
    done
}
trap cleanup EXIT

t0=$(date +%s)
psb_log "debootstrap $suite from $mirror into $root (log: $log)"
# busybox-static: the capture initramfs of setup --capture-panics needs it.
include=systemd-sysv,systemd,udev,kmod,util-linux,fdisk,e2fsprogs,initramfs-tools,linux-base,zstd,busybox-static
include+=,$libs
mkdir -p "$PSB_CACHE/debootstrap-$suite"
debootstrap --variant=minbase --cache-dir="$PSB_CACHE/debootstrap-$suite" --include="$include" \
    "$suite" "$root" "$mirror" >"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; psb_die "debootstrap failed (log: $log)"; }
psb_log "debootstrap done in $(($(date +%s) - t0))s"

# The stock kernel .deb, downloaded by fetch-kernel.sh (shared cache).
flock "$PSB_CACHE/.fetch-kernel.lock" "$PSB_VM_DIR/fetch-kernel.sh" "$abi" >/dev/null
kdeb=$(find "$PSB_CACHE/debs" -maxdepth 1 -name "linux-image-${krel}_*.deb" | sort -V | tail -n1)
[[ -n $kdeb ]] || psb_die "no cached linux-image-$krel .deb"

# Stock kernel with Debian's initramfs (postinst runs update-initramfs).
for m in proc sys dev; do
    mount --bind "/$m" "$root/$m"
    mounted+=("$root/$m")
done
cp "$kdeb" "$root/tmp/kernel.deb"
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/kernel.deb >>"$log" 2>&1 \
    || { tail -n 30 "$log" >&2; psb_die "dpkg -i $(basename "$kdeb") in the chroot failed (log: $log)"; }
rm -f "$root/tmp/kernel.deb"
[[ -f $root/boot/initrd.img-$krel ]] || psb_die "the kernel's postinst made no /boot/initrd.img-$krel (log: $log)"
cleanup
mounted=()

# Unattended boots.
printf '%s\n' psb-debian >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 psb-debian\n' >"$root/etc/hosts"
printf 'LABEL=debian-root / ext4 errors=remount-ro 0 1\n' >"$root/etc/fstab"
# A fixed machine-id: an empty one makes systemd treat every boot as the
# first (systemd-firstboot prompts on the console).
printf '5053422d00004000800000000000d12a\n' >"$root/etc/machine-id"
chroot "$root" passwd -d root >>"$log" 2>&1
install -m 0755 "$PSB_VM_DIR/debian-job.sh" "$root/usr/local/sbin/psb-job"
cat >"$root/etc/systemd/system/psb-job.service" <<'EOF'
# pstore-blk test harness (tests/vm/debian-job.sh): runs the job the host
# hands over as a tar on the disk with serial "psbjob", then powers off.
[Unit]
Description=pstore-blk VM test job
After=multi-user.target
ConditionPathExists=/dev/disk/by-id/virtio-psbjob

[Service]
Type=simple
ExecStart=/usr/local/sbin/psb-job
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/psb-job.service "$root/etc/systemd/system/multi-user.target.wants/psb-job.service"
# Nothing periodic that could run during a test boot.
for t in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer; do
    rm -f "$root/etc/systemd/system/timers.target.wants/$t"
done
chroot "$root" dpkg -l >"$out/PACKAGES" 2>/dev/null || true
cp "$root/boot/vmlinuz-$krel" "$out/vmlinuz"
cp "$root/boot/initrd.img-$krel" "$out/initrd.img"
printf '%s\n' "$krel" >"$out/KREL"
rm -rf "$root/var/cache/apt/archives/"*.deb

# The disk: GPT, partition 1 = ext4 root sized to the tree plus headroom,
# then 96 MiB of free space for `pstore-blk setup` to add a partition in.
used=$(du -sm "$root" | cut -f1)
part_mib=$((used + used / 2 + 256))
disk_mib=$((part_mib + 1 + 96))
img=$out/disk.img
truncate -s "${disk_mib}M" "$img"
printf 'label: gpt\n\nstart=2048, size=%dMiB, type=linux, name=root\n' "$part_mib" \
    | sfdisk --quiet --no-reread --no-tell-kernel "$img" >/dev/null
fs=$out/root.ext4
truncate -s "${part_mib}M" "$fs"
mkfs.ext4 -q -F -L debian-root -d "$root" "$fs" >>"$log" 2>&1 \
    || psb_die "mkfs.ext4 -d failed (log: $log)"
dd if="$fs" of="$img" bs=1M seek=1 conv=notrunc,sparse status=none
rm -f "$fs"
rm -rf "$root"
touch "$out/.complete"
psb_log "Debian root image ready in $(($(date +%s) - t0))s: $img (${disk_mib} MiB, root ${part_mib} MiB)"
printf '%s\n' "$out"
