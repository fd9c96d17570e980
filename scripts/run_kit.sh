# Sourced by the scripts that start their own processes (demo.sh, bench_api.sh): a scratch
# directory, the pids to stop on exit, a free loopback port, and waiting for a service.
# Set `name` (for messages) before sourcing; `work` and `pids` are set here.
work=$(mktemp -d -t "smsdispatch-$name.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for DESCRIPTION COMMAND...: polls for up to ${wait_s:-10} s, else fails
  local what=$1; shift
  for _ in $(seq $((${wait_s:-10} * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "$name: $what did not come up; logs in $work" >&2; exit 1
}
