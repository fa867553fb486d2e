"""Browser fixtures: the portal served on a real loopback port, driven by Debian's Chromium.

Browser journeys are `slow`: `make test` runs them in the PostgreSQL pass. They are skipped with
a clear reason when Chromium is not installed (make test installs it when running as root).
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk; make test does this as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def new_page(browser, language: str = "zh", width: int = 1280, height: int = 900):
    """A fresh browser context preferring `language` ('zh' or 'en'). CSP is bypassed only so that
    axe-core can be injected; the portal's own pages need no inline script."""
    locale = "zh-CN" if language == "zh" else "en-GB"
    context = browser.new_context(
        locale=locale,
        extra_http_headers={"Accept-Language": f"{locale},{language};q=0.9"},
        viewport={"width": width, "height": height},
        bypass_csp=True,
    )
    return context.new_page()


def assert_accessible(page, name: str) -> None:
    """Run axe-core (WCAG 2.2 AA tags) on the current page and fail listing each violation; also
    save a full-page screenshot as test-artifacts/screenshots/NAME.png for people to look at."""
    from axe_playwright_python.sync_playwright import Axe

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = result.response["violations"]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in violations
    ]
    assert not violations, f"axe-core found WCAG violations on {name} ({page.url}):\n" + "\n".join(details)


from tests.nu_checker import assert_valid_html  # noqa: E402,F401  (browser tests import it from here)
