"""Live urgent alerts in a real Chromium. With JavaScript on, an urgent SMS tip that arrives (through
the signed webhook) while a staff page is open appears in its banner and is announced in its live
region, with a link to it, and named in the tab's title, within the polling interval and without a reload. With JavaScript off,
the same page shows it once reloaded. Screenshot of the announcement
(`test-artifacts/screenshots/live-alert-<lang>.png`), each page checked with axe-core and the Nu
HTML Checker."""

from __future__ import annotations


import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Channel, IntakeItem
from portal.core.permissions import Role
from tests.support.browser import ARTIFACTS, assert_accessible, new_page
from tests.support.factories import create_staff, create_tip
from tests.support.nu_checker import assert_valid_html
from tests.support.sms import sms_params, signed_post
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow

POLL_SECONDS = 1
# Several polls' worth of waiting for the banner to change: a bound, not a measured time.
WAIT_MS = 15_000


@pytest.fixture
def app_settings() -> dict[str, object]:
    """The portal polling every second, so that the test does not wait twenty."""
    return {"staff_alert_poll_seconds": POLL_SECONDS}


def _urgent_sms_arrives(app: Flask) -> str:
    """An SMS tip with a danger word, its sender answering "2" (no child in danger now), sent
    through the signed webhook as Twilio would; returns its reference."""
    phone = app.test_client()
    for body in ("举报 有人在超市门口拿着刀抱走一个孩子", "2"):
        assert signed_post(phone, sms_params(body)).status_code == 200
    db.session.expire_all()
    return db.session.scalars(select(IntakeItem.reference).where(IntakeItem.channel == Channel.SMS)).one()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_new_urgent_sms_tip_appears_on_an_open_staff_page_without_a_reload(app, live_server, browser, language):  # type: ignore[no-untyped-def]
    waiting = create_tip(child_in_danger=True, description="孩子被拖上一辆面包车").reference
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    page = new_page(browser, language, width=360, height=800)
    sign_in_page(page, live_server, "officer")
    page.goto(f"{live_server}/staff/queue")
    assert page.locator(".urgent-banner li").count() == 1
    page.evaluate("window.stillTheSamePage = true")
    title = page.title()

    reference = _urgent_sms_arrives(app)
    news = page.locator("[data-urgent-news]")
    expect(news.locator(f"a[href='/staff/items/{reference}']")).to_have_text(reference, timeout=WAIT_MS)
    expect(page.locator(".urgent-banner li")).to_have_count(2, timeout=WAIT_MS)
    banner = page.locator(".urgent-banner").inner_text()
    assert waiting in banner and reference in banner and "刀" in banner
    words = {"zh": ("打开本页后新来1条紧急线索：", "我来处理", "紧急线索，尚无人处理"),
             "en": ("New urgent item since this page opened:", "I'll handle it", "Urgent, nobody has it in hand yet")}[language]
    assert words[0] in news.inner_text() and words[1] in banner and words[2] in banner
    assert news.get_attribute("role") == "alert"
    # The tab's title tells an officer looking at another tab.
    prefix = {"zh": "（1）紧急线索·", "en": "(1) Urgent · "}[language]
    assert page.evaluate("document.title") == prefix + title
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"live-alert-{language}.png"))
    assert_accessible(page, f"live-alert-{language}-queue")
    assert_valid_html(page.content(), f"live-alert-{language}-queue")

    # "I'll handle it" on the line drawn by the script works as on the server's.
    page.locator(f".urgent-line:has(a[href='/staff/items/{reference}']) button").click()
    page.wait_for_url(f"**/staff/items/{reference}")
    assert not page.title().startswith(prefix)
    assert reference not in (page.locator(".urgent-banner").inner_text() if page.locator(".urgent-banner").count() else "")
    page.context.close()


def test_without_javascript_the_page_shows_the_new_urgent_tip_once_reloaded(app, live_server, browser):  # type: ignore[no-untyped-def]
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    page = new_page(browser, "zh", javascript=False)
    sign_in_page(page, live_server, "officer")
    page.goto(f"{live_server}/staff/queue")
    assert page.locator(".urgent-banner").count() == 0
    reference = _urgent_sms_arrives(app)
    page.reload()
    banner = page.locator(".urgent-banner")
    assert reference in banner.inner_text() and "刀" in banner.inner_text()
    assert page.locator("[data-urgent-news]").inner_text() == ""
    page.context.close()
