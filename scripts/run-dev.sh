#!/usr/bin/env bash
# Serve the portal and run the outbound worker beside it. Ctrl-C, or SIGTERM to this script,
# stops both; if either stops on its own, the other is stopped too.
set -uo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-5000}"
# shellcheck source=scripts/dev-env.sh
. scripts/dev-env.sh
.venv/bin/flask --app wsgi worker &
worker=$!
.venv/bin/flask --app wsgi run --host 127.0.0.1 --port "$PORT" &
server=$!
stop() {
  trap - INT TERM EXIT
  kill "$server" "$worker" 2>/dev/null
  wait "$server" "$worker" 2>/dev/null
}
trap 'stop; exit 0' INT TERM
trap stop EXIT
echo "Tuanyuan Portal: http://127.0.0.1:${PORT}  (staff console: http://127.0.0.1:${PORT}/staff/login; Ctrl-C stops)"
# The simulator exists only with the console SMS backend, outside production (portal.devtools).
if [ "${SMS_BACKEND:-console}" = "console" ] && [ "${PORTAL_ENV:-development}" != "production" ]; then
  echo "Try the SMS hotline without a phone: http://127.0.0.1:${PORT}/dev/sms"
fi
wait -n "$server" "$worker"
