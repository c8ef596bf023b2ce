. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
img=6.1.0-56-amd64-oops-gpt.img
for n in dmesg-pstore_blk-0 dmesg-pstore_blk-1; do
  checksum_guard $img "$PSB" show $img $n >$n || exit 1
  cmp $n "$FIXTURES/kernel/6.1.0-56-amd64-oops-gpt/sysfs-pstore/$n" || exit 1
done
echo same
