# Sourced by the scripts that start their own processes (demo.sh, bench_*.sh): a scratch
# directory, the pids to stop on exit, a free loopback port, waiting for a service, a private
# redis-server, a localhost certificate, and the callgrind helpers of bench_*_instructions.sh.
# Set `name` (for messages) before sourcing; `work` and `pids` are set here. SD_KEEP_WORK=1
# keeps the scratch directory after the exit (to read the logs).
work=$(mktemp -d -t "smsdispatch-$name.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n ${SD_KEEP_WORK:-} ]] || rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for DESCRIPTION COMMAND...: polls for up to ${wait_s:-10} s, else fails
  local what=$1; shift
  for _ in $(seq $((${wait_s:-10} * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$name: $what did not come up; logs in $work" >&2; exit 1
}
start_redis() {  # a private redis-server on a free port, no persistence: sets redis_port, redis_pid
  # (also listening on $work/redis.sock, owner only: redis_socket)
  redis_port=$(free_port)
  redis_socket=$work/redis.sock
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$work" \
    --unixsocket "$redis_socket" --unixsocketperm 700 --logfile "$work/redis.log" &
  redis_pid=$!
  pids+=($redis_pid)
  wait_for redis-server redis-cli -p "$redis_port" ping
}
make_localhost_cert() {  # $work/tls.crt and tls.key: self-signed P-256, localhost and 127.0.0.1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
}
callgrind_setup() {  # callgrind_setup [DAEMON...]: sets bench (the release build's) and daemons
  bench=$root/build/release/bench/e2e/smsdispatch-bench
  daemons=("$@")
  ((${#daemons[@]})) || daemons=("$root/build/release/daemon/smsdispatchd")
  for tool in valgrind callgrind_control callgrind_annotate; do
    command -v "$tool" >/dev/null || { echo "$name: needs $tool (Debian package valgrind)" >&2; exit 2; }
  done
  [[ -x $bench ]] || { echo "$name: build the release tree first (README, Capacity planning)" >&2; exit 2; }
}
callgrind_total() {  # callgrind_total FILE: the instructions a callgrind output file counted
  callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}
