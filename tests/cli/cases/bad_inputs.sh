# Must-fail corpus (fixtures/bad/, described in its README.md): each input
# ends with a clean diagnostic and exit 1 (2 for a source that is not a file
# or block device), within 10 s and 64 MiB peak RSS (256 MiB in a sanitizer
# build), for list, extract and show alike.
limit=65536
ldd "$PSB" 2>/dev/null | grep -q -e libasan -e libubsan && limit=262144
bounded() {  # bounded LABEL COMMAND...: runs it, prints its exit, checks time and RSS
  local label=$1
  shift
  /usr/bin/time -f "%e %M" -o usage "$@" 2>&1
  echo "exit $?"
  read -r secs rss < <(tail -n 1 usage)
  awk -v s="$secs" 'BEGIN { exit !(s < 10) }' || echo "$label took $secs s"
  [[ $rss -lt $limit ]] || echo "$label: peak RSS $rss KiB is too large"
}
for f in "$FIXTURES"/bad/*.bin.xz; do
  name=$(basename "$f" .bin.xz)
  xz -dc "$f" >"$name.bin"
  echo "== $name"
  bounded "list $name" "$PSB" list --verbose "$name.bin"
  bounded "extract $name" "$PSB" extract -o "out-$name" "$name.bin" >/dev/null 2>&1
  bounded "show $name" "$PSB" show "$name.bin" dmesg-pstore_blk-0 >/dev/null 2>&1
  rm -rf "out-$name" "$name.bin"
done
# A 64 MiB kmsg zone forced as such: the bomb may inflate to the kernel's
# 3 x buffer_size (192 MiB), streamed to the .salvaged file.
xz -dc "$FIXTURES/bad/deflate-bomb-64m-zone.bin.xz" >bomb.bin
echo "== bomb with 64 MiB zones"
bounded "extract bomb" "$PSB" extract --kmsg-size 65536 -o bomb bomb.bin
stat -c '%s %n' bomb/* | sed 's#bomb/##'
rm -rf bomb bomb.bin
# Sources that are not a file or block device are refused at once.
mkfifo fifo
echo "== fifo"
bounded "list fifo" timeout 10 "$PSB" list fifo
echo "== system map /dev/zero and a fifo"
printf '\0' >tiny.bin
bounded "system map zero" timeout 10 "$PSB" list --system-map /dev/zero tiny.bin
bounded "system map fifo" timeout 10 "$PSB" list --system-map fifo tiny.bin
