#!/usr/bin/env bash
# Start the outbound worker in the background, then serve the portal in the foreground.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-5000}"
.venv/bin/flask --app wsgi worker &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo "Tuanyuan Portal: http://127.0.0.1:${PORT}  (staff console: http://127.0.0.1:${PORT}/staff/login)"
.venv/bin/flask --app wsgi run --host 127.0.0.1 --port "$PORT"
