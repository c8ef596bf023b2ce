#!/bin/bash
# pstore-blk capture-load --initramfs-out on a system tree built here (--root):
# the host's static busybox, a sysfs virtio chain for vda2 (virtio_pci,
# virtio_blk as modules), a modules.dep with .ko.xz and plain .ko files. The
# archive must unpack with gzip + cpio to the expected members, its modules
# in dependency order and decompressed, and (as root) the pstore-blk and sh
# in it must run under chroot with only what the archive holds. Refusals: a
# dynamic busybox, no crashkernel= reservation.
#
# usage: capture_load_test.sh PSTORE_BLK [--preserve]
# Exit 77 (skipped) without busybox-static or cpio.
set -uo pipefail

PSB=$(realpath "$1")
preserve=${2:-}
command -v cpio >/dev/null || { echo "skip: no cpio"; exit 77; }
[[ -x /bin/busybox ]] || { echo "skip: no /bin/busybox (apt-get install busybox-static)"; exit 77; }
if readelf -l /bin/busybox 2>/dev/null | grep -q INTERP; then
  echo "skip: /bin/busybox is dynamically linked (apt-get install busybox-static)"
  exit 77
fi
# shellcheck source=tests/cli/check.inc
. "$(dirname "$0")/check.inc"

root=$scratch/root
rel=6.12.99-test-amd64
mods=$root/lib/modules/$rel
pci=$root/sys/devices/pci0000:00/0000:00:04.0
mkdir -p "$root/proc/sys/kernel" "$root/bin" "$mods/kernel/drivers/virtio" "$mods/kernel/drivers/block" \
  "$pci/virtio1/block/vda/vda2" "$root/sys/class/block" "$root/sys/module/virtio_pci" \
  "$root/sys/module/virtio_blk" "$root/sys/bus/pci/drivers/virtio-pci" \
  "$root/sys/bus/virtio/drivers/virtio_blk" "$root/sys/kernel"
echo "$rel" >"$root/proc/sys/kernel/osrelease"
echo "BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro console=ttyS0,115200 quiet crashkernel=256M" >"$root/proc/cmdline"
cp /bin/busybox "$root/bin/busybox"
ln -s ../../devices/pci0000:00/0000:00:04.0/virtio1/block/vda/vda2 "$root/sys/class/block/vda2"
ln -s ../../../../module/virtio_pci "$root/sys/bus/pci/drivers/virtio-pci/module"
ln -s ../../../../module/virtio_blk "$root/sys/bus/virtio/drivers/virtio_blk/module"
ln -s ../../../bus/pci/drivers/virtio-pci "$pci/driver"
ln -s ../../../../bus/virtio/drivers/virtio_blk "$pci/virtio1/driver"
cat >"$mods/modules.dep" <<'DEP'
kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/virtio_ring.ko
kernel/drivers/virtio/virtio_ring.ko:
kernel/fs/pstore/pstore_blk.ko.xz: kernel/fs/pstore/pstore_zone.ko.xz
DEP
echo "module virtio_ring" >"$mods/kernel/drivers/virtio/virtio_ring.ko"
echo "module virtio_pci" | xz -c >"$mods/kernel/drivers/virtio/virtio_pci.ko.xz"
echo "module virtio_blk" | xz -c >"$mods/kernel/drivers/block/virtio_blk.ko.xz"

# 1. The archive.
out=$scratch/capture.cpio.gz
"$PSB" capture-load /dev/vda2 --root "$root" --append loglevel=7 --initramfs-out "$out" \
  >"$scratch/out.txt" 2>"$scratch/err.txt"
rc=$?
check "capture-load --initramfs-out exits 0 (rc $rc: $(cat "$scratch/err.txt"))" test "$rc" = 0
check "prints the capture command line" \
  grep -qx 'cmdline:     console=ttyS0,115200 reset_devices nr_cpus=1 irqpoll nousb panic=10 loglevel=7' "$scratch/out.txt"
