#!/usr/bin/env bash
# Every test: installs what it needs, builds with AddressSanitizer + UndefinedBehaviorSanitizer,
# runs unit and integration tests (each starts and stops its own redis-server, SMSC simulator
# and daemon on free loopback ports), replays the fuzz corpora and smoke-runs the benchmarks.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${SD_JOBS:-2}

scripts/deps.sh test
scripts/check_layers.sh

build=${SD_TEST_BUILD_DIR:-$root/build/asan}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DSD_SANITIZE=ON -DSD_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j"$jobs"

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 300

# ThreadSanitizer: only the threaded tests — the lock-free limiters and the policy slot (a
# small binary linking sd_core alone), and the lock-free number cache, the scanner's scratch
# pool and reloads while scanning (from the policy tests) — so this stage stays short on 2 cores.
tsan=${SD_TSAN_BUILD_DIR:-$root/build/tsan}
cmake -S "$root" -B "$tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSD_TSAN=ON -DSD_BUILD_BENCH=OFF >/dev/null
# The programs are built here too, not run: this build optimises (-O2), as the demo's Release
# build does, and GCC's value-range warnings (-Werror) only fire when optimising.
cmake --build "$tsan" -j"$jobs" --target sd_core_mt_tests sd_policy_tests \
  smsdispatchd smsdispatch smsc-sim
export TSAN_OPTIONS=halt_on_error=1
"$tsan/tests/core/mt/sd_core_mt_tests" --gtest_brief=1
"$tsan/tests/adapters/policy/sd_policy_tests" --gtest_brief=1 \
  --gtest_filter='*Concurrent*:*ReloadWhileScanning*'
