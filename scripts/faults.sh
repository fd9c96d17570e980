#!/usr/bin/env bash
# The fault campaign (opt-in, not in CI; about 10 minutes on 2 cores). Each scenario starts a
# fresh redis-server, smsc-sim and smsdispatchd on free loopback ports in its own temporary
# directory, enqueues N signed jobs with distinct ids and destinations, applies one fault,
# waits (bounded) for every outcome and receipt, and prints ONE line: jobs, lost (no outcome),
# multiple outcomes, extra submits at the SMSC, submits after revocation / expiry, receipts
# missing / duplicated, each against its bound. docs/reliability.md says what each scenario
# does and why its bounds are what they are. Exit 1 if any bound is broken.
#   SD_FAULTS_BUILD_DIR=DIR   release build to use (default build/release; built if missing)
#   SD_FAULTS_ONLY="a b"      run only these scenarios (names as printed)
#   SD_FAULTS_KEEP=1          keep the work directory (logs, messages, stats) for inspection
#   SD_FAULTS_JSON=FILE       also append one JSON object per scenario to FILE
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${SD_FAULTS_BUILD_DIR:-$root/build/release}
helper=(python3 "$root/scripts/faults/faults.py")

scripts/deps.sh
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
                                            -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSD_BUILD_TESTS=OFF \
    -DSD_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
fi
cmake --build "$build" -j"${SD_JOBS:-2}" --target smsdispatchd smsdispatch smsc-sim >/dev/null
daemon_bin=$build/daemon/smsdispatchd
cli=$build/daemon/smsdispatch
sim_bin=$build/bench/smsc_sim/smsc-sim

