#!/usr/bin/env bash
# The main job, end to end on this machine: builds smsdispatch, starts a private redis-server,
# the SMSC simulator, the HTTP provider simulator (over TLS, with a certificate made here) and
# smsdispatchd on free loopback ports, enqueues 1,000 signed OTPs and 50 long UCS-2
# notifications (3 parts each) for the SMPP route, 200 OTPs for the HTTP route (+44, receipts
# by signed webhook to the daemon's listener), 20 messages posted to the producers' HTTPS API
# with curl (a registry key made here, bearer form; one forged request refused 401; its outcomes
# and receipts called back, signed, to a receiver that verifies them) and a
# handful of bad jobs, waits until every job
# has exactly one outcome and every submitted job a receipt, stops everything, prints a summary
# with both simulators' final counters (written as they exit), and removes everything it
# started. Exit 0 only if every job got exactly one outcome, the daemon stopped cleanly, the
# SMSC saw every message (all parts, the 50 long texts reassembled), and the HTTP provider took
# every +44 job once and had every receipt webhook answered 200, and the admin listener said
# ready and counted every submitted job in /metrics.
#   SD_DEMO_JOBS=N   number of good jobs (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
n_good=${SD_DEMO_JOBS:-1000}

scripts/deps.sh
build=${SD_DEMO_BUILD_DIR:-$root/build/release}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSD_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"${SD_JOBS:-2}" --target smsdispatchd smsdispatch smsc-sim http-sim >/dev/null

name=demo
source "$root/scripts/run_kit.sh"

start_redis

umask 077
echo "demo-pw1" >"$work/smpp.password"
"$build/bench/smsc_sim/smsc-sim" --host 127.0.0.1 --port 0 --port-file "$work/smsc.port" \
  --system-id demo --password demo-pw1 --submit-latency-ms 2 --receipt-delay-ms 50 \
  --stats-file "$work/smsc.json" --mo-file "$work/mo.jsonl" 2>"$work/smsc.log" &
sim_pid=$!
pids+=($sim_pid)
wait_for smsc-sim test -s "$work/smsc.port"

# The HTTP provider, over TLS: one self-signed certificate for localhost serves both the
# simulator and the daemon's webhook listener, and is the CA each side trusts.
make_localhost_cert
echo "demo-rest-secret" >"$work/rest.secret"
echo "demo-hook-secret" >"$work/hook.secret"
listen_port=$(free_port)
"$build/bench/http_sim/http-sim" --port 0 --port-file "$work/http.port" \
  --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" --username AC-demo \
  --password demo-rest-secret --latency-ms 5 --receipt-delay-ms 50 \
  --webhook-secret demo-hook-secret --webhook-ca "$work/tls.crt" \
  --stats-file "$work/http.json" 2>"$work/http.log" &
http_pid=$!
pids+=($http_pid)
wait_for http-sim test -s "$work/http.port"

"$build/daemon/smsdispatch" keygen --id demo.v1 --out "$work/keys.toml" >/dev/null
# The key registry (sealed in Redis under a master key made here) holds the API's key.
openssl rand -hex 32 >"$work/master.key"
# The producer's status-callback receiver (Python's standard library, verifying every
# Standard Webhooks signature on its own), over TLS with the same certificate.
: >"$work/callback.secrets"
/usr/bin/python3 "$root/tests/integration/callback_receiver.py" --cert "$work/tls.crt" \
  --key "$work/tls.key" --secrets-file "$work/callback.secrets" --out "$work/callbacks.jsonl" \
  --port-file "$work/receiver.port" 2>"$work/receiver.log" &
pids+=($!)
wait_for "the callback receiver" test -s "$work/receiver.port"
api_key=$("$build/daemon/smsdispatch" keys create --name demo-api --auth both --kinds otp \
  --callback-url "https://localhost:$(cat "$work/receiver.port")/hook" \
  --redis "127.0.0.1:$redis_port" --master-key-file "$work/master.key" 2>/dev/null)
sed -n 's/^callback_secret: //p' <<<"$api_key" >"$work/callback.secrets"
api_id=$(sed -n 's/^id: //p' <<<"$api_key")
api_secret=$(sed -n 's/^secret_hex: //p' <<<"$api_key")
api_port=$(free_port)
admin_port=$(free_port)
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
registry = "redis"
master_key_file = "master.key"

[[carrier]]
name = "sim"
host = "127.0.0.1"
port = $(cat "$work/smsc.port")
system_id = "demo"
password_file = "smpp.password"
window = 256

