. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-ring-reuse
img=6.1.0-56-amd64-ring-reuse.img
checksum_guard $img "$PSB" extract $img --output-dir out || exit $?
# name, mode, size, mtime: the kernel's names and dump times (to the ns of the
# kmsg header, as the kernel sets them), mode 0600.
stat -c '%n %a %s %.9Y' out/* | sort
