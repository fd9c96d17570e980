#!/usr/bin/env bash
# Builds the receipt-text fuzzer (ParseReceiptText / ParseReceipt / message-id normalizer) with
# clang + libFuzzer + ASan/UBSan and runs it for $1 seconds (default 60) over a scratch copy of
# tests/fuzz/corpus/receipt. Crashing inputs land in $SD_FUZZ_OUT (default
# build-fuzz/findings-receipt); add them to the corpus with a name saying what they broke.
#   scripts/fuzz_receipt.sh 600
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SD_FUZZ_BUILD:-$root/build-fuzz}"
out="${SD_FUZZ_OUT:-$build/findings-receipt}"

"$root/scripts/deps.sh" fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSD_FUZZ=ON -DSD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target receipt_fuzzer -j"${SD_JOBS:-2}" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/tests/fuzz/corpus/receipt" "$work/corpus"
mkdir -p "$out"
# Receipt texts are short_message (<= 254 octets) or message_payload; 8 KiB covers both with
# room for the long-input paths (the very_long seed) without slowing every run.
"$build/tests/fuzz/receipt_fuzzer" "$work/corpus" -max_total_time="$seconds" -max_len=8192 \
  -artifact_prefix="$out/" -print_final_stats=1
echo "corpus grew to $(ls "$work/corpus" | wc -l) inputs; findings (if any) in $out"
