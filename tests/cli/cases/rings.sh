"$PSB" list --verbose "$SYNTH/synthetic-rings.img" 2>&1 | grep -v "^Source:"
"$PSB" show "$SYNTH/synthetic-rings.img" pmsg-pstore_blk-0
"$PSB" show "$SYNTH/synthetic-rings.img" ftrace-pstore_blk-0 | head -n 3
