"""Gunicorn settings for production: `gunicorn wsgi:app` reads this file from the working directory.

The portal runs behind a reverse proxy (nginx or a cloud load balancer) that terminates TLS,
buffers slow clients and sets X-Forwarded-For; set TRUSTED_PROXY_COUNT to the number of proxies.
Sync workers suit it: every request is short and bound by the database, and the proxy, not
gunicorn, holds the slow connections. `make bench` serves the portal, and its floor, with exactly
these settings.

Environment (all optional):
  GUNICORN_BIND     address to listen on (default 127.0.0.1:8000: only the proxy should reach it)
  WEB_CONCURRENCY   worker processes (default 2 × CPU cores + 1, gunicorn's own advice)
  GUNICORN_TIMEOUT  seconds before a silent worker is killed and replaced (default 30)
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Heartbeat files in memory, not on a disk that may stall (gunicorn's advice for containers).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# Waiting connections while every worker is busy; the proxy queues the rest.
backlog = 2048

# No access log: gunicorn's would name every client address, and tips must leave none behind
# (docs/threat-model.md#identifying-a-tipster). Errors still go to standard error.
accesslog = None
errorlog = "-"
loglevel = "info"

# X-Forwarded-Proto is trusted only from the proxy on this machine; the portal's own ProxyFix
# (TRUSTED_PROXY_COUNT) decides about X-Forwarded-For.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker: object) -> None:
    """Send no `Server: gunicorn` header: it tells an attacker what to look up, and helps no visitor.

    Gunicorn writes that header itself, with no setting to turn it off, so each worker drops the
    line from the headers gunicorn adds (`Response.default_headers`). Tested by
    tests/test_gunicorn.py, which starts the real gunicorn with this file.
    """
    from gunicorn.http import wsgi

    original = wsgi.Response.default_headers
    if getattr(original, "without_server", False):
        return

    def default_headers(self: wsgi.Response) -> list[str]:
        return [line for line in original(self) if not line.lower().startswith("server:")]

    default_headers.without_server = True  # type: ignore[attr-defined]
    wsgi.Response.default_headers = default_headers  # type: ignore[method-assign]
