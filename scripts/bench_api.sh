#!/usr/bin/env bash
# The producers' HTTPS API next to Kannel's HTTP sendsms interface, in one run on this machine
# (docs/benchmarks.md). Both over TLS with keep-alive, HTTP/1.1, the same load generator (wrk,
# two threads, the same connections and duration), both delivering to the same SMSC simulator
# over SMPP:
#   - smsdispatchd's [api] with a registry key: every request carries its own HMAC signature,
#     made ahead of the run by api-load --presign (bench/api_load/presigned.lua replays each
#     once), and verified by the daemon as any other;
#   - Kannel 1.4.5 (Debian) bearerbox + smsbox, sendsms with username/password in one URL,
#     three times: as installed (messages in memory, no delivery reports); doing what
#     smsdispatchd does for every job on Redis (the message kept in Redis until sent, Kannel's
#     store; a delivery report requested, matched through Redis, Kannel's DLR storage, and
#     handed to the producer at its dlr-url: dlr-sink, which only counts); and the same with
#     Kannel's defaults (a file store, reports waiting in memory).
# Each side's CPU is counted until every message it accepted has been sent and, where asked
# for, its report handed over. A third run of ours has api-load sign every request live
# (libcurl), for the client's cost.
# Prints each side's requests/s, latency percentiles and CPU per request, and the ratio.
# Opt-in (not in the test command): it installs kannel and wrk if missing.
#   SD_BENCH_SECONDS=N      seconds per wrk run (default 10)
#   SD_BENCH_REQUESTS=N     requests of the live-signing api-load run (default 30000)
#   SD_BENCH_CONCURRENCY=N  requests in flight (default 64)
#   SD_BENCH_PERF=FILE      also perf-record the daemon during its runs; the report goes to FILE,
#                           the recording to FILE.data; SD_BENCH_CALLGRAPH=dwarf for call
#                           stacks through code built without frame pointers
#   SD_BENCH_SYSCALLS=FILE  also count the daemon's system calls in each wrk run (FILE.new,
#                           FILE.one), to divide by the requests
#   SD_BENCH_REDIS_PERF=FILE  also perf-record redis-server during the new-number run (the
#                           report to FILE, the recording to FILE.data)
#   SD_BENCH_KANNEL="memory redis file"  which of Kannel's three runs to make (all by default;
#                           the ratios need "memory" at least)
#   SD_BENCH_LIVE=0         skip the live-signing api-load run
#   SD_BENCH_REDIS_OPTIONS=TOML  more lines for the daemon's [redis] table (e.g. linger)
#   SD_BENCH_REDIS_UNIX=1   the daemon reaches redis-server over its Unix socket (a Redis on
#                           the same host) instead of TCP on 127.0.0.1
#   SD_BENCH_REDIS_CAPTURE=FILE  after the measured runs, capture the daemon's Redis commands
#                           (MONITOR) during 3 s more of new-number load into FILE, then replay
#                           them on a private redis-server (bench/redis_replay/replay.py):
#                           Redis's CPU and, under callgrind, its instructions per job, which
#                           compare across builds and script changes on a noisy machine
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
requests=${SD_BENCH_REQUESTS:-30000}
secs=${SD_BENCH_SECONDS:-10}
concurrency=${SD_BENCH_CONCURRENCY:-64}

scripts/deps.sh
for p in kannel wrk ${SD_BENCH_REDIS_CAPTURE:+valgrind}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  }
done
build=${SD_BENCH_BUILD_DIR:-$root/build/release}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"${SD_JOBS:-2}" --target smsdispatchd smsdispatch smsc-sim api-load \
  dlr-sink >/dev/null

name=bench_api
wait_s=30
source "$root/scripts/run_kit.sh"
cpu_s() {  # cpu_s PID...: their user+system CPU seconds so far
  local t=0
  for pid in "$@"; do
    t=$(awk -v t="$t" '{ print t + ($14 + $15) / 100 }' "/proc/$pid/stat")
  done
  echo "$t"
}

