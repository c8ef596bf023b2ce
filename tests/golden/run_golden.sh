#!/bin/bash
# Golden tests on kernel-written fixtures: every record `pstore-blk extract`
# writes must be byte-identical to the file the kernel itself showed in
# /sys/fs/pstore (fixtures/kernel/<case>/sysfs-pstore/), with the same name
# and, for dmesg, the same mtime: to the second as the kernel listed it, and
# to the nanosecond as the kmsg header holds it (tests/support/kmsg_times.py
# decodes the headers by hand); every file written must be mode 0600.
# Also checks `list` against expected.txt
# (our own rendering; PSB_UPDATE_GOLDEN=1 rewrites it) and that the image is
# never modified.
#
# usage: run_golden.sh PSTORE_BLK_BINARY FIXTURES_DIR [CASE...]
set -euo pipefail

# Rewriting the expected files in CI would make the test pass whatever the
# code does.
if [[ -n "${PSB_UPDATE_GOLDEN:-}" && "${PSB_UPDATE_GOLDEN}" != 0 && -n "${CI:-}" ]]; then
  echo "PSB_UPDATE_GOLDEN is set while CI is set: refusing to rewrite expected output in CI" >&2
  exit 1
fi
support=$(cd "$(dirname "$0")/../support" && pwd)
bin=$(realpath "$1")
fixtures=$(realpath "$2")
shift 2
if ! "$bin" --version >/dev/null 2>&1; then
  echo "cannot run the pstore-blk binary under test" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
failed_cases=()

note() { printf '%s\n' "$*" >&2; }

param() { # param FILE KEY -> value or empty
  sed -n "s/^$2=//p" "$1" | head -n1
}

