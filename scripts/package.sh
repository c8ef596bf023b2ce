#!/bin/bash
# Builds the Debian package of pstore-blk for the release this runs on, from a
# Release build in build-release/ (stripped binary). Build it on each release you
# ship to: dpkg-shlibdeps then names that release's libraries (libfmt9 on
# Debian 12, libfmt10 on Debian 13), so one .deb does not fit both.
# Prints the path of the .deb.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
# Everything but the .deb's path goes to stderr: callers use $(scripts/package.sh).
"$src/scripts/install-deps.sh" >&2
BUILD_DIR="$src/build-release" BUILD_TYPE=Release "$src/scripts/build.sh" \
  -DPSB_BUILD_TESTS=OFF -DPSB_BUILD_BENCH=OFF >&2
cd "$src/build-release"
rm -f pstore-blk_*.deb
cpack >&2
ls "$src"/build-release/pstore-blk_*.deb
