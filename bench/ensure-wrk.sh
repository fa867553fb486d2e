#!/usr/bin/env bash
# The benchmark's load tool is wrk, from Debian's packages. Install it when missing and we are root.
set -uo pipefail
if command -v wrk >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing wrk for the benchmark..."
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; then
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
  fi
fi
if ! command -v wrk >/dev/null 2>&1; then
  echo "The benchmark needs wrk: install Debian's 'wrk' package (apt-get install wrk) as root." >&2
  exit 1
fi
