#!/bin/bash
# pstore-blk summary over many sources in one call: 100 copies of one
# kernel-written image group into the fixture's two crashes, JSON Lines gives
# one object per record, memory stays flat, and the exit codes follow the
# convention (0 read, 1 a source failed but the rest is printed, 2 usage).
#
# usage: summary_test.sh PSTORE_BLK SOURCE_DIR [--preserve]
set -uo pipefail

PSB=$(realpath "$1")
SRC=$(realpath "$2")
preserve=${3:-}
# shellcheck source=tests/cli/check.inc
. "$(dirname "$0")/check.inc"

fixture="$SRC/fixtures/kernel/6.1.0-56-amd64-oops-gpt"
[[ -f "$fixture/image.bin.xz" ]] || { echo "missing $fixture/image.bin.xz" >&2; exit 1; }
mkdir -p "$scratch/fleet"
xz -dc "$fixture/image.bin.xz" > "$scratch/one.img" || exit 1
for i in $(seq -w 1 100); do cp "$scratch/one.img" "$scratch/fleet/machine-$i.img"; done

# 1. Text table over a directory of 100 images: two groups of 100.
"$PSB" summary "$scratch/fleet" > "$scratch/out.txt" 2> "$scratch/err.txt"
rc=$?
check "directory of 100 images: exit 0" test "$rc" -eq 0
check "directory of 100 images: stderr holds only the totals" test "$(wc -l < "$scratch/err.txt")" -eq 1
check "two groups, 100 records each" \
  test "$(awk 'NR > 1 && $2 == 100 { n++ } END { print n + 0 }' "$scratch/out.txt")" -eq 2
check "NULL dereference group" grep -Eq '^[0-9a-f]{12} +100 +null-deref +psb_do_null \[psb_oops\] +sh ' "$scratch/out.txt"
check "BUG group" grep -Eq '^[0-9a-f]{12} +100 +bug +psb_do_bug \[psb_oops\] +sh ' "$scratch/out.txt"
check "release and time columns" grep -q '2026-11-26T.*6\.1\.0-56-amd64' "$scratch/out.txt"
check "sources are counted" grep -q '(+97 more)' "$scratch/out.txt"
check "totals on stderr" grep -qx 'pstore-blk: 200 record(s) from 100 source(s) in 2 group(s): 200 compressed.' "$scratch/err.txt"
check "stdout holds only the table" test "$(wc -l < "$scratch/out.txt")" -eq 3

