#!/bin/bash
# Installs dependencies, builds evclip and runs the whole test suite: a release build, the same
# suite under ASan + UBSan, the threaded tests under TSan, and a bounded libFuzzer run of every
# fuzz target (clang).
set -uo pipefail
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh || exit 1

passed=0
failed=0
failures=()

# Runs meson test in a build dir and adds its Ok/Fail counts to the totals.
run_suite() {
    local name=$1 dir=$2
    shift 2
    echo "=== $name"
    local log
    log=$(meson test -C "$dir" --print-errorlogs "$@" 2>&1)
    local status=$?
    echo "$log" | tail -n 40
    local ok fail
    ok=$(echo "$log" | sed -n 's/^Ok: *\([0-9]*\).*/\1/p' | tail -n1)
    fail=$(echo "$log" | sed -n 's/^Fail: *\([0-9]*\).*/\1/p' | tail -n1)
    timeout_count=$(echo "$log" | sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' | tail -n1)
    passed=$((passed + ${ok:-0}))
    failed=$((failed + ${fail:-0} + ${timeout_count:-0}))
    if [ $status -ne 0 ]; then
        failures+=("$name")
        [ "${fail:-0}" = 0 ] && [ "${timeout_count:-0}" = 0 ] && failed=$((failed + 1))
    fi
}

build_or_fail() {
    local name=$1
    shift
    if ! sh scripts/build.sh "$@"; then
        echo "=== $name: build failed"
        failures+=("$name build")
        failed=$((failed + 1))
        return 1
    fi
}

build_or_fail release build && run_suite "release" build

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0
build_or_fail asan build-asan -Db_sanitize=address,undefined -Dbuildtype=debugoptimized \
    && run_suite "asan+ubsan" build-asan

# ThreadSanitizer over the unit tests (test_threads: two renderers sharing one store, a
# per-render cancel, a batch with encoder threads) and the threaded integration tests that
# stay short under TSan (batch report with a killed batch, live streams). Only FFmpeg, x264
# and fontconfig internals are suppressed (tests/tsan.supp says why, entry by entry).
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
export TSAN_OPTIONS="suppressions=$(pwd)/tests/tsan.supp:halt_on_error=1:second_deadlock_stack=1"
if build_or_fail tsan build-tsan -Db_sanitize=thread -Dbuildtype=debugoptimized; then
    run_suite "tsan unit" build-tsan --suite unit
    run_suite "tsan threaded" build-tsan integration-batch_report integration-live
fi
unset TSAN_OPTIONS
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0

# One libFuzzer target for FUZZ_SECONDS on a copy of its seed corpus; prints its result line
# (and the end of its log when it failed). Exit status: the target's.
fuzz_one() {
    local target=$1 name corpus status
    name=$(basename "$target" | sed 's/^fuzz_//')
    corpus=$(mktemp -d)
    cp tests/fuzz/corpus/"$name"/* "$corpus"/
    "$target" -max_total_time="${FUZZ_SECONDS:-6}" -print_final_stats=0 "$corpus" \
        >"$corpus.log" 2>&1
    status=$?
    if [ $status -eq 0 ]; then
        echo "fuzz $name: ok ($(grep -c . "$corpus.log") log lines)"
    else
        tail -n 40 "$corpus.log"
    fi
    rm -rf "$corpus" "$corpus.log"
    return $status
}

# Only the fuzz targets are built (EVCLIP_ONLY): the unit tests and the CLI of this build would
# never run. The targets run one per core at a time (each single-threaded, for FUZZ_SECONDS
# of wall time as before); their results are printed in order.
if command -v clang >/dev/null; then
    if CC=clang CXX=clang++ EVCLIP_ONLY='^tests/fuzz/fuzz_[a-z_]+$' build_or_fail fuzz \
            build-fuzz -Dfuzzer=true -Db_sanitize=address,undefined \
            -Db_lundef=false -Dtests=true -Dbuildtype=debugoptimized; then
        echo "=== fuzz (libFuzzer, ${FUZZ_SECONDS:-6} s per target, $(nproc) at a time)"
        results=$(mktemp -d)
        targets=()
        running=0
        for target in build-fuzz/tests/fuzz/fuzz_*; do
            [ -f "$target" ] && [ -x "$target" ] || continue
            if [ $running -ge "$(nproc)" ]; then
                wait -n
                running=$((running - 1))
            fi
            running=$((running + 1))
            targets+=("$target")
            (fuzz_one "$target" >"$results/${#targets[@]}.out" 2>&1
             echo $? >"$results/${#targets[@]}.status") &
        done
        wait
        for i in "${!targets[@]}"; do
            cat "$results/$((i + 1)).out"
            if [ "$(cat "$results/$((i + 1)).status")" = 0 ]; then
                passed=$((passed + 1))
            else
                failed=$((failed + 1))
                failures+=("fuzz $(basename "${targets[$i]}" | sed 's/^fuzz_//')")
            fi
        done
        rm -rf "$results"
    fi
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
