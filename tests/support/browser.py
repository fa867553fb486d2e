"""Pages in a real Chromium: a fresh page preferring a language, and the axe-core check that also
saves a screenshot of the page for people to look at (test-artifacts/screenshots/)."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def new_page(browser, language: str = "zh", width: int = 1280, height: int = 900, javascript: bool = True):
    """A fresh browser context preferring `language` ('zh' or 'en'), with JavaScript unless
    `javascript` is False. CSP is bypassed only so that axe-core can be injected; the portal's own
    pages need no inline script."""
    locale = "zh-CN" if language == "zh" else "en-GB"
    context = browser.new_context(
        locale=locale,
        extra_http_headers={"Accept-Language": f"{locale},{language};q=0.9"},
        viewport={"width": width, "height": height},
        bypass_csp=True,
        java_script_enabled=javascript,
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


def change_status(page, target: str, *, outcome: str | None = None, group: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Use a staff item page's "Change the status" form (`target` status, the outcome when closing,
    the working group by name when accepting); one notification says it was done."""
    page.select_option("select[name=target]", target)
    if outcome:
        page.select_option("select[name=outcome]", outcome)
    if group:
        page.select_option("select[name=working_group]", label=group)
    page.locator("form[action$='/move'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".notification").count() == 1, page.locator("main").inner_text()