# 2. The same images named one by one (shell glob): same table.
"$PSB" summary "$scratch"/fleet/*.img > "$scratch/out2.txt" 2> "$scratch/err2.txt"
check "images as arguments: same output" cmp -s "$scratch/out.txt" "$scratch/out2.txt"
check "images as arguments: same totals" cmp -s "$scratch/err.txt" "$scratch/err2.txt"

# 3. JSON Lines: one valid object per record, two group ids, pipeline-ready.
"$PSB" summary --json-lines "$scratch/fleet" > "$scratch/out.jsonl"
check "--json-lines: exit 0" test $? -eq 0
check "--json-lines: 200 lines" test "$(wc -l < "$scratch/out.jsonl")" -eq 200
if command -v python3 > /dev/null; then
  check "--json-lines: each line parses, 2 groups, fields" python3 - "$scratch/out.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
groups = {r["group"] for r in rows}
assert len(groups) == 2, groups
assert all(len(g) == 12 for g in groups)
kinds = sorted({(r["kind"], r["function"], r["module"]) for r in rows})
assert kinds == [("bug", "psb_do_bug", "psb_oops"), ("null-deref", "psb_do_null", "psb_oops")], kinds
assert all(r["state"] == "compressed" and r["release"] == "6.1.0-56-amd64" for r in rows)
assert all(isinstance(r["time_sec"], int) and r["comm"] == "sh" for r in rows)
PY
fi

# 4. Already-extracted kernel files (a /sys/fs/pstore copy) group the same way.
"$PSB" summary --json-lines "$fixture/sysfs-pstore" > "$scratch/sysfs.jsonl"
check "dmesg-* directory: exit 0" test $? -eq 0
check "dmesg-* directory: same group ids as the image" \
  test "$(grep -o '"group":"[0-9a-f]*"' "$scratch/sysfs.jsonl" | sort -u)" = \
       "$(grep -o '"group":"[0-9a-f]*"' "$scratch/out.jsonl" | sort -u)"

# 5. A missing source fails (1) but the others are still summarised.
"$PSB" summary "$scratch/fleet/machine-001.img" "$scratch/nope.img" > "$scratch/out5.txt" 2> "$scratch/err5.txt"
rc=$?
check "missing source: exit 1" test "$rc" -eq 1
check "missing source: one diagnostic naming it" grep -q "nope.img" "$scratch/err5.txt"
check "missing source: the rest is printed" grep -q 'psb_do_null' "$scratch/out5.txt"

# 6. Usage errors exit 2.
"$PSB" summary > /dev/null 2>&1
check "no SOURCE: exit 2" test $? -eq 2
"$PSB" summary --abi vax "$scratch/one.img" > /dev/null 2>&1
check "unknown --abi: exit 2" test $? -eq 2

# 6b. Every way a record can reach us is named: compressed, uncompressed
# (pstore.compress=none), erased-and-recovered, salvaged (a deflate stream
# damaged near its end: what inflated is still parsed).
k="$SRC/fixtures/kernel"
if [[ -f "$k/6.1.0-56-amd64-erased/image.bin.xz" && -f "$k/6.1.0-56-amd64-oops-nocompress-mbr/image.bin.xz" ]]; then
  mkdir -p "$scratch/mixed"
  xz -dc "$k/6.1.0-56-amd64-erased/image.bin.xz" > "$scratch/mixed/erased.img"
  xz -dc "$k/6.1.0-56-amd64-oops-nocompress-mbr/image.bin.xz" > "$scratch/mixed/plain.img"
  cp "$scratch/one.img" "$scratch/mixed/damaged.img"
  base=3145728  # the pstore partition of the oops-gpt fixture (params.conf partition_offset)
  datalen=$(od -An -tu4 -j $((base + 4)) -N4 "$scratch/mixed/damaged.img" | tr -d ' ')
  printf '\xff\xff\xff\xff' | dd of="$scratch/mixed/damaged.img" bs=1 seek=$((base + 12 + datalen - 8)) \
    conv=notrunc status=none
  "$PSB" summary --json-lines "$scratch/mixed" > "$scratch/mixed.jsonl"
  check "mixed states: exit 0" test $? -eq 0
  for st in compressed uncompressed erased salvaged; do
    check "mixed states: a $st record" grep -q "\"state\":\"$st\"" "$scratch/mixed.jsonl"
  done
  check "mixed states: the salvaged record still has its crash" \
    grep -q '"record":"dmesg-pstore_blk-0.enc.z","state":"salvaged".*"kind":"null-deref","title":"NULL pointer dereference","headline":"BUG: kernel NULL pointer dereference' \
    "$scratch/mixed.jsonl"
  "$PSB" summary "$scratch/mixed" > "$scratch/mixed.txt"
  check "mixed states: the table says how each group was read" grep -q 'erased+1 salvaged+1 uncompressed' "$scratch/mixed.txt"
  check "mixed states: three groups" test "$(grep -c '^[0-9a-f]\{12\} ' "$scratch/mixed.txt")" -eq 3
fi

# 7. Memory is flat: 100 sources cost about what 10 do (max RSS, KiB).
# A sanitizer build keeps freed memory in quarantine: RSS says nothing there.
# (ldd's whole output is read first: under pipefail, grep -q stopping early
# let ldd die of SIGPIPE and the test ran the check on ASan builds by chance.)
libs=$(ldd "$PSB" 2>/dev/null || true)
if [[ $libs == *libasan* ]]; then
  echo "     memory check skipped: AddressSanitizer build"
elif [[ ! -x /usr/bin/time ]]; then
  check "memory flat: /usr/bin/time is installed (Debian package time)" false
else
  mkdir -p "$scratch/ten"
  for i in $(seq -w 1 10); do cp "$scratch/one.img" "$scratch/ten/m-$i.img"; done
  rss10=$(/usr/bin/time -f %M "$PSB" summary "$scratch/ten" 2>&1 > /dev/null | tail -1)
  rss100=$(/usr/bin/time -f %M "$PSB" summary "$scratch/fleet" 2>&1 > /dev/null | tail -1)
  echo "     max RSS: 10 sources ${rss10} KiB, 100 sources ${rss100} KiB"
  check "memory flat (100 sources < 10 sources + 2 MiB)" test "$rss100" -lt $((rss10 + 2048))
fi

# 8. --jobs: the same bytes on stdout and stderr, and the same exit status,
# whatever the number of workers, over images, record folders, a junk file, a
# missing path and an empty directory (warnings keep their order too).
mkdir -p "$scratch/jobs/empty" "$scratch/jobs/records"
head -c 70000 /dev/urandom > "$scratch/jobs/junk.img"
cp "$SRC"/fixtures/kernel/6.1.0-56-amd64-ring-reuse/sysfs-pstore/dmesg-* "$scratch/jobs/records/"
jobs_args=("$scratch/fleet" "$scratch/jobs/records" "$scratch/jobs/junk.img" "$scratch/missing"
           "$scratch/jobs/empty" "$SRC"/fixtures/kernel/*/sysfs-pstore "$scratch/one.img")
for mode in "" --json-lines; do
  "$PSB" summary $mode --jobs 1 "${jobs_args[@]}" > "$scratch/j1.out" 2> "$scratch/j1.err"
  rc1=$?
  [[ -z $mode ]] && cp "$scratch/j1.err" "$scratch/jt.err"
  for j in 2 5; do
    "$PSB" summary $mode --jobs $j "${jobs_args[@]}" > "$scratch/j$j.out" 2> "$scratch/j$j.err"
    rcj=$?
    check "--jobs $j ${mode:-(table)}: same stdout as --jobs 1" cmp -s "$scratch/j1.out" "$scratch/j$j.out"
    check "--jobs $j ${mode:-(table)}: same stderr as --jobs 1" cmp -s "$scratch/j1.err" "$scratch/j$j.err"
    check "--jobs $j ${mode:-(table)}: same exit status ($rc1)" test "$rc1" -eq "$rcj"
  done
done
# junk.img (random bytes) holds no pstore/zone data: warned about, not counted.
# 102 sources from the fleet, the records folder and one.img, plus one per
# fixture's sysfs-pstore folder.
n_sysfs=$(find "$SRC"/fixtures/kernel/*/sysfs-pstore -maxdepth 0 -type d | wc -l)
check "--jobs run saw every source" grep -q " from $((102 + n_sysfs)) source(s) " "$scratch/jt.err"
check "--jobs run: random data is not a source" grep -q 'junk.img holds no pstore/zone data' "$scratch/jt.err"
check "--jobs run: warnings for the missing and empty sources" \
  test "$(grep -c -e missing -e empty "$scratch/j1.err")" -eq 2
"$PSB" summary --jobs 0 "$scratch/one.img" > /dev/null 2>&1
check "--jobs 0 is a usage error (exit 2)" test $? -eq 2

exit $fail
