"$PSB" list "$SYNTH/synthetic-rings.img" 2>&1 | sed 1d
"$PSB" show "$SYNTH/synthetic-rings.img" pmsg-pstore_blk-0
"$PSB" show "$SYNTH/synthetic-rings.img" ftrace-pstore_blk-0 | head -n 3
