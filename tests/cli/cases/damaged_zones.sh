cp "$SYNTH/synthetic-damaged.img" .
img=synthetic-damaged.img
. "$(dirname "$0")/common.inc"
checksum_guard $img "$PSB" list --verbose $img --kmsg-size 64
rc=$?
checksum_guard $img "$PSB" extract $img -o out --kmsg-size 64 2>/dev/null
# Every file written, the .salvaged one included, is mode 0600.
stat -c '%n %a' out/* | sort
exit $rc
