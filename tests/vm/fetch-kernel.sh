#!/usr/bin/env bash
# Fetch Debian's stock kernel (image + headers) into the cache WITHOUT installing
# it on the host, and build tests/vm/oops-module against the unpacked headers.
#
# Usage: tests/vm/fetch-kernel.sh [ABI]      (ABI like 6.1.0-56; default: the
#        ABI linux-image-amd64 depends on, or $PSB_KERNEL_ABI)
# Prints the ABI on stdout. Cache: $PSB_VM_CACHE/stock/<ABI>/
#   root/boot/vmlinuz-<ABI>-amd64, root/lib/modules/<ABI>-amd64/, psb_oops.ko
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

psb_need_cmds apt-get apt-cache dpkg dpkg-deb depmod modprobe modinfo make gcc-12
abi=${1:-${PSB_KERNEL_ABI:-}}
[[ -n $abi ]] || abi=$(psb_default_abi)
[[ $abi =~ ^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+$ ]] || psb_die "bad ABI '$abi' (want e.g. 6.1.0-56)"
psb_stock_paths "$abi"
krel=$PSB_STOCK_KREL
series=${abi%.*-*}   # 6.1.0-56 -> 6.1

if [[ -f $PSB_STOCK_KERNEL && -f $PSB_STOCK_OOPS_KO && -f $PSB_STOCK_MODDIR/modules.dep ]]; then
    psb_log "stock kernel $krel already in cache"
    printf '%s\n' "$abi"
    exit 0
fi

psb_apt_download "linux-image-$krel" "linux-headers-$krel"
ver=$(dpkg-deb -f "$(psb_deb_path "linux-headers-$krel")" Version)
psb_apt_download "linux-headers-$abi-common=$ver" "linux-kbuild-$series=$ver"

root=$PSB_STOCK_ROOT
rm -rf "$root"
mkdir -p "$root"
for pkg in "linux-image-$krel" "linux-headers-$krel" "linux-headers-$abi-common" "linux-kbuild-$series"; do
    deb=$(find "$PSB_CACHE/debs" -maxdepth 1 -name "${pkg}_${ver}_*.deb" | head -n1)
    [[ -n $deb ]] || psb_die "no cached .deb for $pkg $ver"
    psb_log "dpkg -x $(basename "$deb")"
    dpkg -x "$deb" "$root"
done
printf 'linux-image-%s %s\n' "$krel" "$ver" >"$PSB_CACHE/stock/$abi/PACKAGE"

# The headers' Makefile includes the -common one by absolute path: point it
# at the unpacked copy.
hdr=$root/usr/src/linux-headers-$krel
sed -i "s|^include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"

depmod -b "$root" "$krel"
[[ -f $PSB_STOCK_KERNEL ]] || psb_die "no kernel image at $PSB_STOCK_KERNEL"

# Build the oops module out of tree, in the cache.
obuild=$PSB_CACHE/stock/$abi/oops-build
rm -rf "$obuild"
mkdir -p "$obuild"
cp "$PSB_VM_DIR/oops-module/psb_oops.c" "$PSB_VM_DIR/oops-module/Kbuild" "$PSB_VM_DIR/oops-module/Makefile" "$obuild/"
psb_log "building psb_oops.ko against linux-headers-$krel"
make -C "$obuild" KDIR="$hdr" >"$obuild/build.log" 2>&1 \
    || { cat "$obuild/build.log" >&2; psb_die "psb_oops module build failed"; }
cp "$obuild/psb_oops.ko" "$PSB_STOCK_OOPS_KO"
modinfo -F vermagic "$PSB_STOCK_OOPS_KO" | grep -q "^$krel " \
    || psb_die "psb_oops.ko vermagic does not match $krel"
psb_log "stock kernel $krel ready in $PSB_CACHE/stock/$abi"
printf '%s\n' "$abi"
