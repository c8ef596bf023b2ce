# Issue 11 item 3: what the input is, said before any layout reasoning.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
img=6.1.0-56-amd64-oops-gpt.img
cp "$FIXTURES/kernel/6.1.0-56-amd64-oops-gpt/image.bin.xz" image.bin.xz
gzip -c $img >image.bin.gz
printf '\x28\xb5\x2f\xfd\x24\x00' >image.bin.zst   # a zstd frame header
printf 'BZh91AY&SY' >image.bin.bz2                  # a bzip2 stream header
for f in image.bin.xz image.bin.gz image.bin.zst image.bin.bz2; do
  "$PSB" list $f; echo "$f: $?"
done
: >empty.img
"$PSB" list empty.img; echo "empty: $?"
yes 'This is not a pstore partition.' | head -c 1048576 >text.img
"$PSB" list text.img; echo "text: $?"
"$PSB" extract text.img -o out; echo "extract text: $?"
truncate -s 1M zero.img
"$PSB" list zero.img; echo "zero: $?"
head -c 1048576 /dev/zero | tr '\0' '\377' >ff.img
"$PSB" list ff.img; echo "ff: $?"
"$PSB" show ff.img dmesg-pstore_blk-0; echo "show ff: $?"
"$PSB" summary text.img zero.img image.bin.gz $img >/dev/null; echo "summary: $?"
