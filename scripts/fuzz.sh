#!/usr/bin/env bash
# Opt-in fuzzing (not part of the test command): builds one libFuzzer target with clang +
# ASan/UBSan and runs it for SECONDS (default 60) over a scratch copy of its seed corpus in
# tests/fuzz/corpus/TARGET, so the checked-in seeds stay small and reviewed. Crashing inputs
# land in $SD_FUZZ_OUT (default build-fuzz/findings-TARGET); add them to the corpus with a
# name saying what they broke (the corpus replays in the normal test command).
#   scripts/fuzz.sh pdu 180        the SMPP PDU codec
#   scripts/fuzz.sh receipt 600    receipt text parsing and message-id normalisation
#   scripts/fuzz.sh url 180        URL extraction, Punycode and the URL verdict
#   scripts/fuzz.sh http_request 180   the listener's HTTP request parser
#   scripts/fuzz.sh webhook 180        receipt webhook bodies, forms and signature checks
#   scripts/fuzz.sh api 180            the HTTPS API's JSON bodies, credentials, forwarded-for
#   scripts/fuzz.sh mo 180             what recipients send: data_coding, UDH, text decoding
set -euo pipefail
target="${1:-}"
seconds="${2:-60}"
case "$target" in
  # -max_len a little above kMaxPduSize so the length checks at the limit are reachable.
  pdu) max_len=66000 ;;
  # short_message (<= 254 octets) or message_payload, with room for the very_long seed.
  receipt) max_len=8192 ;;
  # SMS texts are short; 4 KiB covers many segments and keeps runs fast.
  url) max_len=4096 ;;
  # A little above the fuzzer's own header and body limits (1 KiB, 4 KiB).
  http_request) max_len=8192 ;;
  webhook) max_len=8192 ;;
  # A batch of a few messages; the depth check and the parser see any shape within it.
  api) max_len=16384 ;;
  # Just above the longest header accepted (16 + 512 bytes).
  proxy_header) max_len=1024 ;;
  # data_coding, esm_class and a short_message or message_payload.
  mo) max_len=4096 ;;
  *) echo "usage: scripts/fuzz.sh pdu|receipt|url|http_request|webhook|api|proxy_header|mo [SECONDS]" >&2
     exit 2 ;;
esac
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${SD_FUZZ_BUILD:-$root/build-fuzz}"
out="${SD_FUZZ_OUT:-$build/findings-$target}"

"$root/scripts/deps.sh" fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSD_FUZZ=ON -DSD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" --target "${target}_fuzzer" -j"${SD_JOBS:-2}" >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$root/tests/fuzz/corpus/$target" "$work/corpus"
mkdir -p "$out"
"$build/tests/fuzz/${target}_fuzzer" "$work/corpus" -max_total_time="$seconds" \
  -max_len="$max_len" -artifact_prefix="$out/" -print_final_stats=1
echo "corpus grew to $(ls "$work/corpus" | wc -l) inputs; findings (if any) in $out"