[[carrier]]
name = "rest"
protocol = "http"
preset = "messages-form"
url = "https://localhost:$(cat "$work/http.port")/2010-04-01/Accounts/AC-demo/Messages.json"
username = "AC-demo"
secret_file = "rest.secret"
idempotency_header = "Idempotency-Key"
callback_url = "https://localhost:$listen_port/v1/receipts/rest"
window = 64
[carrier.tls]
ca_file = "tls.crt"
[carrier.webhook]
secret_files = ["hook.secret"]
allow_ips = ["127.0.0.1"]

[[route]]
prefixes = ["+44"]
carriers = ["rest"]
[[route]]
carriers = ["sim"]

[listener]
listen = "127.0.0.1:$listen_port"
tls_cert_file = "tls.crt"
tls_key_file = "tls.key"

[api]
listen = "127.0.0.1:$api_port"
tls_cert_file = "tls.crt"
tls_key_file = "tls.key"

[callbacks]
ca_file = "tls.crt"

[admin]
listen = "127.0.0.1:$admin_port"
TOML

"$build/daemon/smsdispatchd" --config "$work/smsdispatchd.toml" 2>"$work/smsdispatchd.log" &
daemon_pid=$!
pids+=($daemon_pid)

cli=("$build/daemon/smsdispatch")
common=(--redis "127.0.0.1:$redis_port" --key-file "$work/keys.toml" --key-id demo.v1)
start_ms=$(date +%s%3N)
"${cli[@]}" enqueue "${common[@]}" --count "$n_good" --to-prefix +4915100 --from DEMO \
  --text "Your demo code is 424242" --kind otp
# 50 long notifications: 157 Cyrillic characters need UCS-2 (70 per SMS, 67 per part of a
# concatenated one) and go out in 3 parts each; the SMSC reassembles them and each job still
# gets ONE receipt. The outcomes' `segments` say how many parts each job took.
n_long=50
long_text="$(printf 'Ваш заказ отправлен, номер отслеживания будет в следующем сообщении. %.0s' 1 2)"
long_text+="Спасибо за покупку!"
"${cli[@]}" enqueue "${common[@]}" --count "$n_long" --to-prefix +4917600 --from DEMO \
  --text "$long_text" --kind transactional >/dev/null
n_good=$((n_good + n_long))
# The HTTP route: UK mobiles (+44 7911 ...) go to the REST provider.
n_http=200
"${cli[@]}" enqueue "${common[@]}" --count "$n_http" --to-prefix +447911 --from DEMO \
  --text "Your demo code is 515151" --kind otp >/dev/null
n_good=$((n_good + n_http))
n_bad=0
for bad in forged-signature unknown-key expired malformed wrong-stream bad-number; do
  "${cli[@]}" enqueue "${common[@]}" --count 2 --to-prefix +4915199 --from DEMO \
    --text "bad job" --corrupt "$bad" >/dev/null
  n_bad=$((n_bad + 2))
