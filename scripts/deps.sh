#!/usr/bin/env bash
# Installs the Debian 12 packages smsdispatch builds, tests and runs with. Idempotent: it
# only calls apt-get when something is missing. Pass "fuzz" to add clang and libFuzzer.
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libuv1-dev libssl-dev libhiredis-dev libmsgpack-cxx-dev libspdlog-dev libfmt-dev
      libtomlplusplus-dev libsystemd-dev nlohmann-json3-dev libcli11-dev
      libcurl4-openssl-dev libhttp-parser-dev
      libphonenumber-dev libhyperscan-dev libicu-dev libjemalloc-dev
      libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev
      redis-server redis-tools openssl python3 curl
      # build-time data only (prefix_time_zones.h's map from geocoder.jar); 2 small jars, no JRE
      libphonenumber8-java)
# The test command also runs interop tests against SMPP peers we did not write (tests/interop):
# Perl's Net::SMPP, and the smpp npm package (installed by the interop_npm_ci ctest fixture).
# A node from elsewhere (nodesource bundles npm) is kept: Debian's npm would conflict with it.
# And an HTTP/2 server for the HTTP client's multiplexing test (nghttpd, tests/adapters/http).
# The Node producer library (clients/node) installs its pinned packages the same way as the
# interop peers (the ClientLibraries.NodeInstall fixture).
if [[ "${1:-}" == "test" ]]; then
  pkgs+=(perl libnet-smpp-perl nghttp2-server)
  # The Python producer library's dependencies (clients/python); curl (the API and admin
  # client of the demo and tests) is in the list above.
  pkgs+=(python3-msgpack python3-redis)
  # promtool (Debian's prometheus package) checks the daemon's /metrics output.
  pkgs+=(prometheus)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
fi
if [[ "${1:-}" == "fuzz" ]]; then
  pkgs+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Only promtool is wanted from the prometheus package: on a host booted with systemd its
  # install also starts a Prometheus server, which the tests never use. Stop and disable it.
  if [[ " ${missing[*]} " == *" prometheus "* && -d /run/systemd/system ]]; then
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi
# The Debian redis-server package starts a system instance on :6379; our scripts never use it
# (each run starts its own on a free port), so leave it alone.
