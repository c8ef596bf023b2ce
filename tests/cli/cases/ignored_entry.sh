# A GPT entry libblkid rejects (it ends past the end of the disk; the kernel's
# efi.c skips it too) is named as such, not just "no partition is named pstore".
# The entry is patched in the primary GPT with its CRCs recomputed.
truncate -s 64M bad.img
printf 'label: gpt\nlabel-id: 5053422D-0000-4000-8000-000000000003\nstart=2048, size=16MiB, type=linux, name=data\nstart=40960, size=8MiB, type=linux, name=pstore\n' |
  sfdisk -q bad.img
python3 - bad.img <<'PY'
import struct, sys, zlib
f = open(sys.argv[1], 'r+b')
f.seek(512); hdr = bytearray(f.read(92))
lba, n, esz = struct.unpack_from('<QII', hdr, 72)   # entries LBA, count, size
f.seek(lba * 512); ents = bytearray(f.read(n * esz))
struct.pack_into('<Q', ents, esz + 40, 200000)       # entry 2: last LBA past the disk
struct.pack_into('<I', hdr, 88, zlib.crc32(ents))
struct.pack_into('<I', hdr, 16, 0)
struct.pack_into('<I', hdr, 16, zlib.crc32(hdr))
f.seek(512); f.write(hdr); f.seek(lba * 512); f.write(ents)
PY
echo "== list"
"$PSB" list bad.img 2>&1; echo "exit $?"
echo "== list --partition 2"
"$PSB" list bad.img --partition 2 2>&1; echo "exit $?"
