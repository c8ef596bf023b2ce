. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-erased
img=6.1.0-56-amd64-erased.img
"$PSB" extract $img -o out --include-erased 2>/dev/null || exit 1
ls out
for f in "$FIXTURES"/kernel/6.1.0-56-amd64-erased/erased/*; do
  cmp "$f" "out/$(basename "$f").erased" || exit 1
done
"$PSB" show $img "$(basename "$f")" | cmp - "$f" && echo "show finds erased records by name"
