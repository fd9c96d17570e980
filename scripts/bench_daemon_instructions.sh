#!/usr/bin/env bash
# The daemon's work per job, counted in instructions: smsdispatchd runs under valgrind's
# callgrind (through a wrapper given to smsdispatch-bench as --daemon-binary) for one run of
# SD_BENCH_JOBS_LOW and one of SD_BENCH_JOBS_HIGH jobs (default 2,000 and 6,000); the
# difference of the two totals divided by the difference of the counts is the cost of one job,
# with start-up (the number table, Hyperscan, TLS contexts) cancelled out. Like
# bench_redis_instructions.sh, the figure repeats where CPU seconds on a shared machine do not.
#
#   scripts/bench_daemon_instructions.sh [DAEMON...]
#
# Each DAEMON (default: build/release's) in turn; SD_BENCH_DESTINATIONS (default 1000000) and
# SD_BENCH_ARGS (more smsdispatch-bench options) set the load.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
name=daemon-insn
source scripts/run_kit.sh

low=${SD_BENCH_JOBS_LOW:-2000}
high=${SD_BENCH_JOBS_HIGH:-6000}
destinations=${SD_BENCH_DESTINATIONS:-1000000}
callgrind_setup "$@"
((high > low)) || { echo "SD_BENCH_JOBS_HIGH must exceed SD_BENCH_JOBS_LOW" >&2; exit 2; }

cat >"$work/wrap.sh" <<'EOF'
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$SD_CALLGRIND_OUT" "$SD_DAEMON" "$@"
EOF
chmod +x "$work/wrap.sh"

total() {  # daemon binary, jobs: the daemon's instructions for a whole run of that many jobs
  local out=$work/$RANDOM
  mkdir -p "$out"
  SD_CALLGRIND_OUT=$out/callgrind.out SD_DAEMON=$1 \
    "$bench" --jobs "$2" --destinations "$destinations" --daemon-binary "$work/wrap.sh" \
    --results "$out/results" --quiet ${SD_BENCH_ARGS:-} >"$out/bench.log" 2>&1 ||
    { echo "the bench failed:" >&2; tail -20 "$out/bench.log" >&2; exit 1; }
  callgrind_total "$out/callgrind.out"
}

for daemon in "${daemons[@]}"; do
  a=$(total "$daemon" "$low")
  b=$(total "$daemon" "$high")
  printf '%s: %s daemon instructions per job (%s destinations; runs of %s and %s jobs)\n' \
    "$daemon" "$(awk -v a="$a" -v b="$b" -v l="$low" -v h="$high" \
      'BEGIN { printf "%.0f", (b - a) / (h - l) }')" "$destinations" "$low" "$high"
done