umask 077
start_redis
echo "bench-pw" >"$work/smpp.password"
"$build/bench/smsc_sim/smsc-sim" --host 127.0.0.1 --port 0 --port-file "$work/smsc.port" \
  --system-id bench --password bench-pw --receipt-delay-ms 50 2>"$work/smsc.log" &
sim_pid=$!
pids+=($sim_pid)
wait_for smsc-sim test -s "$work/smsc.port"
sim_port=$(cat "$work/smsc.port")
make_localhost_cert
chmod 644 "$work/tls.crt" "$work/tls.key"  # Kannel may run as another user

# ---- smsdispatchd ----
"$build/daemon/smsdispatch" keygen --id bench.v1 --out "$work/keys.toml" >/dev/null
openssl rand -hex 32 >"$work/master.key"
key=$("$build/daemon/smsdispatch" keys create --name bench --redis "127.0.0.1:$redis_port" \
  --master-key-file "$work/master.key")
kid=$(sed -n 's/^id: //p' <<<"$key")
secret=$(sed -n 's/^secret_hex: //p' <<<"$key")
api_port=$(free_port)
cat >"$work/smsdispatchd.toml" <<TOML
[daemon]
log_level = "warn"
max_inflight = 4096
[redis]
port = $redis_port
$([[ ${SD_BENCH_REDIS_UNIX:-0} == 1 ]] && echo "unix_socket = \"$redis_socket\"")
${SD_BENCH_REDIS_OPTIONS:-}
[keys]
file = "keys.toml"
registry = "redis"
master_key_file = "master.key"
[policy]
max_validity_s = 86400
[[carrier]]
name = "sim"
host = "127.0.0.1"
port = $sim_port
system_id = "bench"
password_file = "smpp.password"
window = 256
[api]
listen = "127.0.0.1:$api_port"
tls_cert_file = "tls.crt"
tls_key_file = "tls.key"
max_connections = 1024
TOML
"$build/daemon/smsdispatchd" --config "$work/smsdispatchd.toml" 2>"$work/smsdispatchd.log" &
daemon_pid=$!
pids+=($daemon_pid)
wait_for "smsdispatchd's API" curl -s --cacert "$work/tls.crt" -o /dev/null \
  "https://localhost:$api_port/v1/messages"
sleep 1  # the key registry's first load
if [[ -n ${SD_BENCH_PERF:-} ]]; then
  perf record -F 999 --call-graph "${SD_BENCH_CALLGRAPH:-fp}" -p "$daemon_pid" \
    -o "$work/perf.data" >/dev/null 2>&1 &
  perf_pid=$!
