#!/usr/bin/env bash
# core/ does no I/O: it may include no event-loop, Redis, TLS, HTTP or socket header and link
# no I/O library. adapters/ never include daemon/. Fails naming the offending lines.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
if grep -rnE '#include *[<"](uv\.h|hiredis/|openssl/|curl/|sys/socket\.h|netinet/|arpa/|unistd\.h|fcntl\.h|spdlog/|systemd/)' core; then
  echo "check_layers: core/ includes an I/O header (move the code to adapters/)" >&2
  fail=1
fi
if grep -rnE 'target_link_libraries\(sd_core[^)]*(LIBUV|HIREDIS|OpenSSL|CURL|LIBSYSTEMD|spdlog)' core/CMakeLists.txt; then
  echo "check_layers: sd_core links an I/O library" >&2
  fail=1
fi
if grep -rnE '#include *"daemon/' adapters core; then
  echo "check_layers: a lower layer includes daemon/" >&2
  fail=1
fi
if ((fail)); then exit 1; fi
echo "check_layers: ok (core/ free of I/O headers, layers point down)"
