# Issue 11 item 6: tables a script can parse (-o, -n, -r, -J), and how the
# layout was chosen only with --verbose, on stderr.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
img=6.1.0-56-amd64-oops-gpt.img
echo "== list"; "$PSB" list $img
echo "== -o NAME,SIZE"; "$PSB" list -o NAME,SIZE $img
echo "== -n -o name,reason,count"; "$PSB" list -n -o name,reason,count $img
echo "== -o +ID"; "$PSB" list -o +ID $img
echo "== -r"; "$PSB" list -r $img
echo "== -o BOGUS"; "$PSB" list -o NAME,BOGUS $img 2>&1; echo "exit $?"
echo "== --verbose (stderr only)"; "$PSB" list --verbose -n -o NAME $img 2>&1 >/dev/null
echo "== -J"
"$PSB" list -J $img | python3 -c 'import json,sys; d=json.load(sys.stdin); print(list(d), len(d["records"]))'
echo "== summary"; "$PSB" summary $img 2>/dev/null
echo "== summary -n -r -o GROUP,COUNT,KIND,FUNCTION"; "$PSB" summary -n -r -o GROUP,COUNT,KIND,FUNCTION $img
echo "== summary --json"
"$PSB" summary --json $img | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(list(d), d["records"], d["sources"], d["states"])
print(sorted(d["groups"][0]))
'
echo "== -J -o chooses the keys (lsblk -J -o)"
"$PSB" list -J -o NAME,TIME $img | python3 -c 'import json,sys; d=json.load(sys.stdin); print([sorted(r) for r in d["records"]][0])'
"$PSB" summary -J -o GROUP,KIND $img | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(d["groups"][0]))'
