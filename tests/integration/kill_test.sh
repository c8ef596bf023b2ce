#!/bin/bash
# setup killed at every state-changing system call: strace injects SIGKILL
# at the k-th call of each of openat, write, pwrite64, fsync, fdatasync,
# renameat2/rename, unlinkat, mkdirat/mkdir, ftruncate and ioctl, for every k
# that setup reaches on an image file with a fake --root tree. After each
# kill: the partition table is valid, the data partition is byte-identical;
# then, at odd k, a re-run succeeds with exactly one pstore partition and
# undo --remove-partition gives back the disk image and the tree byte for
# byte; at even k, undo --remove-partition right after the kill does.
# usage: kill_test.sh PSTORE_BLK SOURCE_DIR [MAX_POINTS]
set -uo pipefail
bin=$(realpath "$1")
src=$(realpath "$2")
max=${3:-100000}
command -v strace >/dev/null || { echo "skip: no strace (Debian package strace)"; exit 77; }
tmp=$(mktemp -d /tmp/psb-kill-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

# The starting point: a GPT disk with one data partition full of a pattern.
truncate -s 64M disk0.img
printf '%s\n' 'label: gpt' 'label-id: 5053422D-0000-4000-8000-00000000000b' \
  'start=2048, size=16MiB, type=linux, name=data, uuid=5053422D-0001-4000-8000-00000000000b' |
  sfdisk -q disk0.img
yes pstore-blk-kill-test | head -c 16M | dd of=disk0.img bs=1M seek=1 conv=notrunc status=none
cp -a "$src/fixtures/systems/debian-6.1-module" root0
tree() { (cd "$1" && find . -print0 | sort -z | xargs -0 stat -c '%n %F %a' && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum; }
tree0=$(tree root0)
disk0=$(sha256sum <disk0.img)
data0=$(dd if=disk0.img bs=1M skip=1 count=16 status=none | sha256sum)

setup() { "$bin" setup disk.img --size 8M --yes --root root </dev/null; }
fresh() { rm -rf root disk.img && cp -a root0 root && cp disk0.img disk.img; }

# Count each call setup makes (after exec) in one clean run.
calls=openat,write,pwrite64,fsync,fdatasync,rename,renameat,renameat2,unlinkat,mkdir,mkdirat,ftruncate,ioctl
fresh
strace -f -qq -o trace.txt -e trace=$calls "$bin" setup disk.img --size 8M --yes --root root </dev/null >/dev/null 2>&1 ||
  { echo "FAIL: a clean setup under strace failed"; exit 1; }
declare -A count
while read -r name; do count[$name]=$((${count[$name]:-0} + 1)); done < <(sed -n 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' trace.txt)

points=0 failures=0 killed=0
fail() { echo "FAIL: $point: $*"; failures=$((failures + 1)); }
for name in $(printf '%s\n' "${!count[@]}" | sort); do
  for ((k = 1; k <= count[$name]; k++)); do
    ((points >= max)) && break 2
    points=$((points + 1))
    point="SIGKILL at $name #$k"
    fresh
    # The subshell reports "Killed" into /dev/null (its last command is not
    # exec-ed because one follows).
    (
      strace -f -qq -o /dev/null -e trace=$name -e inject=$name:signal=KILL:when=$k \
        "$bin" setup disk.img --size 8M --yes --root root </dev/null >/dev/null 2>&1
      exit $?
    ) 2>/dev/null
    rc=$?
    ((rc == 137)) && killed=$((killed + 1))
    sfdisk --verify disk.img >v.txt 2>&1 && grep -q 'No errors detected' v.txt || { fail "table invalid: $(cat v.txt)"; continue; }
    [ "$(dd if=disk.img bs=1M skip=1 count=16 status=none | sha256sum)" = "$data0" ] || { fail "data partition changed"; continue; }
    if ((k % 2)); then
      setup >out.txt 2>&1 || { fail "re-run failed: $(tail -3 out.txt)"; continue; }
      n=$(sfdisk -d disk.img 2>/dev/null | grep -c 'name="pstore"')
      [ "$n" = 1 ] || { fail "$n pstore partitions after the re-run"; continue; }
    fi
    "$bin" undo --root root --remove-partition --yes </dev/null >out.txt 2>&1 || { fail "undo failed: $(tail -3 out.txt)"; continue; }
    [ "$(sha256sum <disk.img)" = "$disk0" ] || { fail "disk image differs after undo: $(sfdisk -d disk.img | tail -2 | tr '\n' ' ')"; continue; }
    [ "$(tree root)" = "$tree0" ] || { fail "tree differs after undo: $(diff <(cd root0 && find . | sort) <(cd root && find . | sort) | tr '\n' ' ')"; continue; }
  done
done
echo "kill test: $points kill points ($killed killed setup), $failures failure(s)"
((points > 20)) || { echo "FAIL: only $points kill points: the trace did not see setup's calls"; exit 1; }
((failures == 0))
