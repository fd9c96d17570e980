#!/usr/bin/env bash
# What a Redis script costs per job beyond the commands it runs, in the shape of the commit
# script (per job: SET … XX KEEPTTL GET of its record, XADD of an 11-field outcome, SET … PX of
# its correlation record; 100 jobs per call). Four measurements on one private redis-server, each
# INFO commandstats over 2,000 calls of redis-benchmark:
#
#   script     the commit-shaped script: µs per job inside EVALSHA, and its commands' own rows
#   empty      a script that returns at once, given the same keys and arguments: the cost of
#              turning them into Lua strings
#   names      an XADD-only script with the field names passed as arguments, against
#   constants  the same with the names written in the script: what shorter arguments save
#
# So (script − empty − commands) / calls per job is what each redis.call costs over its
# command. bench/README.md ("Where the cost cut ends") reads the figures. About a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
name=lua-calls
source scripts/run_kit.sh
start_redis
cli() { redis-cli -p "$redis_port" "$@"; }

commit=$(cli SCRIPT LOAD "local k = 2
for i = 1, #ARGV, 24 do
  redis.call('SET', KEYS[k], ARGV[i] .. '|done', 'XX', 'KEEPTTL', 'GET')
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', '100000', '*', unpack(ARGV, i + 1, i + 22))
  redis.call('SET', KEYS[k + 1], ARGV[i + 23], 'PX', '259200000')
  k = k + 2
end")
empty=$(cli SCRIPT LOAD "return 1")
names=$(cli SCRIPT LOAD "for i = 1, #ARGV, 22 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', '100000', '*', unpack(ARGV, i, i + 21))
end")
constants=$(cli SCRIPT LOAD "for i = 1, #ARGV, 11 do
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', '100000', '*', 'entry', ARGV[i], 'job', ARGV[i + 1],
    'kid', ARGV[i + 2], 'ref', ARGV[i + 3], 'status', ARGV[i + 4], 'reason', ARGV[i + 5],
    'detail', ARGV[i + 6], 'carrier', ARGV[i + 7], 'message_id', ARGV[i + 8],
    'segments', ARGV[i + 9], 'ts', ARGV[i + 10])
end")

fields=(entry job kid ref status reason detail carrier message_id segments ts)
keys=() commit_args=() named=() valued=()
for j in $(seq 1 100); do
  values=("1733370000000-$j" "job-$j" k1 "ref$j" submitted "" "" smsc "0a1b2c3d$j" 1 1733370000123)
  keys+=("sd:idem:job-$j" "sd:corr:smsc:0a1b2c3d$j")
  commit_args+=("1733370000000-$j")
  for k in $(seq 0 10); do
    commit_args+=("${fields[$k]}" "${values[$k]}")
    named+=("${fields[$k]}" "${values[$k]}")
    valued+=("${values[$k]}")
  done
  commit_args+=("13:1733370000000-${j}6:job-$j")
  cli SET "sd:idem:job-$j" "1733370000000-$j" PX 100000000 >/dev/null
done

run() {  # run LABEL SHA NKEYS ARGS...: µs per job of EVALSHA (100 jobs per call)
  local label=$1 sha=$2 nkeys=$3
  shift 3
  cli CONFIG RESETSTAT >/dev/null
  redis-benchmark -p "$redis_port" -n 2000 -c 1 -P 4 -q EVALSHA "$sha" "$nkeys" "$@" >/dev/null
  cli INFO commandstats | tr -d '\r' | awk -F'[=,:]' -v l="$label" '
    $1 == "cmdstat_evalsha" { printf "%-10s EVALSHA %.2f µs per job\n", l, $5 / $3 / 100 }
    $1 == "cmdstat_set" || $1 == "cmdstat_xadd" {
      printf "%-10s   %s inside: %.2f µs per job\n", l, substr($1, 9), $5 / 200000 }'
}
run script "$commit" 201 s "${keys[@]}" "${commit_args[@]}"
run empty "$empty" 201 s "${keys[@]}" "${commit_args[@]}"
run names "$names" 1 s "${named[@]}"
run constants "$constants" 1 s "${valued[@]}"