done
# The producers' HTTPS API: 20 OTPs with curl (TLS, the bearer form the key allows), then one
# request with a wrong secret, which must be refused and queue nothing.
n_api=20
wait_for "the daemon's API" grep -q "ready:" "$work/smsdispatchd.log"
api_codes=$(for i in $(seq 1 "$n_api"); do
  curl -sS --cacert "$work/tls.crt" -o /dev/null -w '%{http_code}\n' \
    -H "Authorization: Bearer $api_id:$api_secret" \
    -d "{\"to\":\"+49151009$(printf %05d "$i")\",\"from\":\"DEMO\",\"text\":\"Your demo code is 636363\",\"kind\":\"otp\"}" \
    "https://localhost:$api_port/v1/messages"
done | sort | uniq -c | tr -s ' ' | tr '\n' ';')
api_forged=$(curl -sS --cacert "$work/tls.crt" -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $api_id:$(printf '0%.0s' $(seq 64))" \
  -d '{"to":"+4915100999999","from":"DEMO","text":"forged","kind":"otp"}' \
  "https://localhost:$api_port/v1/messages")
echo "demo: HTTPS API: $n_api posts answered (count status):${api_codes%;}; a forged bearer answered $api_forged"
n_good=$((n_good + n_api))
# A recipient replies STOP (the simulator sends it as a mobile-originated message on SIGUSR2):
# the daemon keeps the reply on sd:inbound and opts the number out of DEMO's messages in the
# same step; the job sent to them after it is refused opted_out.
stop_from=+4915100888888
printf '{"from": "%s", "to": "DEMO", "text": "STOP"}\n' "${stop_from#+}" >"$work/mo.jsonl"
kill -USR2 "$sim_pid"
opted_out() { [[ $(redis-cli -p "$redis_port" HEXISTS sd:optouts "s:demo|$stop_from") == 1 ]]; }
wait_for "the STOP reply" opted_out
sleep 1  # every daemon applies an opt-out within a second
stop_entry=$("${cli[@]}" enqueue "${common[@]}" --to "$stop_from" --from DEMO \
  --text "Your demo code is 717171" --kind otp | cut -d' ' -f1)
n_bad=$((n_bad + 1))
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
echo "demo: security decisions on the audit stream sd:audit:" \
     "$(redis-cli -p "$redis_port" XLEN sd:audit)"
# The API key's 20 outcomes and 20 receipts, called back; the receiver verifies each.
callbacks() { grep -c "\"status\": $1" "$work/callbacks.jsonl" 2>/dev/null || true; }
for _ in $(seq 300); do  # up to 30 s
  (($(callbacks 204) >= 2 * n_api)) && break
  sleep 0.1
done
cb_ok=$(callbacks 204); cb_refused=$(callbacks 401)
echo "demo: status callbacks to the API key's URL: $cb_ok delivered (outcomes and receipts)," \
     "signatures refused by the receiver: $cb_refused"
# What an operator's Prometheus sees (docs/operations.md): the admin listener's /readyz and a
# few /metrics series, checked against the outcome stream.
ready=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin_port/readyz" || true)
curl -sS "http://127.0.0.1:$admin_port/metrics" >"$work/metrics.txt" || true
metric() { awk -v s="$1" '$1 == s { print $2; exit }' "$work/metrics.txt"; }
m_submitted=$(metric smsdispatch_jobs_submitted_total)
want_submitted=$(redis-cli -p "$redis_port" --raw XRANGE sd:outcomes - + |
  awk 'prev == "status" && $0 == "submitted" { n++ } { prev = $0 } END { print n + 0 }')
# The bucket where 99 % of enqueue -> carrier-accepted latencies fall.
p99=$(awk '/^smsdispatch_enqueue_to_submit_seconds_bucket/ { split($1, a, "\""); le[++n] = a[2]; c[n] = $2 }
           /^smsdispatch_enqueue_to_submit_seconds_count/ { total = $2 }
           END { for (i = 1; i <= n; i++) if (c[i] >= 0.99 * total) { print le[i]; exit } }' \
        "$work/metrics.txt")
echo "demo: admin listener: /readyz $ready; /metrics: submitted ${m_submitted:-?}," \
     "rejected $(awk '/^smsdispatch_jobs_rejected_total/ && $2 > 0 { split($1, a, "\""); printf "%s%s=%s", s, a[2], $2; s = " " }' "$work/metrics.txt")," \
     "$(wc -l <"$work/metrics.txt") lines; 99 % enqueued-to-accepted within ${p99:-?} s"
check_metrics="$([[ $ready == 200 && ${m_submitted:-x} == "$want_submitted" ]] && echo ok)"
kill -TERM "$daemon_pid"
wait "$daemon_pid" && echo "demo: smsdispatchd stopped cleanly (exit 0)" || { echo "demo: smsdispatchd exit $?" >&2; rc=1; }