check_case() {
  local dir=$1 name
  name=$(basename "$dir")
  local work="$tmp/$name"
  mkdir -p "$work"
  xz -dc "$dir/image.bin.xz" >"$work/image.bin"
  local sum_before sum_after
  sum_before=$(sha256sum <"$work/image.bin")
  python3 "$support/kmsg_times.py" "$work/image.bin" "$(param "$dir/params.conf" abi)" >"$work/kmsg-times"
  local extra=()
  if [[ -f "$dir/System.map.xz" ]]; then
    xz -dc "$dir/System.map.xz" >"$work/System.map"
    extra+=(--system-map "$work/System.map")
  fi

  local ok=1
  # 1. Discovered layout.
  compare_extract "$dir" "$work" discovered "${extra[@]}" || ok=0
  # 2. Layout forced from the module parameters the kernel used.
  local p="$dir/params.conf" forced=()
  forced+=(--kmsg-size "$(param "$p" kmsg_size)" --pmsg-size "$(param "$p" pmsg_size)")
  forced+=(--console-size "$(param "$p" console_size)" --ftrace-size "$(param "$p" ftrace_size)")
  forced+=(--cpus "$(param "$p" nr_cpus)" --abi "$(param "$p" abi)")
  if [[ "$(param "$p" source)" == disk ]]; then
    forced+=(--partition "$(param "$p" partition)")
  fi
  compare_extract "$dir" "$work" forced "${extra[@]}" "${forced[@]}" || ok=0
  # 3. Erased records come back with --include-erased.
  if [[ -d "$dir/erased" ]]; then
    rm -rf "$work/out-erased"
    "$bin" extract "$work/image.bin" -o "$work/out-erased" --include-erased "${extra[@]}" 2>"$work/erased.err" || true
    local f
    for f in "$dir"/erased/*; do
      local b
      b=$(basename "$f")
      if ! cmp -s "$f" "$work/out-erased/$b.erased"; then
        note "FAIL $name: erased record $b not recovered byte-identically"
        ok=0
      fi
    done
  fi
  # 4. `list` output is stable (our rendering; reviewed in diffs): the table
  # and, from --verbose on stderr, how the layout and ABI were found.
  (cd "$work" && "$bin" list --verbose image.bin "${extra[@]}" >list.txt 2>&1) || true
  if [[ "${PSB_UPDATE_GOLDEN:-0}" == 1 ]]; then
    cp "$work/list.txt" "$dir/expected.txt"
  elif [[ -f "$dir/expected.txt" ]]; then
    if ! diff -u "$dir/expected.txt" "$work/list.txt" >&2; then
      note "FAIL $name: list output differs from expected.txt (PSB_UPDATE_GOLDEN=1 to accept)"
      ok=0
    fi
  else
    note "FAIL $name: no expected.txt (run with PSB_UPDATE_GOLDEN=1)"
    ok=0
  fi
  # 5. JSON parses and agrees on the record count; the exit status is 0, or 1
  # where zones are damaged on purpose.
  local jstatus=0 want_status=0
  [[ -z "$(param "$dir/params.conf" damaged_zones)" ]] || want_status=1
  "$bin" list --json "$work/image.bin" "${extra[@]}" >"$work/list.json" 2>/dev/null || jstatus=$?
  if ((jstatus != want_status)) ||
    ! python3 -c 'import json,sys; d=json.load(open(sys.argv[2])); n=len(d["records"]); sys.exit(0 if n==int(sys.argv[1]) else 1)' \
      "$(ls "$dir/sysfs-pstore" | wc -l)" "$work/list.json"; then
    note "FAIL $name: list --json exited $jstatus (want $want_status), does not parse or has the wrong record count"
    ok=0
  fi
  sum_after=$(sha256sum <"$work/image.bin")
  if [[ "$sum_before" != "$sum_after" ]]; then
    note "FAIL $name: the image changed"
    ok=0
  fi
  if ((ok)); then
    pass=$((pass + 1))
    note "ok   $name"
  else
    fail=$((fail + 1))
    failed_cases+=("$name")
  fi
}

compare_extract() { # DIR WORK LABEL [ARGS...]
  local dir=$1 work=$2 label=$3
  shift 3
  local out="$work/out-$label" status=0
  rm -rf "$out"
  "$bin" extract "$work/image.bin" -o "$out" "$@" 2>"$work/$label.err" || status=$?
  # A fixture whose deflate stream was damaged on purpose (params.conf
  # damaged_zones, tests/vm/make-fixtures.sh): the kernel kept the record as
  # .enc.z; extract must too, say so for each zone and exit 1; beside it comes
  # what did inflate, as dmesg-pstore_blk-N.salvaged, which the kernel does not have.
  local damaged
  damaged=$(param "$dir/params.conf" damaged_zones)
  if [[ -z $damaged ]] && ((status != 0)); then
    note "FAIL $(basename "$dir") ($label): extract exited $status:"
    cat "$work/$label.err" >&2
    return 1
  fi
  local rc=0
  if [[ -n $damaged ]]; then
    ((status == 1)) || { note "FAIL $(basename "$dir") ($label): extract exited $status, not 1, on damaged zones"; rc=1; }
    local z enc
    for z in $damaged; do
      enc=dmesg-pstore_blk-$z.enc.z
      [[ -f "$dir/sysfs-pstore/$enc" ]] || { note "FAIL $(basename "$dir"): the kernel has no $enc"; rc=1; }
      grep -q "zone $z\b.*offset\|offset.*zone $z\b\|$enc" "$work/$label.err" ||
        { note "FAIL $(basename "$dir") ($label): nothing on stderr names zone $z: $(cat "$work/$label.err")"; rc=1; }
      [[ -s "$out/dmesg-pstore_blk-$z.salvaged" ]] ||
        { note "FAIL $(basename "$dir") ($label): no dmesg-pstore_blk-$z.salvaged"; rc=1; }
    done
  fi
  if ! diff <(ls "$dir/sysfs-pstore") <(ls "$out" | grep -v '\.salvaged$') >&2; then
    note "FAIL $(basename "$dir") ($label): file set differs from the kernel's"
    rc=1
  fi
  local f
  for f in "$dir"/sysfs-pstore/*; do
    [[ -e "$f" ]] || continue
    local b
    b=$(basename "$f")
    [[ -f "$out/$b" ]] || continue
    if ! cmp -s "$f" "$out/$b"; then
      note "FAIL $(basename "$dir") ($label): $b differs from the kernel's file"
      cmp "$f" "$out/$b" >&2 || true
      rc=1
    fi
  done
  # Every file written (records, .erased, .salvaged) is mode 0600.
  local loose
  loose=$(find "$out" -type f ! -perm 0600 -printf '%P %m\n')
  if [[ -n "$loose" ]]; then
    note "FAIL $(basename "$dir") ($label): files not mode 0600: $loose"
    rc=1
  fi
  # dmesg files carry the dump time as mtime.
  local fname mtime size
  while read -r fname mtime size; do
    [[ "$fname" == dmesg-* ]] || continue
    [[ -f "$out/$fname" ]] || continue
    if [[ "$(stat -c %Y "$out/$fname")" != "$mtime" ]]; then
      note "FAIL $(basename "$dir") ($label): $fname mtime $(stat -c %Y "$out/$fname") != kernel's $mtime"
      rc=1
    fi
    # Nanoseconds: the kmsg header with this tv_sec gives tv_nsec.
    local want got
    want=$(awk -v s="$mtime" '$1 == s { printf "%d.%09d\n", $1, $2 }' "$work/kmsg-times" | sort -u)
    got=$(stat -c %.9Y "$out/$fname")
    if [[ -z "$want" ]]; then
      note "FAIL $(basename "$dir") ($label): no kmsg header with tv_sec $mtime in the image"
      rc=1
    elif ! grep -qxF -- "$got" <<<"$want"; then
      note "FAIL $(basename "$dir") ($label): $fname mtime $got, kmsg header says $(tr '\n' ' ' <<<"$want")"
      rc=1
    fi
  done <"$dir/sysfs-pstore.list"
  return $rc
}

cases=("$@")
if ((${#cases[@]} == 0)); then
  for d in "$fixtures"/kernel/*/; do
    [[ -f "$d/image.bin.xz" && -d "$d/sysfs-pstore" ]] && cases+=("$(basename "$d")")
  done
fi
if ((${#cases[@]} == 0)); then
  note "no kernel fixtures found under $fixtures/kernel"
  exit 1
fi
for c in "${cases[@]}"; do
  check_case "$fixtures/kernel/$c"
done
echo "golden: ${pass} passed, ${fail} failed"
if ((fail)); then
  note "failed: ${failed_cases[*]}"
  exit 1
fi
