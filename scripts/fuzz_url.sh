#!/usr/bin/env bash
# Builds the URL-extraction fuzzer (clang + libFuzzer + ASan/UBSan) and runs it for $1 seconds
# (default 60) over a scratch copy of tests/fuzz/corpus/url. Findings land in $SD_FUZZ_OUT
# (default build-fuzz/findings).
#   scripts/fuzz_url.sh 180
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SD_FUZZ_BUILD:-$root/build-fuzz}"
out="${SD_FUZZ_OUT:-$build/findings}"

"$root/scripts/deps.sh" fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSD_FUZZ=ON -DSD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target url_fuzzer -j"${SD_JOBS:-2}" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/tests/fuzz/corpus/url" "$work/corpus"
mkdir -p "$out"
# SMS texts are short; 4 KiB covers many segments and keeps runs fast.
"$build/tests/fuzz/url_fuzzer" "$work/corpus" -max_total_time="$seconds" -max_len=4096 \
  -artifact_prefix="$out/" -print_final_stats=1
echo "corpus grew to $(ls "$work/corpus" | wc -l) inputs; findings (if any) in $out"