fi
api_load=$build/bench/api_load/api-load
wrk_cpu() {  # wrk_cpu OUT ARGS...: runs wrk into OUT; prints its own CPU seconds
  # `times` as a builtin with a redirect: in a pipe it would run in a fork, which has no children
  ( wrk "${@:2}" >"$1"; times >"$1.times" )
  awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$1.times"
}
drained() {  # the daemon has read, submitted and committed every job on the stream
  redis-cli -p "$redis_port" XINFO GROUPS sd:jobs | awk '
    prev == "pending" { p = $1 } prev == "lag" { l = $1 } { prev = $1 }
    END { exit !(p == "0" && (l == "0" || l == "")) }'
}
answered() { sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1"; }  # answered FILE: wrk's count
all_receipts() {  # a receipt for every job on the stream (each is one part, each is submitted)
  (( $(redis-cli -p "$redis_port" XLEN sd:receipts) >= $(redis-cli -p "$redis_port" XLEN sd:jobs) ))
}
ours() {  # ours LABEL NUMBERS: one wrk run of pre-signed requests; writes $work/LABEL.{wrk,cpu}
  # 45,000 requests/s is more than this machine answers: no thread runs out of signatures.
  "$api_load" --url "https://localhost:$api_port" --kid "$kid" --secret "$secret" \
    --presign "$work/req-$1" --requests $((secs * 45000)) --numbers "$2"
  local d0 r0 w d1 r1 m0 m1
  redis-cli -p "$redis_port" CONFIG RESETSTAT >/dev/null
  local stat_pid=""
  if [[ -n ${SD_BENCH_SYSCALLS:-} ]]; then
    perf stat -e 'syscalls:sys_enter_*' -p "$daemon_pid" -o "$work/$1.syscalls" 2>/dev/null &
    stat_pid=$!
  fi
  local rperf=""
  if [[ -n ${SD_BENCH_REDIS_PERF:-} && $1 == new ]]; then
    perf record -F 999 --call-graph "${SD_BENCH_CALLGRAPH:-fp}" -p "$redis_pid" \
      -o "$work/redis-perf.data" >/dev/null 2>&1 &
    rperf=$!
  fi
  d0=$(cpu_s "$daemon_pid"); r0=$(cpu_s "$redis_pid"); m0=$(cpu_s "$sim_pid")
  w=$(wrk_cpu "$work/$1.wrk" -t2 -c"$concurrency" -d"${secs}s" --latency \
    -s "$root/bench/api_load/presigned.lua" "https://localhost:$api_port" -- "$work/req-$1")
  local t0 tail_s
  t0=$(date +%s.%N)
  wait_for "the daemon to drain the jobs stream" drained
  wait_for "a receipt for every message" all_receipts
  tail_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  d1=$(cpu_s "$daemon_pid"); r1=$(cpu_s "$redis_pid"); m1=$(cpu_s "$sim_pid")
  if [[ -n $rperf ]]; then
    kill -INT "$rperf"; wait "$rperf" || true
    {
      perf report -i "$work/redis-perf.data" --no-children --sort sym -g none --percent-limit 0.4 \
        --stdio 2>/dev/null
      perf report -i "$work/redis-perf.data" --children --sort sym -g none --percent-limit 2 \
        --stdio 2>/dev/null
    } | grep -v -e '^$' -e '^#' >"$SD_BENCH_REDIS_PERF" || true
    cp "$work/redis-perf.data" "$SD_BENCH_REDIS_PERF.data"
  fi
  if [[ -n $stat_pid ]]; then
    kill -INT "$stat_pid"; wait "$stat_pid" || true
    awk '$1 ~ /^[0-9,]+$/ && $1 != "0" { gsub(/,/, "", $1); print $1, $2 }' "$work/$1.syscalls" |
      sort -rn | head -12 >"$SD_BENCH_SYSCALLS.$1"
  fi
  redis-cli -p "$redis_port" INFO commandstats | tr -d '\r' >"$work/$1.commandstats"
  rm -f "$work/req-$1"-*.bin
  echo "$d0 $d1 $r0 $r1 $w $tail_s $m0 $m1" >"$work/$1.cpu"
}
# Every request to a new number (realistic), and every request to one number, the workload
# Kannel's run has (one URL).
ours new 100000000
ours one 1
if [[ -n ${SD_BENCH_REDIS_CAPTURE:-} ]]; then
  # MONITOR slows Redis (about a third of the rate): a run of its own, not one of the above.
  "$api_load" --url "https://localhost:$api_port" --kid "$kid" --secret "$secret" \
    --presign "$work/req-capture" --requests 150000 --numbers 100000000
  redis-cli -p "$redis_port" MONITOR >"$SD_BENCH_REDIS_CAPTURE" &
  monitor_pid=$!
  sleep 0.2
  # So that the daemon sends each script's body again, into the capture (replay.py reads them).
  redis-cli -p "$redis_port" SCRIPT FLUSH >/dev/null
  redis-cli -p "$redis_port" SET bench:mark start >/dev/null
  wrk -t2 -c"$concurrency" -d3s -s "$root/bench/api_load/presigned.lua" \
    "https://localhost:$api_port" -- "$work/req-capture" >/dev/null
  wait_for "the daemon to drain the jobs stream" drained
  wait_for "a receipt for every message" all_receipts
  redis-cli -p "$redis_port" SET bench:mark end >/dev/null
  sleep 0.2
  kill "$monitor_pid"; wait "$monitor_pid" || true
  rm -f "$work/req-capture"-*.bin
  python3 "$root/bench/redis_replay/replay.py" "$SD_BENCH_REDIS_CAPTURE"
  python3 "$root/bench/redis_replay/replay.py" --callgrind "$SD_BENCH_REDIS_CAPTURE" |
    grep instructions
fi
live='{}'
if [[ ${SD_BENCH_LIVE:-1} != 0 ]]; then
  live=$("$api_load" --url "https://localhost:$api_port" --ca "$work/tls.crt" \
    --kid "$kid" --secret "$secret" --requests "$requests" --concurrency "$concurrency" \
    --daemon-pid "$daemon_pid" --redis-pid "$redis_pid" --numbers 100000000)
  echo "bench_api: api-load (live signing): $live"
fi
wait_for "a receipt for every message" all_receipts  # none left for Kannel's binds
if [[ -n ${SD_BENCH_PERF:-} ]]; then
  kill -INT "$perf_pid"; wait "$perf_pid" || true
  {
    perf report -i "$work/perf.data" --no-children --sort dso -g none --stdio 2>/dev/null
    perf report -i "$work/perf.data" --no-children --sort dso,sym -g none --percent-limit 0.3 \
      --stdio 2>/dev/null
    perf report -i "$work/perf.data" --children --sort sym -g none --percent-limit 2 \
      --stdio 2>/dev/null
  } | grep -v -e '^$' -e '^#' >"$SD_BENCH_PERF" || true
  cp "$work/perf.data" "$SD_BENCH_PERF.data"  # for perf report -i, e.g. one symbol's callers
fi
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true

# ---- Kannel ----
"$build/bench/api_load/dlr-sink" --port-file "$work/sink.port" --count-file "$work/sink.count" \
  2>"$work/sink.log" &
sink_pid=$!
pids+=($sink_pid)
wait_for dlr-sink test -s "$work/sink.port"
sink_port=$(cat "$work/sink.port")
kannel() {  # kannel LABEL memory|redis|file: one wrk run against bearerbox + smsbox
  local kport sport hport
  kport=$(free_port); sport=$(free_port); hport=$(free_port)
  cat >"$work/$1.conf" <<CONF
group = core
admin-port = $kport
admin-password = bench
smsbox-port = $sport
log-level = 3
log-file = "$work/$1-bearerbox.log"
box-allow-ip = "127.0.0.1"
ssl-server-cert-file = "$work/tls.crt"
ssl-server-key-file = "$work/tls.key"

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = $sim_port
transceiver-mode = true
smsc-username = bench
smsc-password = bench-pw
system-type = "VMA"

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = $hport
sendsms-port-ssl = true
log-level = 3
log-file = "$work/$1-smsbox.log"

group = sendsms-user
username = bench
password = benchpw
max-messages = 1
CONF
  local url="https://localhost:$hport/cgi-bin/sendsms?username=bench&password=benchpw"
  url+="&from=BENCH&to=%2B4915112345678&text=Your+code+is+123456"
  if [[ $2 != memory ]]; then
    # What smsdispatchd does for every job: the accepted message kept until sent (Kannel's
    # message store), a delivery report requested, matched (its DLR storage) and handed to
    # the producer (the dlr-url; %d is the report type). "redis": both on the same
    # redis-server as ours; "file": the store in a file, the DLRs in memory (Kannel's
    # defaults for each; reports waiting then die with the process).
    url+="&dlr-mask=3&dlr-url=http%3A%2F%2F127.0.0.1%3A$sink_port%2Fdlr%3Ftype%3D%25d"
  fi
  if [[ $2 == file ]]; then
    sed -i "s|^box-allow-ip = .*|&\nstore-type = file\nstore-location = \"$work/$1.store\"|" \
      "$work/$1.conf"
  elif [[ $2 == redis ]]; then
    cat >>"$work/$1.conf" <<CONF

group = redis-connection
id = kredis
host = 127.0.0.1
port = $redis_port
database = 0
max-connections = 8

group = store-db
id = kredis
table = kannel-store

group = dlr-db
id = kredis
table = kannel-dlr
ttl = 604800
field-smsc = smsc
field-timestamp = ts
field-destination = destination
field-source = source
field-service = service
field-url = url
field-mask = mask
field-status = status
field-boxc-id = boxc
CONF
    sed -i 's/^box-allow-ip = .*/&\nstore-type = redis\ndlr-storage = redis/' "$work/$1.conf"
  fi
  bearerbox "$work/$1.conf" >"$work/$1-bearerbox.out" 2>&1 &
  local bb=$!
  pids+=($bb)
  wait_for bearerbox grep -q "entering mainloop" "$work/$1-bearerbox.out"
  smsbox "$work/$1.conf" >"$work/$1-smsbox.out" 2>&1 &
  local sb=$!
  pids+=($sb)
  wait_for "Kannel's sendsms" curl -sf --cacert "$work/tls.crt" -o /dev/null "$url"
  kannel_drained() {  # bearerbox has sent every message it queued to the SMSC
    curl -s "http://127.0.0.1:$kport/status.txt?password=bench" |
      grep -q '^SMS: received [0-9]* ([0-9]* queued), sent [0-9]* (0 queued)'
  }
  sleep 0.2  # the warm-up request's report
  local dlrs0 k0 r0 s0 w want k1 r1 s1
  dlrs0=$(cat "$work/sink.count")
  redis-cli -p "$redis_port" CONFIG RESETSTAT >/dev/null
  k0=$(cpu_s "$bb" "$sb"); r0=$(cpu_s "$redis_pid"); s0=$(cpu_s "$sink_pid")
  local m0 m1
  m0=$(cpu_s "$sim_pid")
  w=$(wrk_cpu "$work/$1.wrk" -t2 -c"$concurrency" -d"${secs}s" --latency "$url")
  local t0 tail_s
  t0=$(date +%s.%N)
  wait_for "bearerbox to send its queue" kannel_drained
  if [[ $2 != memory ]]; then
    # Kannel hands reports over more slowly than it accepts messages: allow it minutes.
    want=$(( dlrs0 + $(answered "$work/$1.wrk") ))
    wait_s=900 wait_for "a delivery report for every message" \
      bash -c "(( \$(cat $work/sink.count) >= $want ))"
  fi
  tail_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  k1=$(cpu_s "$bb" "$sb"); r1=$(cpu_s "$redis_pid"); s1=$(cpu_s "$sink_pid")
  m1=$(cpu_s "$sim_pid")
  echo "$k0 $k1 $r0 $r1 $w $tail_s $m0 $m1" >"$work/$1.cpu"
  redis-cli -p "$redis_port" INFO commandstats | tr -d '\r' >"$work/$1.commandstats"
  if [[ $2 != memory ]]; then
    echo "bench_api: $1: dlr-sink (the producer's end of Kannel's reports) used" \
      "$(awk -v a="$s0" -v b="$s1" -v n="$((want - dlrs0))" 'BEGIN { printf "%.0f", (b - a) * 1e6 / n }') us per report"
  fi
  kill -TERM "$sb" "$bb"; wait "$sb" "$bb" || true
}
kannel_runs=${SD_BENCH_KANNEL:-memory redis file}
declare -A kannel_label=([memory]=kannel [redis]=kannel_durable [file]=kannel_file)
for run in memory redis file; do
  case " $kannel_runs " in
    *" $run "*) kannel "${kannel_label[$run]}" "$run" ;;
  esac
