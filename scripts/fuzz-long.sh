#!/bin/bash
# Runs each libFuzzer target of build-fuzz/ for SECONDS (niced, JOBS at a time, default 2) on a
# copy of its seed corpus and prints one Markdown table row per target: executions, coverage
# (edges "cov" and features "ft"), corpus size, crashes. Crashing inputs are kept in
# $FUZZ_OUT/<target>/ (default fuzz-out/). FUZZ_BIN: directory of the fuzz_* binaries
# (default build-fuzz/tests/fuzz).
# Usage: scripts/fuzz-long.sh SECONDS [TARGET...]   (TARGET: jsonl, sei, ...; default all)
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:?usage: scripts/fuzz-long.sh SECONDS [TARGET...]}
shift
jobs=${JOBS:-2}
out=${FUZZ_OUT:-fuzz-out}
bin=${FUZZ_BIN:-build-fuzz/tests/fuzz}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ $# -eq 0 ]; then
    set -- $(ls "$bin" | sed -n 's/^fuzz_\([a-z_]*\)$/\1/p')
fi
[ $# -gt 0 ] || { echo "no fuzz targets in $bin (see tests/fuzz/README.md)"; exit 2; }

run_one() {
    local name=$1 dir=$out/$1
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    cp tests/fuzz/corpus/"$name"/* "$dir/corpus/"
    nice -n 19 "$bin/fuzz_$name" -max_total_time="$seconds" \
        -print_final_stats=1 -artifact_prefix="$dir/" "$dir/corpus" >"$dir/log" 2>&1
    echo $? >"$dir/status"
}

running=0
for name in "$@"; do
    run_one "$name" &
    running=$((running + 1))
    if [ $running -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait

echo "| target | seconds | executions | cov (edges) | ft (features) | corpus | crashes |"
echo "|---|---|---|---|---|---|---|"
status=0
for name in "$@"; do
    dir=$out/$name
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    last=$(grep -E '^#[0-9]+' "$dir/log" | tail -n1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    crashes=$(ls "$dir" | grep -c -E '^(crash|leak|timeout|oom)-')
    [ "$(cat "$dir/status")" = 0 ] || status=1
    echo "| $name | $seconds | ${execs:-?} | ${cov:-?} | ${ft:-?} | $(ls "$dir/corpus" | wc -l)" \
         "| $crashes |"
done
exit $status
