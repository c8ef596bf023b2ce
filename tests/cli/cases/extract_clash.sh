# Issue 11 item 7: extract never replaces a file silently and never follows a
# symlink it did not create.
. "$(dirname "$0")/common.inc"
fixture 6.1.0-56-amd64-oops-gpt
fixture 6.1.0-56-amd64-oops-nocompress-mbr
a=6.1.0-56-amd64-oops-gpt.img
b=6.1.0-56-amd64-oops-nocompress-mbr.img
"$PSB" extract $a -o out 2>/dev/null; echo "first disk: $?"
sum_before=$(cd out && sha256sum *)
"$PSB" extract $b -o out; echo "second disk into the same directory: $?"
[[ "$(cd out && sha256sum *)" == "$sum_before" ]] && echo "directory unchanged"
ls -A out
"$PSB" extract $b -o out --force 2>/dev/null; echo "--force: $?"
cmp -s out/dmesg-pstore_blk-0 <("$PSB" show $b dmesg-pstore_blk-0) && echo "--force replaced dmesg-pstore_blk-0"
# A planted symlink is refused, and --force replaces the link, not its target.
mkdir planted
echo precious >target.txt
ln -s ../target.txt planted/dmesg-pstore_blk-0
"$PSB" extract $a -o planted; echo "symlink in the way: $?"
"$PSB" extract $a -o planted --force 2>/dev/null; echo "symlink --force: $?"
cat target.txt
[[ -f planted/dmesg-pstore_blk-0 && ! -L planted/dmesg-pstore_blk-0 ]] && echo "the link was replaced by a file"