done

python3 - "$work" "$live" <<'PY'
import json, re, sys
work, live = sys.argv[1], json.loads(sys.argv[2])
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
def side(label):
    wrk = open("%s/%s.wrk" % (work, label)).read()
    d0, d1, r0, r1, w, tail, m0, m1 = (float(x) for x in
                                       open("%s/%s.cpu" % (work, label)).read().split())
    total = int(re.search(r"(\d+) requests in", wrk).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
    errors = re.search(r"Socket errors: (.*)", wrk)
    if bad or errors:
        sys.exit("bench_api: %s: wrk saw failures: %s %s" % (label, bad and bad.group(0),
                                                          errors and errors.group(0)))
    pct = {p: ms(*re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, wrk).groups()) for p in ("50", "99")}
    wall = float(re.search(r"requests in ([\d.]+)s", wrk).group(1))
    # Accepted per second while wrk ran; and end to end: until every accepted message was
    # sent and its report handed over (for Kannel as installed: sent).
    return {"requests": total, "tail_s": tail, "e2e_rps": total / (wall + tail),
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)),
            "p50": pct["50"], "p99": pct["99"],
            "server_us": (d1 - d0) * 1e6 / total, "redis_us": (r1 - r0) * 1e6 / total,
            "wrk_us": w * 1e6 / total, "sim_us": (m1 - m0) * 1e6 / total}
