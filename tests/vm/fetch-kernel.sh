#!/usr/bin/env bash
# Fetch Debian's stock kernel (image + headers) into the cache WITHOUT installing
# it on the host, and build tests/vm/oops-module against the unpacked headers.
#
# Usage: tests/vm/fetch-kernel.sh [ABI|SUITE]
#   ABI like 6.1.0-56 (the host's release, Debian 12) or 6.12.118+deb13
#   (Debian 13, fetched from trixie through a private apt configuration, see
#   psb_suite_apt in lib.sh); SUITE (e.g. trixie): the ABI that release's
#   linux-image-amd64 depends on. Default: $PSB_KERNEL_ABI, else the host's
#   linux-image-amd64.
# Prints the ABI on stdout. Cache: $PSB_VM_CACHE/stock/<ABI>/
#   root/boot/vmlinuz-<ABI>-amd64, root/lib/modules/<ABI>-amd64/, psb_oops.ko
# The host's gcc-12 builds the module for Debian 12 kernels; a Debian 13
# kernel's headers want gcc-14 and trixie's kbuild tools, so the module is
# built in a trixie chroot (build-root.sh; needs root).
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

psb_need_cmds apt-get apt-cache dpkg dpkg-deb depmod modprobe modinfo make
abi=${1:-${PSB_KERNEL_ABI:-}}
if [[ $abi =~ ^[a-z]+$ ]]; then
    abi=$(psb_default_abi "$abi")
elif [[ -z $abi ]]; then
    abi=$(psb_default_abi)
fi
[[ $abi =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9]+)$ ]] || psb_die "bad ABI '$abi' (want e.g. 6.1.0-56 or 6.12.118+deb13)"
suite=$(psb_abi_suite "$abi")
psb_stock_paths "$abi"
krel=$PSB_STOCK_KREL
if [[ $abi == *+deb* ]]; then
    kbuild=$abi          # 6.12.118+deb13: linux-kbuild-6.12.118+deb13
else
    kbuild=${abi%.*-*}   # 6.1.0-56: linux-kbuild-6.1
    psb_need_cmds gcc-12
fi

if [[ -f $PSB_STOCK_KERNEL && -f $PSB_STOCK_OOPS_KO && -f $PSB_STOCK_MODDIR/modules.dep ]]; then
    psb_log "stock kernel $krel already in cache"
    printf '%s\n' "$abi"
    exit 0
fi

PSB_APT_SUITE=$suite psb_apt_download "linux-image-$krel" "linux-headers-$krel"
ver=$(dpkg-deb -f "$(psb_deb_path "linux-headers-$krel")" Version)
PSB_APT_SUITE=$suite psb_apt_download "linux-headers-$abi-common=$ver" "linux-kbuild-$kbuild=$ver"
hdr_debs=()
for pkg in "linux-headers-$krel" "linux-headers-$abi-common" "linux-kbuild-$kbuild"; do
    deb=$(find "$PSB_CACHE/debs" -maxdepth 1 -name "${pkg}_${ver}_*.deb" | head -n1)
    [[ -n $deb ]] || psb_die "no cached .deb for $pkg $ver"
    hdr_debs+=("$deb")
done

root=$PSB_STOCK_ROOT
rm -rf "$root"
mkdir -p "$root"
kdeb=$(find "$PSB_CACHE/debs" -maxdepth 1 -name "linux-image-${krel}_${ver}_*.deb" | head -n1)
[[ -n $kdeb ]] || psb_die "no cached .deb for linux-image-$krel $ver"
psb_log "dpkg -x $(basename "$kdeb")"
dpkg -x "$kdeb" "$root"
printf 'linux-image-%s %s\n' "$krel" "$ver" >"$PSB_CACHE/stock/$abi/PACKAGE"
# Debian 13 is merged-/usr (modules in usr/lib/modules); the host's kmod
# (depmod -b, modprobe -d) looks in <root>/lib/modules.
if [[ -d $root/usr/lib/modules && ! -e $root/lib ]]; then
    ln -s usr/lib "$root/lib"
fi
depmod -b "$root" "$krel"
[[ -f $PSB_STOCK_KERNEL ]] || psb_die "no kernel image at $PSB_STOCK_KERNEL"

# Build the oops module out of tree, in the cache.
obuild=$PSB_CACHE/stock/$abi/oops-build
rm -rf "$obuild"
mkdir -p "$obuild"
cp "$PSB_VM_DIR/oops-module/psb_oops.c" "$PSB_VM_DIR/oops-module/Kbuild" "$PSB_VM_DIR/oops-module/Makefile" "$obuild/"
if [[ -z $suite ]]; then
    # Same release as the host: unpack the headers beside the image; their
    # Makefile includes the -common one by absolute path: point it there.
    for deb in "${hdr_debs[@]}"; do
        psb_log "dpkg -x $(basename "$deb")"
        dpkg -x "$deb" "$root"
    done
    hdr=$root/usr/src/linux-headers-$krel
    sed -i "s|^include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"
    psb_log "building psb_oops.ko against linux-headers-$krel"
    make -C "$obuild" KDIR="$hdr" >"$obuild/build.log" 2>&1 \
        || { cat "$obuild/build.log" >&2; psb_die "psb_oops module build failed"; }
else
    # Another release: its compiler and kbuild tools, in its build chroot.
    [[ $(id -u) == 0 ]] || psb_die "building psb_oops.ko for $krel needs root (a $suite chroot with gcc-14)"
    broot=$("$PSB_VM_DIR/build-root.sh" "$suite" | tail -n1)/root
    for deb in "${hdr_debs[@]}"; do
        psb_log "dpkg -x $(basename "$deb") into the $suite build chroot"
        dpkg -x "$deb" "$broot"
    done
    rm -rf "$broot/tmp/psb-oops"
    cp -r "$obuild" "$broot/tmp/psb-oops"
    psb_log "building psb_oops.ko against linux-headers-$krel in $broot"
    # No BTF for the test module (it would need pahole and the kernel's
    # vmlinux, which the headers do not ship); it loads the same without.
    chroot "$broot" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        make -C /tmp/psb-oops KDIR="/usr/src/linux-headers-$krel" CONFIG_DEBUG_INFO_BTF_MODULES= \
        >"$obuild/build.log" 2>&1 \
        || { cat "$obuild/build.log" >&2; psb_die "psb_oops module build in the $suite chroot failed"; }
    cp "$broot/tmp/psb-oops/psb_oops.ko" "$obuild/"
    rm -rf "$broot/tmp/psb-oops"
fi
cp "$obuild/psb_oops.ko" "$PSB_STOCK_OOPS_KO"
modinfo -F vermagic "$PSB_STOCK_OOPS_KO" | grep -q "^$krel " \
    || psb_die "psb_oops.ko vermagic does not match $krel"
psb_log "stock kernel $krel ready in $PSB_CACHE/stock/$abi"
printf '%s\n' "$abi"
