#!/usr/bin/env bash
# A small cached build chroot of another Debian release, for compiling
# out-of-tree modules against that release's kernel headers (trixie's 6.12
# headers want gcc-14 and run kbuild helpers linked against trixie's libc,
# neither of which a Debian 12 host has).
#
# Usage: tests/vm/build-root.sh SUITE     prints the chroot's directory on stdout
#
# debootstrap --variant=minbase SUITE + gcc-14, make, libc6-dev and the
# libraries linux-kbuild links (libelf, libssl, zlib). Kernel headers are not
# installed here: fetch-kernel.sh unpacks the exact ones it needs with dpkg -x.
# Output: $PSB_VM_CACHE/build-root/<SUITE>-<key>/ (key hashes this script).
# Package downloads are shared with debian-rootfs.sh through
# $PSB_VM_CACHE/debootstrap-<SUITE>/ (debootstrap --cache-dir).
# Needs root (debootstrap, chroot). Env: PSB_DEBIAN_MIRROR.
set -euo pipefail
# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(($# == 1)) || psb_die "usage: $0 SUITE"
suite=$1
[[ $(id -u) == 0 ]] || psb_die "build-root.sh needs root (debootstrap, chroot)"
psb_need_cmds debootstrap chroot md5sum

key=$(cat "$0" <(echo "$suite") | md5sum | cut -c1-12)
out=$PSB_CACHE/build-root/$suite-$key
if [[ -f $out/.complete ]]; then
    printf '%s\n' "$out"
    exit 0
fi
mkdir -p "$PSB_CACHE/build-root"
exec {lockfd}>"$PSB_CACHE/build-root/.lock"
flock "$lockfd"
if [[ -f $out/.complete ]]; then
    printf '%s\n' "$out"
    exit 0
fi
find "$PSB_CACHE/build-root" -mindepth 1 -maxdepth 1 -type d -name "$suite-*" ! -path "$out" -exec rm -rf {} +
rm -rf "$out"
mkdir -p "$out" "$PSB_CACHE/debootstrap-$suite"
t0=$(date +%s)
psb_log "debootstrap $suite build chroot into $out/root (log: $out/build.log)"
debootstrap --variant=minbase --cache-dir="$PSB_CACHE/debootstrap-$suite" \
    --include=gcc-14,make,libc6-dev,libelf1t64,libssl3t64,zlib1g \
    "$suite" "$out/root" "$(psb_debian_mirror)" >"$out/build.log" 2>&1 \
    || { tail -n 30 "$out/build.log" >&2; psb_die "debootstrap $suite failed (log: $out/build.log)"; }
rm -rf "$out/root/var/cache/apt/archives/"*.deb
touch "$out/.complete"
psb_log "$suite build chroot ready in $(($(date +%s) - t0))s"
printf '%s\n' "$out"
