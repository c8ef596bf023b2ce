# Issue 11 item 3: a whole-disk image cut short says so and is still read.
# A GPT whose disk is larger than the file is refused by libblkid; the
# reader probes the table at the size its header records.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
fixture 6.1.0-56-amd64-oops-nocompress-mbr
gpt=6.1.0-56-amd64-oops-gpt.img
mbr=6.1.0-56-amd64-oops-nocompress-mbr.img
head -c 5242880 $gpt >gpt-cut-in-pstore.img   # 2 of the 4 MiB of partition 2
head -c 20000 $gpt >gpt-cut-in-table.img      # the table only
head -c 2500000 $mbr >mbr-cut-in-pstore.img
"$PSB" list gpt-cut-in-pstore.img; echo "gpt cut inside the pstore partition: $?"
"$PSB" extract gpt-cut-in-pstore.img -o out 2>/dev/null; echo "extract: $?"
for f in out/*; do
  cmp "$f" "$FIXTURES/kernel/6.1.0-56-amd64-oops-gpt/sysfs-pstore/$(basename "$f")" && echo "$f identical"
done
"$PSB" list gpt-cut-in-table.img; echo "gpt cut before the partition: $?"
"$PSB" list mbr-cut-in-pstore.img; echo "mbr cut inside the pstore partition: $?"