# The simulator rewrites its stats file only every 200 ms, so a copy read now may predate the
# last submits. Stopped, it writes its final counters before it exits: read those.
rm -f "$work/smsc.json"
kill -TERM "$sim_pid"
wait "$sim_pid" || { echo "demo: smsc-sim exit $?" >&2; rc=1; }
rm -f "$work/http.json"
kill -TERM "$http_pid"
wait "$http_pid" || { echo "demo: http-sim exit $?" >&2; rc=1; }
http() { { grep -o "\"$1\":[0-9]*" "$work/http.json" 2>/dev/null || true; } | head -n 1 | cut -d: -f2; }
by_carrier() {  # by_carrier STREAM: "name count" per carrier of the stream's entries
  redis-cli -p "$redis_port" --raw XRANGE "$1" - + |
    awk 'prev == "carrier" && $0 != "" { n[$0]++ } { prev = $0 }
         END { sep = ""; for (c in n) { printf "%s%s %d", sep, c, n[c]; sep = ", " } }'
}
stop_outcome=$(redis-cli -p "$redis_port" --raw XRANGE sd:outcomes - + |
  awk -v e="$stop_entry" 'prev == "entry" { cur = $0 } prev == "status" && cur == e { s = $0 }
       prev == "reason" && cur == e { r = $0 } { prev = $0 } END { print s ":" r }')
echo "demo: $stop_from wrote STOP ($(redis-cli -p "$redis_port" XLEN sd:inbound) reply on" \
     "sd:inbound); the job sent to them after it: $stop_outcome"
echo "demo: submitted outcomes by carrier: $(by_carrier sd:outcomes); receipts by carrier:" \
     "$(by_carrier sd:receipts)"
http_accepted=$(http accepted); http_dups=$(http duplicates); hooks_ok=$(http webhooks_ok)
hooks_posted=$(http webhooks_posted)
echo "demo: HTTP provider final counters: requests $(http requests), accepted ${http_accepted:-?}" \
     "(want $n_http), duplicates ${http_dups:-?}, receipt webhooks answered 200:" \
     "${hooks_ok:-?} of ${hooks_posted:-?}"
sim() {  # sim NAME: a total from the final stats (totals precede the per-session objects)
  { grep -o "\"$1\":[0-9]*" "$work/smsc.json" 2>/dev/null || true; } | head -n 1 | cut -d: -f2
}
n_single=$((n_good - n_long - n_http))
# The parts the daemon sent: the segments of its multipart outcomes (3 per long text).
want_parts=$(redis-cli -p "$redis_port" --raw XRANGE sd:outcomes - + |
  awk 'prev == "segments" && $0 > 1 { n += $0 } { prev = $0 } END { print n + 0 }')
submits=$(sim submits); parts=$(sim parts); messages=$(sim messages)
reassembled=$(sim reassembled_messages); reassembly_errors=$(sim reassembly_errors)
receipts_sent=$(sim receipts_sent); receipts_acked=$(sim receipts_acked)
echo "demo: SMSC final counters: submits ${submits:-?} (want $((n_single + want_parts)):" \
     "$n_single single + $want_parts parts), parts ${parts:-?}, messages ${messages:-?}," \
     "receipts sent ${receipts_sent:-?} / acked ${receipts_acked:-?}"
echo "demo: $n_long long texts reassembled by the SMSC from their parts: ${reassembled:-?}" \
     "(reassembly errors ${reassembly_errors:-?})"
check() {  # check WHAT OK: a failed expectation fails the demo
  if [[ $2 != ok ]]; then echo "demo: FAILED: $1" >&2; rc=1; fi
}
# A part the daemon had to send again (a lost response) would count twice, so submits and
# messages are lower bounds; the reassembly count is exact: each long text is one message.
check "the long texts went out in $want_parts parts, not $((3 * n_long))" \
  "$([[ $want_parts == $((3 * n_long)) ]] && echo ok)"
check "the SMSC reassembled ${reassembled:-no} of $n_long long texts" \
  "$([[ ${reassembled:-x} == "$n_long" ]] && echo ok)"
check "the SMSC saw ${submits:-no} submits, fewer than $((n_single + want_parts))" \
  "$([[ ${submits:-0} -ge $((n_single + want_parts)) ]] && echo ok)"
check "the SMSC saw ${parts:-no} parts, fewer than $want_parts" \
  "$([[ ${parts:-0} -ge $want_parts ]] && echo ok)"
check "the SMSC accepted ${messages:-no} messages, fewer than $((n_good - n_http))" \
  "$([[ ${messages:-0} -ge $((n_good - n_http)) ]] && echo ok)"
check "the SMSC sent ${receipts_sent:-no} receipts, fewer than $((n_good - n_http))" \
  "$([[ ${receipts_sent:-0} -ge $((n_good - n_http)) ]] && echo ok)"
check "the HTTPS API answered$api_codes not $n_api x 202" \
  "$([[ $api_codes == " $n_api 202;" ]] && echo ok)"
check "the HTTPS API answered a forged request $api_forged, not 401" \
  "$([[ $api_forged == 401 ]] && echo ok)"
check "the callback receiver got $cb_ok verified events, not $((2 * n_api)), and refused $cb_refused" \
  "$([[ $cb_ok == $((2 * n_api)) && $cb_refused == 0 ]] && echo ok)"
check "the HTTP provider accepted ${http_accepted:-no} messages, not $n_http" \
  "$([[ ${http_accepted:-x} == "$n_http" ]] && echo ok)"
check "the HTTP provider's receipt webhooks: ${hooks_ok:-no} of ${hooks_posted:-?} answered 200" \
  "$([[ ${hooks_ok:-x} == "$n_http" && ${hooks_posted:-y} == "$n_http" ]] && echo ok)"
check "the job after the STOP ended $stop_outcome, not rejected:opted_out" \
  "$([[ $stop_outcome == rejected:opted_out ]] && echo ok)"
check "/readyz answered ${ready:-nothing} and /metrics counted ${m_submitted:-no} submitted, not $want_submitted" \
  "$check_metrics"
if ((rc != 0)); then
  echo "demo: FAILED; daemon log tail:" >&2
  tail -n 30 "$work/smsdispatchd.log" >&2 || true
fi
exit $rc
