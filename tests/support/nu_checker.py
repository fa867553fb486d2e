"""The Nu HTML Checker (vnu.jar, from npm's `vnu-jar`) as a local service for the tests.

`assert_valid_html(html, name)` validates one page's markup and fails listing every error. The
checker is started once per test run, on a free loopback port, the first time it is needed, and
stopped when the run ends; it never reaches the network (it refuses loopback URLs, so pages are
sent to it as text). `make test` installs vnu.jar with `npm ci`; without Java or vnu.jar the
calling test is skipped with the reason.
"""

from __future__ import annotations

import atexit
import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

VNU_JAR = Path(__file__).resolve().parent.parent.parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
_STARTUP_SECONDS = 60

_service: dict[str, object] = {}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop() -> None:
    process = _service.get("process")
    if isinstance(process, subprocess.Popen):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def checker_url() -> str:
    """The URL of the running checker service, starting it on first use.

    Skips the calling test when Java or vnu.jar is missing; raises RuntimeError when the service
    does not answer within 60 seconds.
    """
    if "url" in _service:
        return str(_service["url"])
    java = shutil.which("java")
    if java is None or not VNU_JAR.exists():
        pytest.skip("The Nu HTML Checker needs Java and vnu.jar (make test runs `npm ci` to install it)")
    port = _free_port()
    process = subprocess.Popen(
        [java, "-cp", str(VNU_JAR), "-Dnu.validator.servlet.bind-address=127.0.0.1",
         "nu.validator.servlet.Main", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _service["process"] = process
    atexit.register(_stop)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            _service["url"] = url
            return url
        except (urllib.error.URLError, ConnectionError, OSError):
            if process.poll() is not None:
                raise RuntimeError("the Nu HTML Checker exited while starting") from None
            time.sleep(0.25)
    raise RuntimeError("the Nu HTML Checker did not start within 60 seconds")


def html_errors(html: str) -> list[str]:
    """Every error the Nu HTML Checker reports for `html` (a whole document), as readable lines.

    Warnings and informational messages are not errors and are left out.
    """
    request = urllib.request.Request(
        checker_url() + "?out=json",
        data=html.encode("utf-8"),
        headers={"Content-Type": "text/html; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        messages = json.loads(response.read().decode("utf-8"))["messages"]
    return [
        f"line {m.get('lastLine', '?')}: {m.get('message', '')} [{m.get('extract', '').strip()}]"
        for m in messages
        if m.get("type") in ("error", "non-document-error") or m.get("subType") == "fatal"
    ]


def assert_valid_html(html: str, name: str) -> None:
    """Fail, naming `name` (the page) and listing each error, unless the Nu HTML Checker finds none.

    Pass the markup the server sent (a test client's response text) or, in a browser test,
    `page.content()`.
    """
    errors = html_errors(html)
    assert not errors, f"Nu HTML Checker errors on {name}:\n" + "\n".join(errors)
