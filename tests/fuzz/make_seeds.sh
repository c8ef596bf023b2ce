#!/bin/bash
# Regenerates the fuzz seed corpora in tests/fuzz/seeds/<target>/ from the
# kernel-written fixtures (fixtures/kernel) and the crash-text corpus
# (fixtures/oops-corpus). Seeds are stored xz-compressed; run_fuzz.sh
# decompresses them. Kept small so the fuzzer mutates short inputs.
# Needs: xz, sfdisk, python3. Usage: tests/fuzz/make_seeds.sh
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$src/tests/fuzz/seeds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out"
mkdir -p "$out"/{zone,disk,symbols,oops,record_file}
k=$src/fixtures/kernel
put() { xz -9e -c "$2" >"$out/$1/$3.xz"; }

# zone: 8-byte header (see fuzz_zone.cpp) + partition bytes.
hdr() { printf "$(printf '\\x%02x' "$@")"; }
xz -dc "$k/6.1.0-56-amd64-small-zones/image.bin.xz" >"$tmp/small.part"
{ hdr 0x80 0 0 0 0 0 0x08 0; cat "$tmp/small.part"; } >"$tmp/z1"  # discovered layout, guessed ABI
put zone "$tmp/z1" small-zones-discovered
{ hdr 0 16 0 0 0 0 0 0; head -c 49152 "$tmp/small.part"; } >"$tmp/z2"        # forced kmsg 16 KiB, x86_64
put zone "$tmp/z2" small-zones-forced
xz -dc "$k/6.1.192-psb-tiny-pmsg-console-ftrace/image.bin.xz" >"$tmp/tiny.img"
dd if="$tmp/tiny.img" of="$tmp/tiny.part" bs=1M skip=1 count=1 status=none
{ hdr 0 64 0 16 4 16 1 0; cat "$tmp/tiny.part"; } >"$tmp/z3"       # every front-end, 2 CPUs
put zone "$tmp/z3" pmsg-console-ftrace-forced
{ hdr 1 0x00 0x01 0 0 0 0 8; head -c 32768 "$tmp/small.part"; } >"$tmp/z4"  # i386, 256 KiB kmsg
put zone "$tmp/z4" i386-256k-zone
{ hdr 3 0x00 0x03 0 0 0 0 16; head -c 32768 "$tmp/small.part"; } >"$tmp/z5" # arm, 768 KiB kmsg
put zone "$tmp/z5" arm-768k-zone

# disk: small GPT, MBR and EBR disks whose pstore partition holds the first
# two 16 KiB kmsg zones of the kernel-written small-zones partition.
head -c 32768 "$tmp/small.part" >"$tmp/disk.part"
part_sectors=64
mkdisk() { # NAME SIZE-SECTORS SFDISK-SCRIPT DATA-START-SECTOR
  truncate -s $(( $2 * 512 )) "$tmp/$1"
  printf '%b' "$3" | sfdisk -q --no-reread --no-tell-kernel "$tmp/$1" >/dev/null
  dd if="$tmp/disk.part" of="$tmp/$1" bs=512 seek="$4" conv=notrunc status=none
  put disk "$tmp/$1" "$1"
}
mkdisk gpt $((64 + part_sectors + 40)) \
  "label: gpt\nfirst-lba: 34\nstart=40, size=16, name=data\nstart=64, size=$part_sectors, name=pstore\n" 64
mkdisk mbr $((8 + part_sectors)) "label: dos\nstart=8, size=$part_sectors, type=da\n" 8
mkdisk ebr $((16 + part_sectors)) \
  "label: dos\nstart=2, size=4, type=83\nstart=6, size=$((10 + part_sectors)), type=5\nstart=16, size=$part_sectors, type=da\n" 16
put disk "$tmp/disk.part" bare-partition

# symbols: the head of a real System.map and a kallsyms-style dump with
# modules, aliases and weak symbols.
xz -dc "$k/6.1.192-psb-tiny-pmsg-console-ftrace/System.map.xz" | head -c 16384 >"$tmp/map"
put symbols "$tmp/map" system-map-head
xz -dc "$k/6.1.192-psb-tiny-pmsg-console-ftrace/System.map.xz" |
  grep -E ' [tTwW] ' | awk 'NR % 97 == 0' | head -200 >"$tmp/map2"
printf 'ffffffffc0a01000 t psb_do_null\t[psb_oops]\nffffffffc0a01040 T psb_do_bug\t[psb_oops]\nffffffffc0a01040 W __start_psb\n' >>"$tmp/map2"
put symbols "$tmp/map2" kallsyms-sample

# oops: the crash-text corpus and kernel-written records.
for f in "$src"/fixtures/oops-corpus/*.txt; do put oops "$f" "$(basename "$f" .txt)"; done
put oops "$k/6.1.0-56-amd64-oops-gpt/sysfs-pstore/dmesg-pstore_blk-1" kernel-oops-gpt-1
put oops "$k/6.1.0-56-amd64-ring-reuse/sysfs-pstore/dmesg-pstore_blk-3" kernel-ring-reuse-3

# record_file: byte 0 = 0 plain, 1 ".enc.z" (raw deflate, as the kernel
# keeps a record it could not inflate); a cut deflate stream is salvaged.
rec=$k/6.1.0-56-amd64-oops-gpt/sysfs-pstore/dmesg-pstore_blk-0
{ printf '\x00'; cat "$rec"; } >"$tmp/r1"
put record_file "$tmp/r1" plain
python3 - "$rec" "$tmp/r2" "$tmp/r3" <<'PY'
import sys, zlib
text = open(sys.argv[1], 'rb').read()
c = zlib.compressobj(6, zlib.DEFLATED, -15)
raw = c.compress(text) + c.flush()
open(sys.argv[2], 'wb').write(b'\x01' + raw)
open(sys.argv[3], 'wb').write(b'\x01' + raw[: len(raw) // 2])
PY
put record_file "$tmp/r2" enc-z
put record_file "$tmp/r3" enc-z-cut
du -sh "$out"/*
