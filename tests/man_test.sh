#!/bin/bash
# The man page renders without warnings, and every subcommand and long option
# that --help shows appears in it, so the two cannot drift apart. With
# asciidoctor installed, the committed page must also be what the .adoc source
# generates.
# usage: man_test.sh PSTORE_BLK SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
page="$src/man/pstore-blk.8"
fail=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

warnings=$(groff -man -ww -z "$page" 2>&1)
if [[ -z "$warnings" ]]; then ok; else bad "groff warnings: $warnings"; fi

text=$(MANWIDTH=200 man -l "$page" 2>/dev/null | col -b)
[[ -n "$text" ]] || bad "man -l renders nothing"
for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "SETUP GUIDE" "KERNEL PARAMETERS" FILES "EXIT STATUS" "JSON OUTPUT" EXAMPLES TROUBLESHOOTING "SEE ALSO"; do
  if grep -q "^$section\$" <<<"$text"; then ok; else bad "section $section missing"; fi
done

# No markup leaks into the rendered text: an asterisk or underscore that is
# not part of a word or a path glob (dmesg-*, images/*.img) is asciidoc
# emphasis that did not apply (e.g. "PARTUUID=*UUID", "dmesg-pstore_blk-*N").
stray=$(python3 -c '
import re, sys
for n, line in enumerate(sys.stdin.read().splitlines(), 1):
    t = re.sub(r"(?<=[/-])\*(?![A-Za-z0-9_])", "", line)
    if "*" in t or "`" in t or re.search(r"(?<![A-Za-z0-9_])_[A-Za-z]|[A-Za-z0-9]_(?![A-Za-z0-9_])", t):
        print(f"  line {n}: {line.strip()}")
' <<<"$text")
if [[ -z "$stray" ]]; then ok; else bad "stray markup in the rendered page:
$stray"; fi
for must in "A disk with no free space" "A kernel without pstore_blk" "erased_not_shown"; do
  if grep -qF "$must" <<<"$text"; then ok; else bad "'$must' is not in the man page"; fi
done

subs=$("$bin" --help | sed -n '/^Subcommands:/,$p' | awk 'NR>1 && /^  [a-z]/ {print $1}')
[[ -n "$subs" ]] || bad "no subcommands in --help"
for s in $subs; do
  if grep -qE "pstore-blk $s( |$)" <<<"$text"; then ok; else bad "subcommand '$s' not in the man page SYNOPSIS"; fi
  opts=$("$bin" "$s" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
  for o in $opts; do
    if grep -qF -- "$o" <<<"$text"; then ok; else bad "option '$s $o' from --help is not in the man page"; fi
  done
  if "$bin" "$s" --help | tail -n 1 | grep -q 'pstore-blk(8)'; then ok; else bad "'$s --help' does not point to pstore-blk(8)"; fi
done

# Staleness is judged with the asciidoctor that generated the committed page
# (its version is in the page header): other versions render the same source
# with small differences (Debian 13's 2.0.23 vs Debian 12's 2.0.18).
made_by=$(sed -n 's/^\.\\" *Generator: Asciidoctor \([0-9.]*\).*/\1/p' "$page" | head -n1)
have=$(asciidoctor --version 2>/dev/null | sed -n 's/^Asciidoctor \([0-9.]*\).*/\1/p' | head -n1)
if [[ -n $have && $have != "$made_by" ]]; then
  echo "man: staleness not checked: asciidoctor $have here, the page was made by $made_by"
elif [[ -n $have ]]; then
  tmp=$(mktemp)
  epoch=$(sed -n 's/.*SOURCE_DATE_EPOCH=\([0-9]*\).*/\1/p' "$src/CMakeLists.txt" | head -n1)
  SOURCE_DATE_EPOCH=$epoch asciidoctor -b manpage -o "$tmp" "$src/man/pstore-blk.8.adoc"
  if diff -I '^\.\\" *\(Generator\|Date\)' -q "$tmp" "$page" >/dev/null; then ok; else bad "man/pstore-blk.8 is stale: cmake -DPSB_BUILD_MAN=ON, then build"; fi
  rm -f "$tmp"
fi
echo "man: $pass passed, $fail failed"
((fail == 0))
