. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-nocompress-mbr
img=6.1.0-56-amd64-oops-nocompress-mbr.img
checksum_guard $img "$PSB" list --verbose $img --partition 2 --kmsg-size 64 --abi x86_64 2>&1