check "prints the modules in load order" grep -qx 'modules:     virtio_ring virtio_pci virtio_blk' "$scratch/out.txt"
gzip -dc "$out" | cpio -it --quiet >"$scratch/members" 2>"$scratch/cpio.err"
check "gzip -dc | cpio -it reads it" test -s "$scratch/members"
for m in init bin/busybox bin/sh bin/pstore-blk lib/modules/psb/10-virtio_ring.ko \
  lib/modules/psb/11-virtio_pci.ko lib/modules/psb/12-virtio_blk.ko proc sys dev; do
  check "member $m" grep -qx "$m" "$scratch/members"
done
check "no pstore module" bash -c "! grep -q pstore_ '$scratch/members'"
interp=$(readelf -l "$PSB" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[[ -z $interp ]] || check "the ELF interpreter $interp" grep -qx "${interp#/}" "$scratch/members"
for lib in $(ldd "$PSB" | awk '$2 == "=>" {print $1}'); do
  check "library $lib (by its soname)" grep -q "/$lib\$" "$scratch/members"
done
mkdir "$scratch/unpacked"
(cd "$scratch/unpacked" && gzip -dc "$out" | cpio -id --quiet 2>/dev/null)
check "virtio_pci.ko.xz stored decompressed" \
  grep -qx 'module virtio_pci' "$scratch/unpacked/lib/modules/psb/11-virtio_pci.ko"
check "/init runs capture-panic on /dev/vda2" \
  grep -qF "/bin/pstore-blk capture-panic '/dev/vda2' --vmcore /proc/vmcore" "$scratch/unpacked/init"
check "/init ends in reboot -f" grep -q 'reboot -f' "$scratch/unpacked/init"
check "/init is executable" test -x "$scratch/unpacked/init"
chroot=$(PATH=/usr/sbin:/sbin:$PATH command -v chroot)
if ((EUID == 0)) && [[ -n $chroot ]]; then
  # An ASan build's runtime reads /proc/self/maps at start-up, and the
  # archive has no /proc until its /init mounts one: that build is not run.
  if ldd "$PSB" | grep -q libasan; then
    echo "skip pstore-blk runs in the unpacked archive (sanitizer build needs /proc)"
  else
    check "pstore-blk runs in the unpacked archive" \
      env -i "$chroot" "$scratch/unpacked" /bin/pstore-blk --version
  fi
  check "/bin/sh runs in the unpacked archive" env -i "$chroot" "$scratch/unpacked" /bin/sh -c true
  check "/init is valid sh" env -i "$chroot" "$scratch/unpacked" /bin/sh -n /init
fi

# 2. Refusals.
echo 0 >"$root/sys/kernel/kexec_crash_size"
echo 0 >"$root/sys/kernel/kexec_crash_loaded"
"$PSB" capture-load /dev/vda2 --root "$root" >"$scratch/out2.txt" 2>"$scratch/err2.txt"
rc=$?
check "no reservation: exit 1 (rc $rc)" test "$rc" = 1
check "no reservation: says crashkernel=" grep -q 'crashkernel=' "$scratch/err2.txt"
cp /bin/true "$root/bin/busybox"
"$PSB" capture-load /dev/vda2 --root "$root" --initramfs-out "$scratch/x.gz" 2>"$scratch/err3.txt"
rc=$?
check "dynamic busybox: exit 1 (rc $rc)" test "$rc" = 1
check "dynamic busybox: names busybox-static" grep -q 'busybox-static' "$scratch/err3.txt"
check "dynamic busybox: no archive" test ! -e "$scratch/x.gz"

# 3. capture-panic still runs capture-panic (each command sets its action in
# its own callback; the command attached last must not take the others').
"$PSB" capture-panic /nonexistent --log /dev/null >"$scratch/out4.txt" 2>&1
check "capture-panic is not capture-load" bash -c "! grep -q 'initramfs:' '$scratch/out4.txt'"
check "capture-panic names its target" grep -q '/nonexistent' "$scratch/out4.txt"

exit "$fail"
