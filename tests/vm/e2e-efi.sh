#!/usr/bin/env bash
# End-to-end test of `pstore-blk check` and `setup --now` against the
# efi_pstore conflict (ctest label "vm"; issue 3's firmware scenario).
#
# Usage: tests/vm/e2e-efi.sh PSTORE_BLK_BINARY
#
# Like e2e-setup.sh, but QEMU boots OVMF (-bios /usr/share/ovmf/OVMF.fd,
# Debian package ovmf, or $PSB_OVMF) with -kernel/-initrd, and each boot loads
# efi_pstore first (`modprobe -abq efi_pstore`, what systemd-pstore.service's
# modprobe@efi_pstore does on Debian 12), so the backend "efi" holds the single
# pstore slot:
#   - `check` must report the conflict: oops NO, exit 1, efi named;
#   - `setup /dev/vda --size 8M --now --yes` must resolve it and attach
#     (kernel line `pstore_blk: attached`), and write what keeps efi_pstore
#     off the slot at later boots;
#   - the read boot loads efi_pstore first again: pstore_blk must still
#     attach from the configuration setup wrote, and the oops must be read
#     back identically by the guest kernel and `pstore-blk extract`.
exec bash "$(dirname "${BASH_SOURCE[0]}")/e2e-setup.sh" --efi "$@"
