# The same two records written by other ABIs decode to the same text.
for abi in i386 arm arm64be ppc64; do
  img="$SYNTH/synthetic-$abi.img"
  "$PSB" extract "$img" -o "out-$abi" 2>/dev/null || { echo "$abi: extract failed"; exit 1; }
  "$PSB" list --verbose "$img" 2>&1 >/dev/null | sed -n 's/^ABI: *//p' | sed "s/^/$abi guessed as /"
done
for abi in i386 arm arm64be ppc64; do
  diff -r out-i386 "out-$abi" >/dev/null || { echo "$abi differs from i386"; exit 1; }
done
ls out-i386