import os
def maybe(label):  # a Kannel run left out by SD_BENCH_KANNEL is None
    return side(label) if os.path.exists("%s/%s.wrk" % (work, label)) else None
new, one = side("new"), side("one")
kannel, durable, filed = maybe("kannel"), maybe("kannel_durable"), maybe("kannel_file")
via = ", Redis over its Unix socket" if os.environ.get("SD_BENCH_REDIS_UNIX") == "1" else ""
for label, x, server in (("smsdispatchd, HMAC, TLS%s, new number per request" % via, new, "daemon"),
                         ("smsdispatchd, HMAC, TLS%s, one number" % via, one, "daemon"),
                         ("Kannel sendsms, TLS, one number, in memory, no reports", kannel,
                          "bearerbox+smsbox"),
                         ("Kannel sendsms, TLS, one number, Redis store and reports", durable,
                          "bearerbox+smsbox"),
                         ("Kannel sendsms, TLS, one number, file store, reports", filed,
                          "bearerbox+smsbox")):
    if x is None:
        continue
    print("bench_api: %s: %d requests, %.0f req/s, p50 %.2f ms, p99 %.2f ms, %s CPU %.0f us/request"
          "%s, wrk %.0f us/request, SMSC simulator %.0f us; all sent and reported %.1f s after "
          "wrk stopped: %.0f req/s end to end" % (label, x["requests"], x["rps"], x["p50"],
          x["p99"], server, x["server_us"],
          ", redis-server %.0f us" % x["redis_us"] if x["redis_us"] >= 1 else "", x["wrk_us"],
          x["sim_us"], x["tail_s"], x["e2e_rps"]))
