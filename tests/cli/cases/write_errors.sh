# Issue 11 item 2: a failed write or close of stdout is an error (util-linux
# close_stdout), and a closed pipe still ends the process with SIGPIPE.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
img=6.1.0-56-amd64-oops-gpt.img
"$PSB" list $img >/dev/full; echo "list: $?"
"$PSB" list --json $img >/dev/full; echo "list --json: $?"
"$PSB" show $img dmesg-pstore_blk-1 >/dev/full; echo "show: $?"
"$PSB" summary $img >/dev/full; echo "summary: $?"
"$PSB" summary --json-lines $img >/dev/full; echo "summary --json-lines: $?"
"$PSB" --help >/dev/full; echo "--help: $?"
# A pipe whose reader is gone: the default SIGPIPE disposition ends us (-13).
python3 - "$PSB" show $img dmesg-pstore_blk-1 <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
print("closed pipe:", subprocess.run(sys.argv[1:], stdout=w).returncode)
PY
