#!/usr/bin/env bash
# Builds the SMPP PDU fuzzer with clang + libFuzzer + ASan/UBSan and runs it for $1 seconds
# (default 60) over a scratch copy of tests/fuzz/corpus/pdu, so the checked-in seeds stay
# small and reviewed. Crashing inputs land in $SD_FUZZ_OUT (default build-fuzz/findings).
#   scripts/fuzz_pdu.sh 180
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SD_FUZZ_BUILD:-$root/build-fuzz}"
out="${SD_FUZZ_OUT:-$build/findings}"

"$root/scripts/deps.sh" fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSD_FUZZ=ON -DSD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target pdu_fuzzer -j"${SD_JOBS:-2}" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/tests/fuzz/corpus/pdu" "$work/corpus"
mkdir -p "$out"
# -max_len a little above kMaxPduSize so the length checks at the limit are reachable.
"$build/tests/fuzz/pdu_fuzzer" "$work/corpus" -max_total_time="$seconds" -max_len=66000 \
  -artifact_prefix="$out/" -print_final_stats=1
echo "corpus grew to $(ls "$work/corpus" | wc -l) inputs; findings (if any) in $out"
