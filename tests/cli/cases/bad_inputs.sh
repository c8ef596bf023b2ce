# Must-fail corpus (fixtures/bad/): a clean diagnostic, exit 1, bounded memory
# (under 256 MiB even in a sanitizer build; the bug this guards allocated 1.7 GB).
for f in "$FIXTURES"/bad/*.bin.xz; do
  name=$(basename "$f" .bin.xz)
  xz -dc "$f" >"$name.bin"
  echo "== $name"
  /usr/bin/time -f %M -o rss "$PSB" list --verbose "$name.bin" 2>&1
  echo "exit $?"
  rss=$(tail -n 1 rss)
  [[ $rss -lt 262144 ]] || echo "peak RSS $rss KiB is too large"
done
