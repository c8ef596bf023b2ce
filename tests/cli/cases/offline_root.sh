# --root on an offline system image (no /proc): the kernel release comes from
# --kernel, else the newest /lib/modules/R that has a /boot/config-R, and the
# output says which. A release without its config is not chosen.
cp -a "$FIXTURES/systems/debian-6.1-module" off
rm -rf off/proc off/sys
mkdir -p off/lib/modules/6.1.0-9-amd64 off/lib/modules/6.12.0-1-amd64
cp off/boot/config-6.1.0-56-amd64 off/boot/config-6.1.0-9-amd64
echo "== no /proc: newest installed with a config (6.12.0-1 has none)"
"$PSB" check --root off | grep -E '^  (release|config|pstore_blk):'
echo "== --kernel names another one"
"$PSB" check --root off --kernel 6.1.0-9-amd64 | grep -E '^  (release|config):'
echo "== --json says where the release came from"
"$PSB" check --root off --json | grep -E '"kernel_release(_from)?":'
"$PSB" status --root off --kernel 6.1.0-9-amd64 --json | grep -E '"kernel_release_from":'
echo "== nothing installed: unknown, and it says how to name one"
rm -rf off/lib/modules/*
"$PSB" check --root off | grep -E '^  release:'
"$PSB" check --root off --json | grep -E '"kernel_release(_from)?":'
echo "== a tree with /proc: the running kernel"
"$PSB" check --root "$FIXTURES/systems/debian-6.1-module" | grep -E '^  release:'
echo "== setup --now with --kernel is refused"
"$PSB" setup /dev/null --kernel 6.1.0-9-amd64 --now --dry-run
echo "exit $?"
