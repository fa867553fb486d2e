#!/usr/bin/env bash
# Browser tests need Debian's Chromium and CJK fonts. Install them when missing and we are root.
set -uo pipefail
fonts=$(fc-list 2>/dev/null || true)  # read it whole: grep -q would cut the pipe under pipefail
if command -v chromium >/dev/null 2>&1 && grep -qi "Noto Sans CJK" <<<"$fonts"; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing chromium and fonts-noto-cjk for the browser tests..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
else
  echo "Browser tests need 'chromium' and 'fonts-noto-cjk'; they will be skipped (not root, cannot install)."
fi
exit 0
