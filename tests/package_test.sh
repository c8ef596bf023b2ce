#!/bin/bash
# cmake --install puts the binary, man page and completion in place, and
# CPack builds a .deb whose dependencies are Debian runtime libraries.
# usage: package_test.sh BUILD_DIR
set -uo pipefail
build=$(realpath "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
check() { if "${@:2}" >/dev/null 2>&1; then pass=$((pass + 1)); else echo "FAIL: $1" >&2; fail=$((fail + 1)); fi; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
check "install: sbin/pstore-blk" test -x "$tmp/prefix/sbin/pstore-blk"
check "install: man8 page" test -f "$tmp/prefix/share/man/man8/pstore-blk.8.gz"
check "install: man page decompresses to the committed one" cmp <(gzip -dc "$tmp/prefix/share/man/man8/pstore-blk.8.gz") "$(dirname "$0")/../man/pstore-blk.8"
check "install: bash completion" test -f "$tmp/prefix/share/bash-completion/completions/pstore-blk"
check "install: doc copyright" test -f "$tmp/prefix/share/doc/pstore-blk/copyright"
check "install: completion parses" bash -n "$tmp/prefix/share/bash-completion/completions/pstore-blk"

(cd "$build" && cpack -B "$tmp/pkg" >/dev/null 2>&1)
deb=$(ls "$tmp"/pkg/pstore-blk_*.deb 2>/dev/null | head -n1)
check "cpack built a .deb" test -f "$deb"
if [[ -f "$deb" ]]; then
  depends=$(dpkg-deb -f "$deb" Depends)
  for lib in libblkid1 libfdisk1 zlib1g libdeflate0 libstdc++6; do
    check "Depends names $lib ($depends)" grep -q "$lib" <<<"$depends"
  done
  files=$(dpkg-deb -c "$deb")
  for f in ./usr/sbin/pstore-blk ./usr/share/man/man8/pstore-blk.8.gz \
    ./usr/share/bash-completion/completions/pstore-blk \
    ./usr/share/doc/pstore-blk/copyright ./usr/share/doc/pstore-blk/changelog.Debian.gz; do
    check "package holds $f" grep -q " $f\$" <<<"$files"
  done
  dpkg-deb -x "$deb" "$tmp/root"
  check "packaged binary is stripped" bash -c "file '$tmp/root/usr/sbin/pstore-blk' | grep -q ', stripped'"
  maint=$(dpkg-deb -f "$deb" Maintainer)
  check "Maintainer is not on localhost ($maint)" bash -c "! grep -qi localhost <<<'$maint'"
  version=$(dpkg-deb -f "$deb" Version)
  top=$(gzip -dc "$tmp/root/usr/share/doc/pstore-blk/changelog.Debian.gz" | head -n1)
  check "changelog's top entry ($top) is the package version $version" grep -qF "($version)" <<<"$top"
  check "copyright is DEP-5 and GPL-2.0-or-later" grep -q '^License: GPL-2.0-or-later' \
    "$tmp/root/usr/share/doc/pstore-blk/copyright"

  # lintian: no errors; every warning must be one accepted below, with its reason.
  declare -A accepted=(
    [initial-upload-closes-no-bugs]="not uploaded to Debian's archive, so there is no ITP bug to close"
  )
  lintian --tag-display-limit 0 --allow-root "$deb" >"$tmp/lintian" 2>&1
  cat "$tmp/lintian"
  check "lintian reports no errors" bash -c "! grep -q '^E: ' '$tmp/lintian'"
  while read -r tag; do
    check "lintian warning '$tag' is accepted in package_test.sh" test -n "${accepted[$tag]:-}"
  done < <(awk '/^W: /{print $3}' "$tmp/lintian" | sort -u)
fi
echo "package: $pass passed, $fail failed"
((fail == 0))
