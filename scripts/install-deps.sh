#!/bin/bash
# Installs the Debian 12 packages pstore-blk needs to build and test.
#   install-deps.sh          build + unit/CLI/golden tests
#   install-deps.sh --vm     also the QEMU end-to-end tests (qemu, busybox, ...)
# Run as root (or through sudo). Safe to re-run.
set -euo pipefail

build_pkgs=(
  g++ cmake make pkg-config     # toolchain
  libblkid-dev libfdisk-dev     # partition tables, signatures (device layer)
  zlib1g-dev                    # raw-deflate records (format layer)
  libcli11-dev                  # command line (cli layer)
  nlohmann-json3-dev            # --json output
  libfmt-dev                    # text formatting (cli layer)
  catch2                        # unit tests (v2)
  liblzma-dev xz-utils          # tests read the xz-compressed fixtures
  python3                       # tests check --json output
  clang libclang-rt-dev         # libFuzzer targets (tests/fuzz, scripts/fuzz.sh)
  time                          # tests measure peak memory (/usr/bin/time)
  fdisk e2fsprogs util-linux    # image tests build partitioned disks
  dpkg-dev file                 # CPack's .deb: dpkg-shlibdeps finds the runtime dependencies
  groff-base man-db bsdextrautils asciidoctor  # the man page test renders it and checks it is not stale
)
vm_pkgs=(
  qemu-system-x86 ovmf busybox-static cpio kmod gcc-12 bc flex bison libelf-dev libssl-dev debootstrap
  ca-certificates
)
pkgs=("${build_pkgs[@]}")
if [[ "${1:-}" == --vm ]]; then pkgs+=("${vm_pkgs[@]}"); fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  # The QEMU tests download kernel packages with apt-get download: keep the lists fresh.
  if [[ "${1:-}" == --vm ]] && ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
    "${sudo[@]}" apt-get update -q
  fi
fi
