#!/usr/bin/env bash
# Installs the system packages the test suite needs (idempotent). Runs as root on CI
# and on developer machines; on a machine without apt it only checks.
set -euo pipefail
need=()
command -v tshark >/dev/null || need+=(tshark)
command -v capinfos >/dev/null || need+=(wireshark-common)
command -v tcpreplay >/dev/null || need+=(tcpreplay)
command -v ip >/dev/null || need+=(iproute2)
command -v openssl >/dev/null || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # tshark asks whether non-root users may capture: answer no, non-interactively.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup-test-deps: missing ${need[*]} and cannot install (need root + apt-get)" >&2
    exit 1
  fi
fi
