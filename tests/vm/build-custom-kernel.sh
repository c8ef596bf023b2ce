#!/usr/bin/env bash
# Build the small custom kernel used by the custom-kernel fixtures
# (pmsg-console-ftrace, builtin-partuuid, all-frontends-32bit) from
# Debian's linux-source-6.1: make tinyconfig + tests/vm/custom-kernel.config,
# everything built in. PSB_ARCH=i386 builds the 32-bit x86 kernel instead
# (ARCH=i386, the fragment without CONFIG_64BIT, release suffix -psb-tiny-i386):
# the only kernel-written source of a 32-bit pstore ABI here.
#
# Usage: [PSB_ARCH=i386] tests/vm/build-custom-kernel.sh [--force]
# Output (cached, outside the repo): $PSB_VM_CACHE/custom/out/{bzImage,System.map,config,VERSION}
# (custom-i386/out/ for i386)
# Takes ~4-8 minutes with 2 cores. Never run by CI: the output is cached and
# only the fixtures it produced are committed.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
[[ ${1:-} == --force ]] && force=1

psb_need_cmds apt-get dpkg dpkg-deb make gcc bc flex bison xz tar
[[ -e /usr/include/libelf.h ]] || psb_die "libelf-dev is needed (apt-get install libelf-dev)"

arch=${PSB_ARCH:-x86_64}
case $arch in x86_64 | i386) ;; *) psb_die "PSB_ARCH must be x86_64 or i386" ;; esac
psb_custom_paths
fragment=$PSB_VM_DIR/custom-kernel.config
suffix=-psb-tiny
if [[ $arch == i386 ]]; then
    mkdir -p "$PSB_CUSTOM_DIR"
    grep -v '^CONFIG_64BIT=' "$PSB_VM_DIR/custom-kernel.config" >"$PSB_CUSTOM_DIR/fragment.config"
    fragment=$PSB_CUSTOM_DIR/fragment.config
    suffix=-psb-tiny-i386
fi
psb_apt_download linux-source-6.1
deb=$(psb_deb_path linux-source-6.1)
srcver=$(dpkg-deb -f "$deb" Version)
stamp="$srcver $(sha256sum "$fragment" | cut -d' ' -f1)"

if ((force == 0)) && [[ -f $PSB_CUSTOM_KERNEL && -f $PSB_CUSTOM_OUT/STAMP ]] \
    && [[ $(cat "$PSB_CUSTOM_OUT/STAMP") == "$stamp" ]]; then
    psb_log "custom kernel already built: $PSB_CUSTOM_KERNEL ($(cat "$PSB_CUSTOM_OUT/VERSION"))"
    exit 0
fi

srcroot=$PSB_CACHE/custom/src-$srcver # shared by both architectures
if [[ ! -f $srcroot/linux/Makefile ]]; then
    psb_log "unpacking linux-source-6.1 $srcver"
    rm -rf "$srcroot"
    mkdir -p "$srcroot/deb"
    dpkg -x "$deb" "$srcroot/deb"
    tarball=$(find "$srcroot/deb/usr/src" -maxdepth 1 -name 'linux-source-*.tar.xz' | head -n1)
    [[ -n $tarball ]] || psb_die "no tarball in $deb"
    mkdir -p "$srcroot/linux.tmp"
    tar -xJf "$tarball" -C "$srcroot/linux.tmp" --strip-components=1
    mv "$srcroot/linux.tmp" "$srcroot/linux"
    rm -rf "$srcroot/deb"
fi

build=$PSB_CUSTOM_DIR/build
rm -rf "$build"
mkdir -p "$build"
export KBUILD_BUILD_USER=psb KBUILD_BUILD_HOST=psb
mk() { make -C "$srcroot/linux" O="$build" ARCH="$arch" "$@"; }

psb_log "configuring (tinyconfig + $fragment)"
mk tinyconfig >/dev/null
"$srcroot/linux/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$fragment" >/dev/null
printf 'CONFIG_LOCALVERSION="%s"\n# CONFIG_LOCALVERSION_AUTO is not set\n' "$suffix" >>"$build/.config"
mk olddefconfig >/dev/null

# Every =y line of the fragment must have survived olddefconfig.
bad=0
while IFS= read -r line; do
    [[ $line == CONFIG_*=y ]] || continue
    if ! grep -qx "$line" "$build/.config"; then
        psb_log "fragment option not in final .config: $line"
        bad=1
    fi
done <"$fragment"
((bad == 0)) || psb_die "config fragment not fully applied (see above)"

psb_log "building bzImage with make -j$(nproc) (several minutes)"
t0=$(date +%s)
mk -j"$(nproc)" bzImage >"$PSB_CUSTOM_DIR/build.log" 2>&1 \
    || { tail -n 30 "$PSB_CUSTOM_DIR/build.log" >&2; psb_die "kernel build failed (log: $PSB_CUSTOM_DIR/build.log)"; }
t1=$(date +%s)

mkdir -p "$PSB_CUSTOM_OUT"
cp "$build/arch/x86/boot/bzImage" "$PSB_CUSTOM_KERNEL"
cp "$build/System.map" "$PSB_CUSTOM_SYSMAP"
cp "$build/.config" "$PSB_CUSTOM_CONFIG"
mk -s kernelrelease >"$PSB_CUSTOM_OUT/VERSION"
printf 'linux-source-6.1 %s\n' "$srcver" >"$PSB_CUSTOM_OUT/SOURCE"
printf '%s\n' "$stamp" >"$PSB_CUSTOM_OUT/STAMP"
psb_log "built $(cat "$PSB_CUSTOM_OUT/VERSION") in $((t1 - t0)) s: $PSB_CUSTOM_KERNEL"
