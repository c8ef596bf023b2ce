# Issue 11 item 4: records erased through /sys/fs/pstore are never invisible.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-erased
img=6.1.0-56-amd64-erased.img
"$PSB" list $img; echo "list: $?"
"$PSB" list --include-erased -o NAME,STATE $img; echo "list --include-erased: $?"
"$PSB" extract $img -o out; echo "extract: $?"
"$PSB" list -J $img | python3 -c 'import json,sys; print("json summary:", json.load(sys.stdin)["summary"])'
