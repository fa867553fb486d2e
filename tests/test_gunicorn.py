"""The portal under the real gunicorn with gunicorn.conf.py, in production settings: what every
response carries (no `Server: gunicorn` header) and the language cookie (Secure)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from portal.core.config import ROOT
from tests.support.settings import GOOD_PRODUCTION


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def gunicorn_port(tmp_path: Path) -> Iterator[int]:
    """The port of a real gunicorn serving wsgi:app with gunicorn.conf.py and production settings."""
    port = _free_port()
    env = {
        **os.environ, **GOOD_PRODUCTION,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start within 30 seconds"
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if process.stdout:
            process.stdout.close()


def _get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    connection.request("GET", path, headers={"Accept-Language": "zh-CN"})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_gunicorn_sends_no_server_header_and_a_secure_language_cookie_in_production(gunicorn_port):
    switched = _get(gunicorn_port, "/language/en?next=/privacy")
    page = _get(gunicorn_port, "/privacy")

    assert switched.status == 302 and page.status == 200
    for response in (switched, page):
        assert response.getheader("Server") is None, response.getheaders()
    cookie = switched.getheader("Set-Cookie") or ""
    assert cookie.startswith("lang=en;")
    assert "Secure" in cookie and "HttpOnly" in cookie