# Where redis-server's time went: microseconds per request by command.
def commandstats(label, x, title):
    stats = []
    for line in open("%s/%s.commandstats" % (work, label)):
        m = re.match(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", line)
        if m:
            stats.append((int(m.group(3)) / x["requests"], m.group(1),
                          int(m.group(2)) / x["requests"]))
    stats.sort(reverse=True)
    print("bench_api: redis-server, %s, per request: " % title + ", ".join(
        "%s %.1f us (%.2f calls)" % (name, us, calls) for us, name, calls in stats[:8]))
commandstats("new", new, "smsdispatchd, new numbers")
if durable:
    commandstats("kannel_durable", durable, "Kannel with the Redis store and reports")
if live:
    print("bench_api: smsdispatchd, live-signing client (api-load): %.0f req/s, p50 %.2f ms, "
          "p99 %.2f ms, daemon %.0f us/request, redis-server %.0f us, api-load %.0f us"
          % (live["requests_per_s"], live["p50_ms"], live["p99_ms"],
             live.get("daemon_cpu_us_per_request", 0), live.get("redis_cpu_us_per_request", 0),
             live.get("client_cpu_us_per_request", 0)))
for title, k in (("Kannel in memory, no reports", kannel),
                 ("Kannel with the Redis store and reports (the same work)", durable),
                 ("Kannel with a file store and reports", filed)):
    if k:
        print("bench_api: ratio smsdispatchd / %s: %.2f (new numbers), %.2f (one number)"
              % (title, new["rps"] / k["rps"], one["rps"] / k["rps"]))
if kannel and durable and filed:
    print("bench_api: end to end (sent, and reported where asked), smsdispatchd / Kannel: %.1f as "
          "installed, %.1f with the Redis store and reports, %.1f with a file store and reports "
          "(new numbers)" % (new["e2e_rps"] / kannel["e2e_rps"],
                             new["e2e_rps"] / durable["e2e_rps"], new["e2e_rps"] / filed["e2e_rps"]))
PY