umask 077  # password, key and master key files must be private
work=$(mktemp -d -t smsdispatch-faults.XXXXXX)
live=()  # pids started and not yet reaped
cleanup() {
  local pid
  for pid in "${live[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${live[@]}"; do { wait "$pid"; } 2>/dev/null || true; done
  if [[ "${SD_FAULTS_KEEP:-0}" == 1 ]]; then echo "faults: work directory kept: $work" >&2
  else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
forget() { local p=$1 i; for i in "${!live[@]}"; do [[ ${live[$i]} == "$p" ]] && unset "live[$i]"; done; live=("${live[@]}"); }
# stop PID SIGNAL TIMEOUT_S: signals, waits up to TIMEOUT_S, SIGKILLs after; sets $stop_rc.
stop() {
  local pid=$1 sig=$2 t=$3 i
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < t * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  stop_rc=0
  wait "$pid" || stop_rc=$?
  forget "$pid"
} 2>/dev/null  # also bash's "Killed" notice for a job it reaps here
wait_for() {  # wait_for DESCRIPTION COMMAND...: polls for up to 10 s
  local what=$1 i; shift
  for i in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "faults: $what did not come up; logs in $dir" >&2; return 1
}
redis_up() { [[ $(redis-cli -p "$redis_port" ping 2>/dev/null) == PONG ]]; }
xlen() { redis-cli -p "$redis_port" XLEN "$1"; }

# --- one scenario's processes ----------------------------------------------------------------
# Set by each scenario before `setup`: n, ttl_s, sim_args (array), carrier_extra, max_inflight,
# window, aof, registry, receipts.
defaults() {
  n=1000; ttl_s=0; sim_args=(); carrier_extra=""; max_inflight=1024; window=64; aof=no
  registry=no; receipts=yes; unclean=0; note=""; inconclusive=""
}

start_redis() {
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly "$aof" \
    --appendfsync always --dir "$dir" --logfile "$dir/redis.log" &
  redis_pid=$!; live+=("$redis_pid")
  wait_for redis-server redis_up
}

start_daemon() {
  "$daemon_bin" --config "$dir/smsdispatchd.toml" >>"$dir/daemon.log" 2>&1 &
  daemon_pid=$!; live+=("$daemon_pid")
}

write_config() {
  local keys='file = "keys.toml"'
  [[ $registry == yes ]] && keys=$'registry = "redis"\nmaster_key_file = "master.key"'
  cat >"$dir/smsdispatchd.toml" <<TOML
[daemon]
log_level = "info"
max_inflight = $max_inflight
stats_interval_ms = 1000
shutdown_timeout_ms = 10000
consumer = "faults"

[redis]
host = "127.0.0.1"
port = $redis_port
block_ms = 200
claim_interval_ms = 500

[keys]
$keys

[[carrier]]
name = "sim"
host = "127.0.0.1"
port = $(cat "$dir/smsc.port")
system_id = "faults"
password_file = "smpp.password"
window = $window
response_timeout_ms = 2000
reconnect_initial_ms = 50
reconnect_max_ms = 500
$carrier_extra
TOML
}

make_keys() {
  if [[ $registry == yes ]]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/master.key"
    local out
    out=$("$cli" keys create --name faults --redis "127.0.0.1:$redis_port" \
            --master-key-file "$dir/master.key" 2>>"$dir/cli.log")
    printf '[[key]]\nid = "faults.v1"\nsecret = "%s"\n' \
      "$(sed -n 's/^secret_hex: //p' <<<"$out")" >"$dir/producer.toml"
  else
    "$cli" keygen --id faults.v1 --out "$dir/keys.toml" >/dev/null
    cp "$dir/keys.toml" "$dir/producer.toml"
  fi
}

setup() {
  scenario=$1
  dir=$work/$scenario
  mkdir -p "$dir"
  started=$(now_ms)
  redis_port=$(free_port)
  start_redis
  echo "faultpw" >"$dir/smpp.password"
  local delay=50
  [[ $receipts == no ]] && delay=-1
  "$sim_bin" --host 127.0.0.1 --port 0 --port-file "$dir/smsc.port" --system-id faults \
    --password faultpw --receipt-delay-ms "$delay" --messages-file "$dir/messages.jsonl" \
    --stats-file "$dir/sim.json" "${sim_args[@]}" 2>"$dir/sim.log" &
  sim_pid=$!; live+=("$sim_pid")
  wait_for smsc-sim test -s "$dir/smsc.port"
  make_keys
  write_config
  "${helper[@]}" jobs --out "$dir/jobs.jsonl" --n "$n" --scenario "$scenario" --ttl-s "$ttl_s"
  "$cli" enqueue --redis "127.0.0.1:$redis_port" --key-file "$dir/producer.toml" \
    --key-id faults.v1 --file "$dir/jobs.jsonl" >/dev/null
}

# wait_outcomes N TIMEOUT_S: 0 once N outcomes exist.
wait_outcomes() { "${helper[@]}" wait --port "$redis_port" --outcomes "$1" --timeout-s "$2"; }

# finish TIMEOUT_S CHECK_ARGS...: waits for every outcome (and receipt), stops everything and
# prints the scenario's line; returns 1 if a bound is broken.
finish() {
  local timeout=$1; shift
  wait_outcomes "$n" "$timeout" || note+=" outcomes-timed-out"
  if [[ $receipts == yes ]]; then
    "${helper[@]}" settle --stats "$dir/sim.json" --timeout-s 30 || note+=" receipts-not-settled"
  fi
  stop "$daemon_pid" TERM 30
  ((stop_rc == 0)) || unclean=$((unclean + 1))
  stop "$sim_pid" TERM 10
  ((stop_rc == 0)) || unclean=$((unclean + 1))
  local rc=0 rflag=()
  [[ $receipts == yes ]] && rflag=(--receipts)
  "${helper[@]}" check --port "$redis_port" --scenario "$scenario" \
    --messages "$dir/messages.jsonl" --stats "$dir/sim.json" "${rflag[@]}" \
    --unclean-exits "$unclean" --note "${note# }" --inconclusive "$inconclusive" \
    --elapsed-s "$(printf %d.%d $(( ($(now_ms) - started) / 1000 )) $(( ($(now_ms) - started) % 1000 / 100 )))" \
    ${SD_FAULTS_JSON:+--json-out "$SD_FAULTS_JSON"} \
    --bound lost\<=0 --bound multi\<=0 --bound phantom\<=0 --bound unclean_exits\<=0 \
    --bound rcpt_dup\<=0 --expiry-slack-ms 250 --bound after_expiry\<=0 "$@" || rc=1
  stop "$redis_pid" TERM 10
  return $rc
}

# --- the scenarios -----------------------------------------------------------------------------
# Every scenario also checks lost = 0, multiple outcomes = 0, phantom submits (a `submitted`
# outcome the SMSC never saw) = 0, submits after the job's expiry = 0, duplicated receipts = 0
# and a clean exit on SIGTERM.
landed() {  # landed WHAT OUTCOMES_AT_THE_FAULT: the fault must hit a run still under way
  (($2 < n)) || inconclusive+="$1 came after all $n outcomes; "
}

sc_kill9() {  # kill -9 three times mid-run; each crash may resend what was at the carrier
  defaults; n=10000; max_inflight=128; window=16; sim_args=(--submit-latency-ms 10)
  setup kill9
  start_daemon
  local k at=()
  for k in 1 2 3; do
    wait_outcomes $((n * (k * 25 - 10) / 100)) 60 || true
    stop "$daemon_pid" KILL 5
    at+=("$(xlen sd:outcomes)")
    landed "kill $k" "${at[-1]}"
    start_daemon
  done
  note="killed-at=${at[*]}"; note=${note// /,}
  # max_unsettled (default window x binds, one bind here) bounds what a crash may resend.
  finish 120 --bound extra\<=$((3 * window)) --bound rcpt_missing\<=0 \
    --bound not_submitted\<=0 --count-not-submitted
}

sc_sigterm() {  # SIGTERM mid-run: jobs at the carrier finish, the rest wait in Redis
  defaults; n=4000; window=16; sim_args=(--submit-latency-ms 20)
  setup sigterm
  start_daemon
  wait_outcomes $((n / 3)) 60 || true
  stop "$daemon_pid" TERM 30
  ((stop_rc == 0)) || unclean=$((unclean + 1))
  local at; at=$(xlen sd:outcomes)
  landed SIGTERM "$at"
  note="stopped-at=$at"
  start_daemon
  finish 120 --bound extra\<=0 --bound rcpt_missing\<=0 --bound not_submitted\<=0 \
    --count-not-submitted
}

sc_redis() {  # Redis killed (-9) and restarted from its AOF under a running daemon
  defaults; n=6000; aof=yes; sim_args=(--submit-latency-ms 2)
  setup redis
  start_daemon
  wait_outcomes $((n / 4)) 60 || true
  local at; at=$(xlen sd:outcomes)
  stop "$redis_pid" KILL 5
  landed "the Redis kill" "$at"
  note="redis-killed-at=$at"
  sleep 1
  start_redis
  finish 120 --bound extra\<=0 --bound rcpt_missing\<=0 --bound not_submitted\<=0 \
    --count-not-submitted
}

sc_throttle() {  # the SMSC allows 100 submits/s per bind and answers ESME_RTHROTTLED beyond
  defaults; n=1500; sim_args=(--throttle-tps 100)
  setup throttle
  start_daemon
  finish 90 --bound extra\<=0 --bound rcpt_missing\<=0 --bound not_submitted\<=0 \
    --count-not-submitted --show-stat throttled --show-stat max_window_submits
}

sc_queuefull() {  # every 20th submit answered ESME_RMSGQFUL; jobs valid 45 s
  defaults; n=500; ttl_s=45; sim_args=(--msgqful-every 20)
  setup queuefull
  start_daemon
  finish 60 --bound extra\<=0 --bound rcpt_missing\<=0 --bound not_submitted\<=0 \
    --count-not-submitted --show-stat msgqful
}

sc_temperr() {  # every 10th submit answered ESME_RSYSERR
  defaults; n=3000; sim_args=(--temp-error-every 10)
  setup temperr
  start_daemon
  finish 90 --bound extra\<=0 --bound rcpt_missing\<=0 --bound not_submitted\<=0 \
    --count-not-submitted --show-stat temp_errors
}

sc_drop() {  # the SMSC closes each connection after its 250th submit, answers in flight lost
  defaults; n=4000; window=16; sim_args=(--drop-connection-after 250 --submit-latency-ms 2)
  setup drop
  start_daemon
  finish 90 --bound extra\<=$window\*dropped_connections --bound rcpt_missing\<=0 \
    --bound not_submitted\<=0 --count-not-submitted --show-stat dropped_connections
}

sc_noreceipts() {  # the SMSC never sends a receipt
  defaults; n=2000; receipts=no; sim_args=(--submit-latency-ms 2)
  setup noreceipts
  start_daemon
  finish 60 --bound extra\<=0 --bound not_submitted\<=0 --count-not-submitted
}

sc_garbage() {  # every 7th receipt unparsable: quarantined, acknowledged, never matched
  defaults; n=2800; sim_args=(--garbage-receipt-every 7)
  setup garbage
  start_daemon
  finish 90 --bound extra\<=0 --bound rcpt_missing\<=garbage_receipts --bound not_submitted\<=0 \
    --count-not-submitted --show-stat garbage_receipts
}

sc_revoke() {  # the key is revoked while jobs wait for a carrier paced at 20 submits/s
  defaults; n=600; registry=yes; carrier_extra="tps = 20"
  setup revoke
  start_daemon
  wait_outcomes 40 60 || true
  "$cli" keys revoke --id faults.v1 --redis "127.0.0.1:$redis_port" \
    --master-key-file "$dir/master.key" >/dev/null
  local revoked at; revoked=$(now_ms); at=$(xlen sd:outcomes)
  landed "the revocation" "$at"
  note="revoked-at=$at"
  finish 60 --revoke-ms "$revoked" --bound after_revoke\<=0 --bound extra\<=0 \
    --bound rcpt_missing\<=0
}

sc_expiry() {  # jobs valid 4 s wait for a carrier paced at 20 submits/s (30 s of work)
  defaults; n=600; ttl_s=4; carrier_extra="tps = 20"
  setup expiry
  start_daemon
  finish 60 --bound extra\<=0 --bound rcpt_missing\<=0
}

all=(kill9 sigterm redis throttle queuefull temperr drop noreceipts garbage revoke expiry)
selected=(${SD_FAULTS_ONLY:-${all[@]}})
echo "faults: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
     "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, scenarios: ${selected[*]}"
failed=()
for s in "${selected[@]}"; do
  declare -F "sc_$s" >/dev/null || { echo "faults: unknown scenario '$s' (${all[*]})" >&2; exit 2; }
  "sc_$s" || failed+=("$s")
done
if ((${#failed[@]})); then
  echo "faults: FAILED: ${failed[*]}"
  exit 1
fi
echo "faults: every bound held"
