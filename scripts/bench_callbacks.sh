#!/usr/bin/env bash
# What status callbacks cost dispatch (docs/benchmarks.md, "Status callbacks"), in one run on
# this machine: the same N signed jobs drained by smsdispatchd twice from a full jobs stream,
# first without [callbacks], then with every job's key calling back to an HTTPS receiver
# (tests/integration/callback_receiver.py: Python, TLS, verifying every signature). Prints per
# run the drain rate (jobs/s to the last outcome) and the daemon's CPU per job, then how long
# the callbacks took to be delivered and the daemon's CPU per delivered event.
# Opt-in (not in the test command).
#   SD_BENCH_JOBS=N      jobs per run (default 20000)
#   SD_BENCH_ROUNDS=N    pairs of runs (default 3)
#   SD_BENCH_DAEMON=PATH another smsdispatchd to run, e.g. a ThreadSanitizer build's (its
#                        reports land in the daemon logs, which are then printed)
#   SD_BENCH_BASELINE_DAEMON=PATH  also run the callbacks side with this smsdispatchd each
#                        round (an earlier build), for a side-by-side ratio of a change
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=${SD_BENCH_JOBS:-20000}
rounds=${SD_BENCH_ROUNDS:-3}

scripts/deps.sh test >/dev/null
build=${SD_BENCH_BUILD_DIR:-$root/build/release}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"${SD_JOBS:-2}" --target smsdispatchd smsdispatch smsc-sim >/dev/null

name=bench_callbacks
wait_s=30
source "$root/scripts/run_kit.sh"
cpu_s() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }
xack_calls() {  # redis-server's XACK count so far (INFO commandstats)
  rcli INFO commandstats | sed -n 's/^cmdstat_xack:calls=\([0-9]*\),.*/\1/p' | tr -d '\r'
}
cb_cpu_s() {  # the callback thread's CPU seconds (0 without one)
  local t
  for t in /proc/"$1"/task/*; do
    if [[ $(cat "$t/comm") == sd-callbacks ]]; then cpu_s "$1/task/${t##*/}"; return; fi
  done
  echo 0
}
now() { date +%s.%N; }

umask 077
start_redis
rcli() { redis-cli -p "$redis_port" "$@"; }
echo "bench-pw" >"$work/smpp.password"
"$build/bench/smsc_sim/smsc-sim" --host 127.0.0.1 --port 0 --port-file "$work/smsc.port" \
  --system-id bench --password bench-pw --receipt-delay-ms 10 2>"$work/smsc.log" &
pids+=($!)
wait_for smsc-sim test -s "$work/smsc.port"
make_localhost_cert
: >"$work/secrets"
# The receiver stands for the producers' hosts: on this machine it runs at the lowest
# priority, so that the daemon is measured, not the Python receiver's share of the cores.
nice -n 19 /usr/bin/python3 "$root/tests/integration/callback_receiver.py" --cert "$work/tls.crt" \
  --key "$work/tls.key" --secrets-file "$work/secrets" --out "$work/requests.jsonl" \
  --port-file "$work/receiver.port" 2>"$work/receiver.log" &
pids+=($!)
wait_for receiver test -s "$work/receiver.port"

openssl rand -hex 32 >"$work/master.key"
key=$("$build/daemon/smsdispatch" keys create --name bench --redis "127.0.0.1:$redis_port" \
  --master-key-file "$work/master.key" \
  --callback-url "https://localhost:$(cat "$work/receiver.port")/hook" 2>/dev/null)
kid=$(sed -n 's/^id: //p' <<<"$key")
secret=$(sed -n 's/^secret_hex: //p' <<<"$key")
sed -n 's/^callback_secret: //p' <<<"$key" >"$work/secrets"

config() {  # config WITH_CALLBACKS
  cat <<TOML
[daemon]
log_level = "warn"
max_inflight = 4096
consumer = "bench"
stats_interval_ms = 1000
[redis]
port = $redis_port
[keys]
registry = "redis"
master_key_file = "master.key"
[policy]
max_validity_s = 86400
[[carrier]]
name = "sim"
host = "127.0.0.1"
port = $(cat "$work/smsc.port")
system_id = "bench"
password_file = "smpp.password"
window = 256
TOML
  if [[ $1 == yes ]]; then
    printf '[callbacks]\nca_file = "tls.crt"\nmax_in_flight = 64\nmax_per_url = 32\n'
  fi
}

