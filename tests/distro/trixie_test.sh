#!/bin/bash
# Distribution test: a fresh, minimal Debian 13 (trixie) runs the README's two
# commands as root in a chroot, then builds the Debian 13 package there and
# installs it with apt. Any error fails the test.
#
# The pristine root comes from `debootstrap --variant=minbase` and is cached
# outside the repository, in ${PSB_DISTRO_CACHE:-~/.cache/pstore-blk-distro}/
# SUITE-minbase-YYYYMMDD (made again when older than PSB_DISTRO_MAX_AGE_DAYS,
# default 30). Each run starts from a fresh copy of it, so nothing a previous
# run installed is there; apt's downloaded packages persist across runs in
# archives-SUITE/ (bind-mounted on /var/cache/apt/archives), and so do ccache's
# objects in ccache-SUITE/ (on /root/.cache/ccache).
# The tree copied in is the working tree's files known to git (tracked, or new
# and not ignored): no build directories.
# usage: trixie_test.sh SOURCE_DIR        (needs root; exit 77 otherwise)
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "distro: needs root (debootstrap, chroot, mount): skipped"
  exit 77
fi
src=$(realpath "$1")
suite=trixie
mirror=${PSB_DISTRO_MIRROR:-http://deb.debian.org/debian}
cache=${PSB_DISTRO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pstore-blk-distro}
max_age=${PSB_DISTRO_MAX_AGE_DAYS:-30}
archives="$cache/archives-$suite"
work="$cache/run-$suite"
mkdir -p "$archives/partial"
t0=$SECONDS
step() { echo "=== distro [$((SECONDS - t0))s]: $*"; }

# --- pristine root (cached) ---
oldest=$(date -u -d "-$max_age days" +%Y%m%d)
pristine=""
for d in "$cache/$suite-minbase-"????????; do
  [[ -d $d && ${d##*-} -ge $oldest ]] && pristine=$d
done
if [[ -z $pristine ]]; then
  pristine="$cache/$suite-minbase-$(date -u +%Y%m%d)"
  step "debootstrap $suite into $pristine"
  rm -rf --one-file-system "$pristine.partial"
  debootstrap --variant=minbase --cache-dir="$archives" "$suite" "$pristine.partial" "$mirror"
  mv "$pristine.partial" "$pristine"
  for d in "$cache/$suite-minbase-"????????; do
    [[ $d == "$pristine" ]] || rm -rf --one-file-system "$d"
  done
fi
step "pristine root $pristine"

# --- fresh copy, mounts undone on every exit path ---
mounts=()
cleanup() {
  local i
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" || true
  done
  if findmnt -rn -o TARGET | grep -q "^$work/"; then
    echo "distro: mounts under $work remain; not removing it" >&2
  else
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT
if findmnt -rn -o TARGET | grep -q "^$work/"; then
  echo "distro: $work still has mounts from an earlier run; unmount them first" >&2
  exit 1
fi
rm -rf --one-file-system "$work"
cp -a --reflink=auto "$pristine" "$work"
mnt() { # mnt TARGET mount-args...
  mount "${@:2}" "$work$1"
  mounts+=("$work$1")
}
mnt /proc -t proc proc
mnt /sys -t sysfs sysfs
mnt /dev --bind /dev
mnt /dev/pts --bind /dev/pts
mkdir -p "$work/var/cache/apt/archives"
mnt /var/cache/apt/archives --bind "$archives"
# ccache's objects persist across runs too (scripts/build.sh uses ccache once
# install-deps.sh --test has installed it): a warm run recompiles what changed.
mkdir -p "$cache/ccache-$suite" "$work/root/.cache/ccache"
mnt /root/.cache/ccache --bind "$cache/ccache-$suite"
cp -L /etc/resolv.conf "$work/etc/resolv.conf"

repo="$work/root/pstore-blk"
mkdir -p "$repo"
(cd "$src" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
  tar -c --null -T - -f -) | tar -x -C "$repo"

in_root() { # in_root COMMAND: bash -c COMMAND as root in the chroot, in the repository
  chroot "$work" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "set -euo pipefail; cd /root/pstore-blk; $1"
}
in_root 'grep -E "^(PRETTY_NAME|VERSION_ID)=" /etc/os-release'

step "install-deps.sh's package names exist in $suite"
in_root 'apt-get update -q >/dev/null
missing=()
for p in $(./scripts/install-deps.sh --print --vm); do
  apt-cache show "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then echo "not in this release: ${missing[*]}" >&2; exit 1; fi'

step "README first command: ./scripts/demo.sh"
in_root './scripts/demo.sh'

step "README second command: PSB_CTEST_ARGS=\"-LE 'vm|distro'\" ./scripts/test.sh"
in_root "PSB_SKIP_SANITIZERS=${PSB_DISTRO_SKIP_SANITIZERS:-1} PSB_SKIP_FUZZ=1 PSB_CTEST_ARGS=\"-LE 'vm|distro'\" ./scripts/test.sh"

step "package for $suite: build, install with apt, run"
in_root 'deb=$(./scripts/package.sh)
echo "built $deb"; dpkg-deb -f "$deb" Package Version Depends
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$deb"
pstore-blk --version
man -w pstore-blk
test -f /usr/share/doc/pstore-blk/copyright
test -f /usr/share/doc/pstore-blk/changelog.Debian.gz'
step "passed"
