# capture-panic writes one Panic record where the kernel would write next,
# refuses targets that are not a whole pstore partition, and a dry run
# changes nothing.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
img=6.1.0-56-amd64-oops-gpt.img
printf '<6>[    1.000000] booting\n<0>[    2.000000] Kernel panic - not syncing: test\n' >panic.log
echo "== dry run"
checksum_guard $img "$PSB" capture-panic $img --log panic.log --time 1795800000 --dry-run 2>&1
echo "== write twice"
"$PSB" capture-panic $img --log panic.log --time 1795800000.25 2>&1
"$PSB" capture-panic $img --log - --time 1795800001 --no-compress <panic.log 2>&1
records() { # name reason counter time compressed, from list --json
  "$PSB" list "$@" --json | python3 -c '
import json, sys
for r in json.load(sys.stdin)["records"]:
    print(r["name"], r["reason"], r["counter"], r["time_sec"], r["time_nsec"], r["compressed"])'
}
records $img
"$PSB" show $img dmesg-pstore_blk-3
echo "== refused: no record, no layout"
truncate -s 1M blank.img
checksum_guard blank.img "$PSB" capture-panic blank.img --log panic.log 2>&1; echo "exit $?"
checksum_guard blank.img "$PSB" capture-panic blank.img --log panic.log --allow-empty 2>&1; echo "exit $?"
echo "== allowed: empty partition with the layout given"
"$PSB" capture-panic blank.img --log panic.log --allow-empty --kmsg-size 64 --time 5 2>&1; echo "exit $?"
records blank.img --kmsg-size 64
echo "== refused: no record, the layout given, but not blank (someone else's data)"
truncate -s 1M data.img
printf 'EXT4' | dd of=data.img bs=1 seek=$((3 * 65536 + 100)) conv=notrunc status=none
checksum_guard data.img "$PSB" capture-panic data.img --log panic.log --allow-empty --kmsg-size 64 2>&1; echo "exit $?"
echo "== refused: size not a multiple of 4096, bad time, missing log"
head -c 1000000 blank.img >odd.img
checksum_guard odd.img "$PSB" capture-panic odd.img --log panic.log --kmsg-size 64 --allow-empty 2>&1; echo "exit $?"
checksum_guard $img "$PSB" capture-panic $img --log panic.log --time 12x 2>&1; echo "exit $?"
checksum_guard $img "$PSB" capture-panic $img --log missing.log 2>&1; echo "exit $?"
