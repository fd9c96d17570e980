#!/usr/bin/env bash
# The producers' HTTPS API next to Kannel's HTTP sendsms interface, in one run on this machine
# (docs/benchmarks.md). Both over TLS with keep-alive, HTTP/1.1, the same number of requests
# in flight, both delivering to the same SMSC simulator over SMPP:
#   - smsdispatchd's [api] with a registry key, every request HMAC-signed afresh (api-load);
#   - Kannel 1.4.5 (Debian) bearerbox + smsbox, sendsms with username/password (wrk).
# Prints each side's requests/s, latency percentiles and CPU per request, and the ratio.
# Opt-in (not in the test command): it installs kannel and wrk if missing.
#   SD_BENCH_REQUESTS=N     requests per side (default 30000)
#   SD_BENCH_CONCURRENCY=N  requests in flight (default 64)
#   SD_BENCH_PERF=FILE      also perf-record the daemon during its run; the report goes to FILE
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
requests=${SD_BENCH_REQUESTS:-30000}
concurrency=${SD_BENCH_CONCURRENCY:-64}

scripts/deps.sh
for p in kannel wrk; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$p" >/dev/null
  }
done
build=${SD_BENCH_BUILD_DIR:-$root/build/release}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"${SD_JOBS:-2}" --target smsdispatchd smsdispatch smsc-sim api-load >/dev/null

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
pids+=($!)
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
  perf record -F 999 -g -p "$daemon_pid" -o "$work/perf.data" >/dev/null 2>&1 &
  perf_pid=$!
fi
load() {  # load NUMBERS: one api-load run with that many distinct destinations
  "$build/bench/api_load/api-load" --url "https://localhost:$api_port" --ca "$work/tls.crt" \
    --kid "$kid" --secret "$secret" --requests "$requests" --concurrency "$concurrency" \
    --daemon-pid "$daemon_pid" --redis-pid "$redis_pid" --numbers "$1"
}
# Kannel's run below sends one URL, so one destination, over and over: the same workload is
# run here too, beside the realistic one (every request a new number, which costs a
# libphonenumber parse the first time).
ours=$(load 100000000)
same=$(load 1)
echo "bench_api: api-load: $ours"
echo "bench_api: api-load, one number: $same"
if [[ -n ${SD_BENCH_PERF:-} ]]; then
  kill -INT "$perf_pid"; wait "$perf_pid" || true
  perf report -i "$work/perf.data" --no-children --percent-limit 1 --stdio 2>/dev/null \
    | grep -v '^$' >"$SD_BENCH_PERF" || true
fi
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true

# ---- Kannel ----
kport=$(free_port); sport=$(free_port); hport=$(free_port)
cat >"$work/kannel.conf" <<CONF
group = core
admin-port = $kport
admin-password = bench
smsbox-port = $sport
log-level = 3
log-file = "$work/bearerbox.log"
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
log-file = "$work/smsbox.log"

group = sendsms-user
username = bench
password = benchpw
max-messages = 1
CONF
bearerbox "$work/kannel.conf" >"$work/bearerbox.out" 2>&1 &
bb_pid=$!
pids+=($bb_pid)
wait_for bearerbox grep -q "entering mainloop" "$work/bearerbox.out"
smsbox "$work/kannel.conf" >"$work/smsbox.out" 2>&1 &
sb_pid=$!
pids+=($sb_pid)
url="https://localhost:$hport/cgi-bin/sendsms?username=bench&password=benchpw&from=BENCH"
url+="&to=%2B4915112345678&text=Your+code+is+123456"
wait_for "Kannel's sendsms" curl -sf --cacert "$work/tls.crt" -o /dev/null "$url"
# The same number of requests as ours at the same concurrency: wrk runs for a time, so it is
# given the time our side took for the same count (at least 10 s).
secs=$(python3 -c "import json,sys; print(max(10, round(json.loads(sys.argv[1])['seconds'])))" "$ours")
cpu0=$(cpu_s "$bb_pid" "$sb_pid")
wrk -t2 -c"$concurrency" -d"${secs}s" --latency "$url" >"$work/wrk.out"
cpu1=$(cpu_s "$bb_pid" "$sb_pid")

python3 - "$ours" "$work/wrk.out" "$cpu0" "$cpu1" "$same" <<'PY'
import json, re, sys
ours = json.loads(sys.argv[1])
same = json.loads(sys.argv[5])
wrk = open(sys.argv[2]).read()
cpu = float(sys.argv[4]) - float(sys.argv[3])
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
total = int(re.search(r"(\d+) requests in", wrk).group(1))
pct = {p: ms(*re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)" % p, wrk).groups()) for p in ("50", "99")}
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
print("bench_api: smsdispatchd [api] (HMAC-signed, TLS): %d requests, %.0f req/s, p50 %.2f ms, "
      "p99 %.2f ms, daemon CPU %.0f us/request, answers %s"
      % (ours["requests"], ours["requests_per_s"], ours["p50_ms"], ours["p99_ms"],
         ours.get("daemon_cpu_us_per_request", 0), json.dumps(ours["statuses"])))
print("bench_api: Kannel sendsms (user/password, TLS): %d requests, %.0f req/s, p50 %.2f ms, "
      "p99 %.2f ms, bearerbox+smsbox CPU %.0f us/request, non-2xx %s"
      % (total, rps, pct["50"], pct["99"], cpu * 1e6 / max(total, 1),
         errors.group(1) if errors else "0"))
print("bench_api: smsdispatchd, one destination as Kannel's run: %.0f req/s, p50 %.2f ms, "
      "p99 %.2f ms, daemon CPU %.0f us/request"
      % (same["requests_per_s"], same["p50_ms"], same["p99_ms"],
         same.get("daemon_cpu_us_per_request", 0)))
print("bench_api: ratio smsdispatchd / Kannel requests/s: %.2f (distinct numbers), %.2f (one "
      "number, the same workload)" % (ours["requests_per_s"] / rps, same["requests_per_s"] / rps))
PY
