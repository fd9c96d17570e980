#!/usr/bin/env bash
# core/ does no I/O: it may include no event-loop, Redis, TLS, HTTP or socket header and link
# no I/O library. adapters/ never include daemon/. An adapter includes another adapter only
# when its README.md names it on its "May depend on:" line. Fails naming the offending lines.
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
for dir in adapters/*/; do
  name=$(basename "$dir")
  if [[ ! -f "$dir/README.md" ]]; then
    echo "check_layers: $dir has no README.md (what it is, May depend on:, where to start)" >&2
    fail=1
    continue
  fi
  allowed=$(grep -m1 '^May depend on:' "$dir/README.md" | grep -oE 'adapters/[a-z_]+' || true)
  while IFS= read -r hit; do
    [[ -z "$hit" ]] && continue
    used=$(sed -E 's/.*#include *"adapters\/([a-z_]+)\/.*/\1/' <<<"$hit")
    [[ "$used" == "$name" ]] && continue
    if ! grep -qx "adapters/$used" <<<"$allowed"; then
      echo "$hit" >&2
      echo "check_layers: adapters/$name includes adapters/$used, which its README.md does not allow" >&2
      fail=1
    fi
  done < <(grep -rnE '#include *"adapters/[a-z_]+/' "$dir" || true)
done
if ((fail)); then exit 1; fi
echo "check_layers: ok (core/ free of I/O headers, layers point down, adapters as their READMEs allow)"
