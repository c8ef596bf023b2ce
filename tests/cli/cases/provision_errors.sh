# Provisioning paths no other case reaches: undo with nothing to undo, undo
# --dry-run, setup over a file system with and without --force, bad values,
# --now with --root, and check's exit status. Fake tree from fixtures/systems;
# the disk is an image file.
cp -a "$FIXTURES/systems/debian-6.1-module" root
tree() { find root -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16; }
truncate -s 64M disk.img
printf '%s\n' 'label: gpt' 'label-id: 5053422D-0000-4000-8000-000000000004' \
  'start=2048, size=16MiB, type=linux, name=data, uuid=5053422D-0001-4000-8000-000000000004' \
  'start=40960, size=8MiB, type=linux, name=spare, uuid=5053422D-0002-4000-8000-000000000004' |
  sfdisk -q disk.img
truncate -s 8M fs.img && mkfs.ext4 -q -F -U 5053422d-00e4-4000-8000-000000000004 fs.img
dd if=fs.img of=disk.img bs=1M seek=20 conv=notrunc status=none
t0=$(tree)
d0=$(sha256sum <disk.img)
same() { [ "$(tree)" = "$t0" ] && [ "$(sha256sum <disk.img)" = "$d0" ] && echo "tree and disk unchanged" || echo "CHANGED"; }

echo "== undo with nothing set up"
"$PSB" undo --root root --yes; echo "exit $?"
"$PSB" undo --root root --dry-run; echo "exit $?"
echo "== setup over ext4 without --force: refused"
"$PSB" setup disk.img --partition 2 --root root --yes 2>&1; echo "exit $?"; same
echo "== --force --dry-run: the plan wipes it, nothing changes"
"$PSB" setup disk.img --partition 2 --root root --yes --force --dry-run | grep -E '^Plan|^  (use|wipe)' | sed "s|$PWD/||"; echo "exit ${PIPESTATUS[0]}"; same
echo "== --force"
"$PSB" setup disk.img --partition 2 --root root --yes --force >/dev/null; echo "exit $?"
echo "ext4 signatures left: $(blkid -p -O 20971520 -S 8388608 -o value -s TYPE disk.img 2>/dev/null | wc -l)"
t1=$(tree)
echo "== undo --dry-run lists the steps and changes nothing"
"$PSB" undo --root root --dry-run | sed "s|$PWD/||g"; echo "exit ${PIPESTATUS[0]}"
[ "$(tree)" = "$t1" ] && echo "tree unchanged" || echo "CHANGED"
echo "== undo gives the tree back"
"$PSB" undo --root root --yes >/dev/null; echo "exit $?"
[ "$(tree)" = "$t0" ] && echo "tree as before setup" || echo "tree differs: $(cd root && find . -newer ../fs.img | sort | tr '\n' ' ')"
echo "== bad values (exit 2)"
for v in abc 0 8.5M 12k -4M; do
  "$PSB" setup disk.img --size "$v" --root root --dry-run 2>&1; echo "--size $v: exit $?"
done
"$PSB" setup disk.img --max-reason bogus --root root --dry-run 2>&1; echo "--max-reason bogus: exit $?"
"$PSB" setup disk.img --kmsg-size 3 --root root --dry-run 2>&1; echo "--kmsg-size 3: exit $?"
"$PSB" setup disk.img --now --root root --dry-run 2>&1; echo "--now --root: exit $?"
echo "== check: exit 1 when oopses will not be saved, 1 for a missing device"
"$PSB" check --root root >/dev/null; echo "check (nothing configured): exit $?"
"$PSB" check /nonexistent/disk --root root 2>&1 >/dev/null; echo "check /nonexistent/disk: exit $?"
