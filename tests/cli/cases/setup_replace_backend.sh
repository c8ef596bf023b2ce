# setup states what changes in capture, and refuses to take panic capture away
# from efi_pstore without --replace-backend (--yes is not enough); on a machine
# where nothing saves panics it needs no flag. Fake trees from fixtures/systems.
new_disk() {
  rm -f disk.img
  truncate -s 64M disk.img
  printf 'label: gpt\nlabel-id: 5053422D-0000-4000-8000-000000000001\nstart=2048, size=32MiB, type=linux, name=data\n' |
    sfdisk -q disk.img
}
tidy() { sed -e "s|$PWD/||g"; }
cp -a "$FIXTURES/systems/efi-pstore-6.12" efi
new_disk
echo "== efi_pstore saves panics: --yes alone"
"$PSB" setup disk.img --root efi --yes </dev/null 2>&1 | grep -E '^  capture:|^  note: efi_pstore|refusing' | tidy
echo "exit ${PIPESTATUS[0]}; files written: $(find efi/etc -path '*pstore-blk*' | wc -l); partitions: $(sfdisk -l -q disk.img | grep -c '^disk.img')"
echo "== with --replace-backend"
"$PSB" setup disk.img --root efi --yes --replace-backend --reboot-on-panic 30 </dev/null >out 2>&1
echo "exit $?; files: $(find efi/etc -path '*pstore-blk*' -type f | sort | tr '\n' ' ')"
grep -h '^kernel.panic' efi/etc/sysctl.d/pstore-blk.conf
echo "== re-run: nothing to change, no flag needed"
"$PSB" setup disk.img --root efi --yes --reboot-on-panic 30 </dev/null 2>&1 | sed 's/PARTUUID [0-9a-f-]*/PARTUUID X/' | tidy
echo "== undo removes the sysctl.d file too"
"$PSB" undo --root efi --yes </dev/null | grep sysctl
echo "== BIOS machine: nothing saves panics today, no flag needed"
cp -a "$FIXTURES/systems/debian-6.1-module" bios
new_disk
"$PSB" setup disk.img --root bios --yes </dev/null 2>&1 | grep -E '^  capture:|refusing' | tidy
echo "exit ${PIPESTATUS[0]}"
