# capture-panic --partuuid: the capture kernel may name the disks in another
# order, so the partition is found by its PARTUUID on whichever disk of
# /sys/block holds it, and written through that disk at the partition's
# offset. A missing or doubled PARTUUID writes nothing.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
pstore=5053422D-0002-4000-8000-000000000001  # partition 2 ("pstore") of the fixture
mkdir -p root/dev root/sys/block/vda root/sys/block/vdb root/sys/block/loop0
echo 0 >root/sys/block/loop0/size
# vda: a disk without that partition; vdb: the fixture's disk.
truncate -s 8M root/dev/vda
printf 'label: gpt\nsize=2MiB\n' | sfdisk -q root/dev/vda >/dev/null 2>&1
mv 6.1.0-56-amd64-oops-gpt.img root/dev/vdb
printf '<6>[    1.000000] booting\n<0>[    2.000000] Kernel panic - not syncing: by partuuid\n' >panic.log
echo "== found on vdb (lower case given)"
"$PSB" capture-panic --root root --partuuid "${pstore,,}" --log panic.log --time 1795800000 2>&1
echo "exit $?"
"$PSB" list root/dev/vdb -o name,reason,count -n 2>&1
"$PSB" show root/dev/vdb dmesg-pstore_blk-2 | tail -n 1
echo "== refused: no disk holds it"
checksum_guard root/dev/vdb "$PSB" capture-panic --root root --partuuid 5053422D-0009-4000-8000-000000000001 --log panic.log 2>&1
echo "exit $?"
echo "== refused: two disks hold it (a clone)"
cp root/dev/vdb root/dev/vdc
mkdir root/sys/block/vdc
checksum_guard root/dev/vdb "$PSB" capture-panic --root root --partuuid $pstore --log panic.log 2>&1
echo "exit $?"
rm -r root/dev/vdc root/sys/block/vdc
echo "== waits for a disk that comes late (--wait-seconds), and gives up on one that never does"
mv root/dev/vdb vdb.late
rmdir root/sys/block/vdb
(sleep 1 && mv vdb.late root/dev/vdb && mkdir root/sys/block/vdb) &
"$PSB" capture-panic --root root --partuuid $pstore --wait-seconds 20 --log panic.log --time 1795800001 2>&1 \
    | sed 's/found after [0-9]* s/found after N s/'
wait
"$PSB" list root/dev/vdb -o name,reason,count -n 2>&1
start=$(date +%s)
"$PSB" capture-panic --root root --partuuid 5053422D-0009-4000-8000-000000000001 --wait-seconds 2 --log panic.log 2>&1
echo "exit $? after at least 2 s: $(( $(date +%s) - start >= 2 ))"
echo "== refused: TARGET and --partuuid, neither, --partition with --partuuid"
"$PSB" capture-panic root/dev/vdb --root root --partuuid $pstore --log panic.log 2>&1; echo "exit $?"
"$PSB" capture-panic --log panic.log 2>&1; echo "exit $?"
"$PSB" capture-panic --root root --partuuid $pstore --partition 2 --log panic.log 2>&1; echo "exit $?"
