#!/usr/bin/env bash
# Build the small custom x86_64 kernel used by the custom-kernel fixtures
# (pmsg-console-ftrace, builtin-partuuid) from Debian's linux-source-6.1:
#   make tinyconfig + tests/vm/custom-kernel.config, everything built in.
#
# Usage: tests/vm/build-custom-kernel.sh [--force]
# Output (cached, outside the repo): $PSB_VM_CACHE/custom/out/{bzImage,System.map,config,VERSION}
# Takes ~4-8 minutes with 2 cores. Never run by CI: the output is cached and
# only the fixtures it produced are committed.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

force=0
[[ ${1:-} == --force ]] && force=1

psb_need_cmds apt-get dpkg dpkg-deb make gcc bc flex bison xz tar
[[ -e /usr/include/libelf.h ]] || psb_die "libelf-dev is needed (apt-get install libelf-dev)"

psb_custom_paths
fragment=$PSB_VM_DIR/custom-kernel.config
psb_apt_download linux-source-6.1
deb=$(psb_deb_path linux-source-6.1)
srcver=$(dpkg-deb -f "$deb" Version)
stamp="$srcver $(sha256sum "$fragment" | cut -d' ' -f1)"

if ((force == 0)) && [[ -f $PSB_CUSTOM_KERNEL && -f $PSB_CUSTOM_OUT/STAMP ]] \
    && [[ $(cat "$PSB_CUSTOM_OUT/STAMP") == "$stamp" ]]; then
    psb_log "custom kernel already built: $PSB_CUSTOM_KERNEL ($(cat "$PSB_CUSTOM_OUT/VERSION"))"
    exit 0
fi

srcroot=$PSB_CACHE/custom/src-$srcver
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

build=$PSB_CACHE/custom/build
rm -rf "$build"
mkdir -p "$build"
export KBUILD_BUILD_USER=psb KBUILD_BUILD_HOST=psb
mk() { make -C "$srcroot/linux" O="$build" ARCH=x86_64 "$@"; }

psb_log "configuring (tinyconfig + $fragment)"
mk tinyconfig >/dev/null
"$srcroot/linux/scripts/kconfig/merge_config.sh" -m -O "$build" "$build/.config" "$fragment" >/dev/null
printf 'CONFIG_LOCALVERSION="-psb-tiny"\n# CONFIG_LOCALVERSION_AUTO is not set\n' >>"$build/.config"
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
mk -j"$(nproc)" bzImage >"$PSB_CACHE/custom/build.log" 2>&1 \
    || { tail -n 30 "$PSB_CACHE/custom/build.log" >&2; psb_die "kernel build failed (log: $PSB_CACHE/custom/build.log)"; }
t1=$(date +%s)

mkdir -p "$PSB_CUSTOM_OUT"
cp "$build/arch/x86/boot/bzImage" "$PSB_CUSTOM_KERNEL"
cp "$build/System.map" "$PSB_CUSTOM_SYSMAP"
cp "$build/.config" "$PSB_CUSTOM_CONFIG"
mk -s kernelrelease >"$PSB_CUSTOM_OUT/VERSION"
printf 'linux-source-6.1 %s\n' "$srcver" >"$PSB_CUSTOM_OUT/SOURCE"
printf '%s\n' "$stamp" >"$PSB_CUSTOM_OUT/STAMP"
psb_log "built $(cat "$PSB_CUSTOM_OUT/VERSION") in $((t1 - t0)) s: $PSB_CUSTOM_KERNEL"
