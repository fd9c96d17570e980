#!/usr/bin/env bash
# Redis's work per job, counted in instructions rather than seconds: redis-server runs under
# valgrind's callgrind, smsdispatch-bench drives one daemon run against it, and the
# instructions Redis executed during that run (the ceilings before it are zeroed out) are
# divided by the jobs. Instruction counts do not depend on what else the machine is doing, so
# two daemon builds can be compared on a shared machine where Redis CPU seconds per job vary
# by a third from run to run. Slow (Redis runs ~50x slower), so a few thousand jobs.
#
#   scripts/bench_redis_instructions.sh [DAEMON...]
#
# Each DAEMON (default: build/release's) is measured in turn, SD_BENCH_ROUNDS times (default
# 1), alternating. SD_BENCH_JOBS (default 3000), SD_BENCH_DESTINATIONS (default 1000000) and
# SD_BENCH_ARGS (more smsdispatch-bench options) set the load. Prints one line per run: Redis's
# instructions per job.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
name=redis-insn
source scripts/run_kit.sh

jobs=${SD_BENCH_JOBS:-3000}
destinations=${SD_BENCH_DESTINATIONS:-1000000}
rounds=${SD_BENCH_ROUNDS:-1}
callgrind_setup "$@"

measure() {  # daemon binary, label
  local daemon=$1 label=$2 port out pid
  port=$(free_port)
  out=$work/$label
  mkdir -p "$out"
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
    >"$out/redis.log" 2>&1 &
  pid=$!
  pids+=($pid)
  wait_s=60 wait_for "redis-server under callgrind" redis-cli -p "$port" ping
  # The ceilings run first on the same server: zero the counts once they are done.
  "$bench" --redis "127.0.0.1:$port" --jobs "$jobs" --destinations "$destinations" \
    --daemon-binary "$daemon" --results "$out/results" ${SD_BENCH_ARGS:-} 2>&1 |
    while IFS= read -r line; do
      echo "$line" >>"$out/bench.log"
      if [[ $line == "bare streams loop:"* ]]; then callgrind_control -z "$pid" >/dev/null 2>&1; fi
      if [[ $line == "run "*": drained" ]]; then callgrind_control -d "$pid" >/dev/null 2>&1; fi
    done
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait "$pid" 2>/dev/null || true
  local total
  # The dump taken when the run drained: the run alone (zeroed after the ceilings, cut before
  # the bench reads the streams back).
  local dump
  dump=$(ls "$out"/callgrind.out.* 2>/dev/null | head -1)
  [[ -n $dump ]] || dump=$out/callgrind.out
  total=$(callgrind_total "$dump")
  local runs
  runs=$(grep -c '^| max | [0-9]* |' "$out"/results/*/bench.md || true)
  printf '%-14s %s: %s Redis instructions per job (%s jobs)\n' "$label" "$daemon" \
    "$(awk -v t="$total" -v j="$jobs" 'BEGIN { printf "%.0f", t / j }')" "$jobs"
  if ((runs < 1)); then
    echo "  the bench did not finish its run:" >&2
    tail -20 "$out/bench.log" >&2
  fi
}

for ((r = 1; r <= rounds; r++)); do
  for i in "${!daemons[@]}"; do
    measure "${daemons[$i]}" "daemon$i-round$r"
  done
done
