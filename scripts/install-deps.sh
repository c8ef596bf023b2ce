#!/bin/bash
# Installs the Debian packages pstore-blk needs, in tiers (Debian 12 bookworm and
# Debian 13 trixie have every name below; tests/distro checks trixie):
#   install-deps.sh          build the tool (scripts/demo.sh)
#   install-deps.sh --test   + unit/CLI/golden/image/package/style tests
#   install-deps.sh --vm     + the QEMU end-to-end tests and the distribution test
#                            (scripts/test.sh)
#   install-deps.sh --print [--test|--vm]   print the package names, install nothing
# Run as root (or through sudo). Safe to re-run.
set -euo pipefail

build_pkgs=(
  g++ cmake make pkg-config     # toolchain
  libblkid-dev libfdisk-dev     # partition tables, signatures (device layer)
  zlib1g-dev                    # raw-deflate records (format layer)
  libdeflate-dev                # whole-record inflate, about twice zlib's speed (format layer)
  liblzma-dev                   # capture-load: .ko.xz kernel modules into the capture initramfs (sysconf layer)
  libcli11-dev                  # command line (cli layer)
  nlohmann-json3-dev            # --json output
  libfmt-dev                    # text formatting (cli layer)
  xz-utils                      # the demo and the tests read the xz-compressed fixtures
  dpkg-dev file                 # CPack's .deb: dpkg-shlibdeps finds the runtime dependencies
)
test_pkgs=(
  catch2                        # unit tests (v2 on Debian 12, v3 on Debian 13)
  python3                       # tests check --json output
  clang libclang-rt-dev         # libFuzzer targets (tests/fuzz, scripts/fuzz.sh)
  time                          # tests measure peak memory (/usr/bin/time)
  fdisk e2fsprogs util-linux    # image tests build partitioned disks
  groff-base man-db bsdextrautils asciidoctor  # the man page test renders it and checks it is not stale
  clang-format                  # style test
  lintian                       # package test checks the .deb
  strace                        # kill test: SIGKILL setup at every state-changing system call
  ccache                        # scripts/build.sh: rebuilds (CI, the distribution test) reuse objects
)
vm_pkgs=(
  qemu-system-x86 ovmf busybox-static cpio kmod gcc-12 bc flex bison libelf-dev libssl-dev
  debootstrap ca-certificates
)
print=0
if [[ "${1:-}" == --print ]]; then
  print=1
  shift
fi
pkgs=("${build_pkgs[@]}")
case "${1:-}" in
  "") ;;
  --test) pkgs+=("${test_pkgs[@]}") ;;
  --vm) pkgs+=("${test_pkgs[@]}" "${vm_pkgs[@]}") ;;
  *)
    echo "usage: install-deps.sh [--print] [--test|--vm]" >&2
    exit 2
    ;;
esac
if ((print)); then
  printf '%s\n' "${pkgs[@]}"
  exit 0
fi

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
