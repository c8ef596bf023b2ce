. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
checksum_guard 6.1.0-56-amd64-oops-gpt.img "$PSB" list --verbose 6.1.0-56-amd64-oops-gpt.img 2>&1
