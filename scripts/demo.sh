#!/usr/bin/env bash
# The main job, end to end on this machine: builds smsdispatch, starts a private redis-server,
# the SMSC simulator and smsdispatchd on free loopback ports, enqueues 1,000 signed OTPs, 50 long
# UCS-2 notifications (3 parts each) and a handful of bad jobs, waits until every job has exactly one outcome and every submitted job a
# receipt, prints a summary, and stops everything it started. Exit 0 only if every job got
# exactly one outcome.
#   SD_DEMO_JOBS=N   number of good jobs (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n_good=${SD_DEMO_JOBS:-1000}

scripts/deps.sh
build=${SD_DEMO_BUILD_DIR:-$root/build/release}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"${SD_JOBS:-2}" --target smsdispatchd smsdispatch smsc-sim >/dev/null

work=$(mktemp -d -t smsdispatch-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for DESCRIPTION COMMAND...: polls for up to 10 s
  local what=$1; shift
  for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "demo: $what did not come up; logs in $work" >&2; return 1
}

redis_port=$(free_port)
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
  --dir "$work" --logfile "$work/redis.log" &
pids+=($!)
wait_for redis-server redis-cli -p "$redis_port" ping

umask 077
echo "demo-pw1" >"$work/smpp.password"
"$build/bench/smsc_sim/smsc-sim" --host 127.0.0.1 --port 0 --port-file "$work/smsc.port" \
  --system-id demo --password demo-pw1 --submit-latency-ms 2 --receipt-delay-ms 50 \
  --stats-file "$work/smsc.json" 2>"$work/smsc.log" &
pids+=($!)
wait_for smsc-sim test -s "$work/smsc.port"

"$build/daemon/smsdispatch" keygen --id demo.v1 --out "$work/keys.toml" >/dev/null
cat >"$work/smsdispatchd.toml" <<TOML
[daemon]
log_level = "info"
max_inflight = 2048
stats_interval_ms = 1000

[redis]
host = "127.0.0.1"
port = $redis_port
batch = 512

[keys]
file = "keys.toml"

[[carrier]]
name = "sim"
host = "127.0.0.1"
port = $(cat "$work/smsc.port")
system_id = "demo"
password_file = "smpp.password"
window = 256
TOML

"$build/daemon/smsdispatchd" --config "$work/smsdispatchd.toml" 2>"$work/smsdispatchd.log" &
daemon_pid=$!
pids+=($daemon_pid)

cli=("$build/daemon/smsdispatch")
common=(--redis "127.0.0.1:$redis_port" --key-file "$work/keys.toml" --key-id demo.v1)
start_ms=$(date +%s%3N)
"${cli[@]}" enqueue "${common[@]}" --count "$n_good" --to-prefix +4915100 --from DEMO \
  --text "Your demo code is 424242" --kind otp
# 50 long notifications: 160 Cyrillic characters need UCS-2 and go out in 3 concatenated
# parts each; the SMSC reassembles them and each job still gets ONE receipt.
n_long=50
long_text="$(printf 'Ваш заказ отправлен, номер отслеживания будет в следующем сообщении. %.0s' 1 2 3)"
"${cli[@]}" enqueue "${common[@]}" --count "$n_long" --to-prefix +4917600 --from DEMO \
  --text "$long_text" --kind transactional >/dev/null
n_good=$((n_good + n_long))
n_bad=0
for bad in forged-signature unknown-key expired malformed wrong-stream bad-number; do
  "${cli[@]}" enqueue "${common[@]}" --count 2 --to-prefix +4915199 --from DEMO \
    --text "bad job" --corrupt "$bad" >/dev/null
  n_bad=$((n_bad + 2))
done
total=$((n_good + n_bad))
echo "demo: enqueued $n_good good and $n_bad bad jobs; waiting for outcomes and receipts"

set +e
"${cli[@]}" outcomes --redis "127.0.0.1:$redis_port" --wait-for "$total" \
  --wait-receipts "$n_good" --timeout-s 120
rc=$?
set -e
end_ms=$(date +%s%3N)
elapsed_ms=$((end_ms - start_ms))
echo "demo: $total jobs to outcome and $n_good receipts in ${elapsed_ms} ms" \
     "($(( total * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) )) jobs/s, enqueue included)"
echo "demo: simulator counters: $(cat "$work/smsc.json" 2>/dev/null)"
echo "demo: $n_long long texts reassembled by the SMSC from their parts:" \
     "$(grep -o '"reassembled_messages":[0-9]*' "$work/smsc.json" | cut -d: -f2)"
echo "demo: security decisions on the audit stream sd:audit:" \
     "$(redis-cli -p "$redis_port" XLEN sd:audit)"
kill -TERM "$daemon_pid"
wait "$daemon_pid" && echo "demo: smsdispatchd stopped cleanly (exit 0)" || { echo "demo: smsdispatchd exit $?" >&2; rc=1; }
if ((rc != 0)); then
  echo "demo: FAILED; daemon log tail:" >&2
  tail -n 30 "$work/smsdispatchd.log" >&2 || true
fi
exit $rc
