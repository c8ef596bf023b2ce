#!/bin/bash
# Style test: every C++ file under include/, src/, tests/ and bench/ is already
# formatted the way .clang-format (Google style) says.
# Debian 12 ships clang-format 14 and Debian 13 clang-format 19; they agree on
# this tree because it avoids the constructs they format differently (met so
# far: `struct stat st {};` is `struct stat st{};` from clang-format 15 on, write
# `struct stat st = {};`; a block statement on one line `{ f(); }` is kept by 14
# and split by 19, avoid such blocks). The distribution test (tests/distro) runs
# this test with Debian 13's clang-format, so a construct that splits them fails.
# usage: style_test.sh SOURCE_DIR
set -euo pipefail
src=$1
if ! command -v clang-format >/dev/null; then
  echo "style: clang-format is missing (scripts/install-deps.sh --test installs it)" >&2
  exit 1
fi
cd "$src"
mapfile -d '' files < <(find include src tests bench -type f \
  \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 | sort -z)
((${#files[@]} > 0)) || { echo "style: no C++ files found under $src" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
bad=0
for f in "${files[@]}"; do
  if ! diff -u "$f" <(clang-format --style=file "$f") >"$tmp" 2>&1; then
    echo "style: $f is not clang-formatted ($(clang-format --version)); diff:" >&2
    head -n 40 "$tmp" >&2
    bad=$((bad + 1))
  fi
done
echo "style: ${#files[@]} files checked, $bad not formatted (fix: clang-format -i FILE)"
((bad == 0))
