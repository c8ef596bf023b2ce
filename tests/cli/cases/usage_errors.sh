"$PSB" >/dev/null 2>&1; echo "no args: $?"
"$PSB" list >/dev/null 2>&1; echo "no source: $?"
"$PSB" list --bogus x >/dev/null 2>&1; echo "unknown option: $?"
"$PSB" list x --abi vax 2>&1; echo "bad abi: $?"
"$PSB" extract x >/dev/null 2>&1; echo "no output dir: $?"
"$PSB" --help >/dev/null; echo "help: $?"
"$PSB" list --help | tail -n 1
"$PSB" --version
