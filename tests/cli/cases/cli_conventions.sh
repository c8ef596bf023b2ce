# Issue 11 item 5: util-linux conventions for usage errors (stderr), help.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
img=6.1.0-56-amd64-oops-gpt.img
"$PSB" lst $img; echo "lst: $?"
"$PSB" --bogus; echo "--bogus: $?"
"$PSB"; echo "no command: $?"
"$PSB" help | head -n 1; echo "help: ${PIPESTATUS[0]}"
"$PSB" help list | head -n 1; echo "help list: ${PIPESTATUS[0]}"
"$PSB" list --partition abc $img; echo "--partition abc: $?"
"$PSB" list --partition 7 $img; echo "--partition 7: $?"
"$PSB" list --abi vax $img; echo "--abi vax: $?"
"$PSB" summary --abi vax $img; echo "summary --abi vax: $?"
"$PSB" list --bogus $img; echo "list --bogus: $?"
"$PSB" list; echo "list without SOURCE: $?"
"$PSB" show $img; echo "show without NAME: $?"
"$PSB" extract $img; echo "extract without -o: $?"
"$PSB" list --kmsg-size 8.5 $img; echo "--kmsg-size 8.5: $?"
mkdir -p root
"$PSB" setup disk.img --size 8.5M --root root --dry-run; echo "setup --size 8.5M: $?"
"$PSB" check --partition abc disk.img; echo "check --partition abc: $?"
