#!/usr/bin/env bash
# The whole test suite, as README's second command and CI run it (as root on
# Debian 12): install dependencies, reserve hugepages if possible, then build
# twice and run every test in each build:
#   build-test  release build, warnings as errors, benchmarks compiled too
#   build-asan  AddressSanitizer + UndefinedBehaviorSanitizer build
# Tests that cannot run here (no root, no hugepages) report SKIPPED, never OK.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh || exit 1
bash scripts/hugepages.sh

total_ok=0 total_fail=0 total_skip=0
run_suite() {  # BUILD_DIR MESON_OPTIONS...
  local dir=$1
  shift
  echo "== build $dir ($*) =="
  if ! bash scripts/build.sh "$dir" "$@" > "$dir.build.log" 2>&1; then
    tail -40 "$dir.build.log"
    echo "build of $dir failed"
    total_fail=$((total_fail + 1))
    return
  fi
  echo "== tests in $dir =="
  meson test -C "$dir" --print-errorlogs --num-processes 1 2>&1 | tee "$dir.test.log"
  local ok fail skip
  ok=$(awk '/^Ok:/ {print $2}' "$dir.test.log")
  fail=$(awk '/^Fail:|^Timeout:|^Unexpected Pass:/ {s += $NF} END {print s + 0}' "$dir.test.log")
  skip=$(awk '/^Skipped:/ {print $2}' "$dir.test.log")
  total_ok=$((total_ok + ${ok:-0}))
  total_fail=$((total_fail + ${fail:-1}))
  total_skip=$((total_skip + ${skip:-0}))
}

run_suite build-test --buildtype=release -Dwerror=true -Dbenchmarks=true
# The sanitizer build repeats the migration end to end once per mode (the
# release build runs it 5 times per mode: tests/integration/migration_test.sh).
HASHI_MIGRATION_RUNS=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suite build-asan --buildtype=debugoptimized -Dsanitize=true -Dwerror=true -Dbenchmarks=false

# Benchmarks are built above; run each briefly so they keep working (no timing asserted).
if [ -x build-test/bench/micro_bench ]; then
  echo "== benchmark smoke run =="
  if build-test/bench/micro_bench --benchmark_min_time=0.01 > build-test.bench.log 2>&1; then
    echo "micro_bench ran $(grep -c '^BM_' build-test.bench.log) benchmarks"
  else
    tail -20 build-test.bench.log
    total_fail=$((total_fail + 1))
  fi
fi

# The OpenFlow codec fuzzer, for a bounded time (scripts/fuzz.sh).
echo "== fuzzing the OpenFlow codec for ${HASHI_FUZZ_SECONDS:-60} s =="
bash scripts/fuzz.sh "${HASHI_FUZZ_SECONDS:-60}" > build-fuzz.log 2>&1
case $? in
  0) total_ok=$((total_ok + 1)); tail -2 build-fuzz.log ;;
  77) total_skip=$((total_skip + 1)); echo "fuzz: SKIPPED ($(tail -1 build-fuzz.log))" ;;
  *) total_fail=$((total_fail + 1)); tail -40 build-fuzz.log ;;
esac

echo "hashi-tests: $total_ok passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