enqueue() {  # N jobs signed with the registry key, pipelined by the Python library
  PYTHONPATH="$root/clients/python" /usr/bin/python3 - "$redis_port" "$kid" "$secret" "$jobs" <<'PY'
import sys, redis
from smsdispatch import RedisProducer, new_job
port, kid, secret, n = int(sys.argv[1]), sys.argv[2], bytes.fromhex(sys.argv[3]), int(sys.argv[4])
r = redis.Redis(port=port)
p = RedisProducer(r, kid, secret)
pipe = r.pipeline(transaction=False)
for i in range(n):
    pipe.xadd("sd:jobs", p.entry(new_job("+49151%08d" % (i % 1000), "BENCH", "bench %d" % i,
                                         "transactional")))
    if i % 1000 == 999:
        pipe.execute()
pipe.execute()
PY
}

run() {  # run WITH_CALLBACKS [DAEMON LABEL]: drains $jobs jobs; prints the figures
  local with=$1 daemon=${2:-${SD_BENCH_DAEMON:-$build/daemon/smsdispatchd}} label=${3:-}
  local before_out before_cb t0 c0 t1 c1 pid
  config "$with" >"$work/smsdispatchd.toml"
  enqueue
  before_out=$(rcli XLEN sd:outcomes)
  before_cb=$(grep -c '"status": 204' "$work/requests.jsonl" 2>/dev/null || true)
  "$daemon" --config "$work/smsdispatchd.toml" 2>>"$work/daemon-$with.log" &
  pid=$!
  pids+=($pid)
  t0=$(now); c0=0
  while (($(rcli XLEN sd:outcomes) < before_out + jobs)); do sleep 0.05; done
  t1=$(now); c1=$(cpu_s "$pid"); cb1=$(cb_cpu_s "$pid"); x1=$(xack_calls)
  awk -v n="$jobs" -v t0="$t0" -v t1="$t1" -v c="$c1" -v cb="$cb1" -v w="$with" -v l="$label" 'BEGIN {
    printf "bench_callbacks: callbacks=%s%s: %d jobs drained in %.2f s = %.0f jobs/s, daemon CPU %.1f us/job (%.1f of it the callback thread)\n",
           w, l, n, t1 - t0, n / (t1 - t0), c * 1e6 / n, cb * 1e6 / n }'
  if [[ $with == yes ]]; then
    local events=$((2 * jobs))  # an outcome and a delivery receipt per job
    while (($(grep -c '"status": 204' "$work/requests.jsonl") < before_cb + events)); do
      sleep 0.2
      kill -0 "$pid" || { echo "bench_callbacks: the daemon died" >&2; exit 1; }
    done
    local t2 c2
    t2=$(now); c2=$(cpu_s "$pid")
    echo "bench_callbacks:$label XACK commands after the drain: $(($(xack_calls) - ${x1:-0}))"
    awk -v e="$events" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v c1="$c1" -v c2="$c2" -v l="$label" 'BEGIN {
      printf "bench_callbacks:%s %d callbacks delivered %.2f s after the start (%.0f/s overall, the last %.2f s after the last outcome); daemon CPU after the drain %.1f us per event\n",
             l, e, t2 - t0, e / (t2 - t0), t2 - t1, (c2 - c1) * 1e6 / e }'
    { grep -c '"status": 401' "$work/requests.jsonl" || true; } | sed 's/^/bench_callbacks: refused by the verifier: /'
  fi
  kill -TERM "$pid"; wait "$pid" || true
}

for ((round = 1; round <= rounds; round++)); do  # interleaved: noise falls on both alike
  run no
  run yes
  if [[ -n ${SD_BENCH_BASELINE_DAEMON:-} ]]; then
    run yes "$SD_BENCH_BASELINE_DAEMON" " (baseline)"
  fi
done
if [[ -n ${SD_BENCH_DAEMON:-} ]]; then
  cat "$work"/daemon-*.log
fi
