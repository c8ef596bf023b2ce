#!/bin/bash
# Runs one libFuzzer target for SECONDS from its seed corpus
# (tests/fuzz/seeds/TARGET/*.xz) plus the corpus kept in WORKDIR, and prints
# executions and coverage. Exit status: libFuzzer's (non-zero: a crash, leak,
# timeout or out-of-memory; the input is saved as WORKDIR/TARGET/crash-*).
# Usage: run_fuzz.sh BINARY SRCDIR TARGET SECONDS WORKDIR
set -uo pipefail
bin=$1 src=$2 t=$3 secs=$4 work=$5
dir=$work/$t
mkdir -p "$dir/corpus" "$dir/seeds"
for f in "$src/tests/fuzz/seeds/$t"/*.xz; do
  [[ -e $f ]] || continue
  out=$dir/seeds/$(basename "$f" .xz)
  [[ -e $out ]] || xz -dc "$f" >"$out"
done
case $t in
  zone) max_len=1100000 ;;  # 1 MiB partition + header; zones above 256 KiB come from padding
  disk) max_len=300000 ;;
  record_file) max_len=131072 ;;
  *) max_len=65536 ;;
esac
log=$dir/last.log
"$bin" -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" "$dir/seeds" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
echo "fuzz $t: ${execs:-?} executions in ${secs} s, coverage ${cov:-?} edges (${ft:-?} features), corpus ${corp:-?}, exit $rc"
if ((rc != 0)); then
  grep -E 'ERROR|SUMMARY|crash-|leak-|timeout-|oom-' "$log" | head -20
  exit 1
fi
