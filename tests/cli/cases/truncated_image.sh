cp "$SYNTH/synthetic-truncated.img" .
"$PSB" list synthetic-truncated.img --kmsg-size 64 --abi x86_64
