. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-ring-reuse
"$PSB" show 6.1.0-56-amd64-ring-reuse.img dmesg-pstore_blk-9
