"""In a real Chromium with JavaScript off, on a 360-pixel phone: the language switch of a question
page keeps what was typed on it, in the tip journey and in the booking journey; and a page posted
after every cookie was lost says it was not received, and where the journey starts again. Pages
are checked with axe-core and the Nu HTML Checker and screenshotted as
test-artifacts/screenshots/language-<lang>-360-<step>.png."""

from __future__ import annotations

import pytest

from tests.support.browser import assert_accessible, new_page
from tests.support.nu_checker import assert_valid_html
from tests.support.sampling import JOURNEY_LIMITS

pytestmark = pytest.mark.slow

WIDTH = 360
OTHER = {"zh": ("en", "English"), "en": ("zh", "中文")}
CONTINUE = {"zh": "继续", "en": "Continue"}
DESCRIPTION = "一个小女孩在车站乞讨，\n一个男人拿走了钱。"


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Form limits the journeys here cannot reach (tests/web/sampling/conftest.py)."""
    return dict(JOURNEY_LIMITS)


def _check(page, name: str) -> None:
    """axe-core with a screenshot, then the Nu HTML Checker. axe-core needs JavaScript: the page of
    a browser without it is opened again, with its cookies, in one with JavaScript."""
    html = page.content()
    checking = page.context.browser.new_context(viewport=page.viewport_size, bypass_csp=True)
    checking.add_cookies(page.context.cookies())
    other = checking.new_page()
    other.goto(page.url)
    assert_accessible(other, name)
    checking.close()
    assert_valid_html(html, name)


def _switch(page, language: str) -> None:
    """Press the header's language button, which submits the page's own form."""
    other, words = OTHER[language]
    page.get_by_role("button", name=words, exact=True).click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == ("zh-CN" if other == "zh" else "en")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_switching_language_keeps_what_was_typed_on_a_tip_question_without_javascript(
        app, live_server, browser, language):
    page = new_page(browser, language, width=WIDTH, height=740, javascript=False)
    page.goto(f"{live_server}/tips/report")
    page.check("input[name=child_in_danger][value='no']")
    page.get_by_role("button", name=CONTINUE[language], exact=True).click()
    page.wait_for_load_state()
    page.locator("input[name=category]").first.check()
    page.locator("#description").fill(DESCRIPTION)
    _switch(page, language)
    assert page.url.endswith("/tips/report/what")
    assert page.locator("#description").input_value() == DESCRIPTION
    assert page.locator("input[name=category]").first.is_checked()
    assert page.locator(".error-summary").count() == 0
    _check(page, f"language-{language}-{WIDTH}-tip-what-switched")
    # And on, in the other language, with what was kept.
    other = OTHER[language][0]
    page.get_by_role("button", name=CONTINUE[other], exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith("/tips/report/where")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_switching_language_keeps_what_was_typed_on_a_booking_question_without_javascript(
        app, live_server, browser, language):
    page = new_page(browser, language, width=WIDTH, height=740, javascript=False)
    page.goto(f"{live_server}/sampling/who")
    page.check("input[name=role][value='seeking_birth_family']")
    page.check("input[name=party_size][value='1']")
    page.get_by_role("button", name=CONTINUE[language], exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith("/sampling/about")
    page.locator("#remembered").fill("村口有一棵大树，\n家里有一条黄狗。")
    page.locator("#missing_born").fill("1990")
    _switch(page, language)
    assert page.url.endswith("/sampling/about")
    assert page.locator("#remembered").input_value() == "村口有一棵大树，\n家里有一条黄狗。"
    assert page.locator("#missing_born").input_value() == "1990"
    _check(page, f"language-{language}-{WIDTH}-booking-about-switched")


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_page_sent_after_every_cookie_was_lost_says_it_was_not_received(app, live_server, browser, language):
    page = new_page(browser, language, width=WIDTH, height=740)
    page.goto(f"{live_server}/tips/report")
    page.check("input[name=child_in_danger][value='no']")
    page.get_by_role("button", name=CONTINUE[language], exact=True).click()
    page.wait_for_load_state()
    page.locator("input[name=category]").first.check()
    page.locator("#description").fill(DESCRIPTION)
    page.context.clear_cookies()
    page.get_by_role("button", name=CONTINUE[language], exact=True).click()
    page.wait_for_load_state()
    heading = {"zh": "本页填写的内容没有收到", "en": "The answers on this page were not received"}[language]
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.locator("main form").count() == 0
    assert_accessible(page, f"language-{language}-{WIDTH}-lost-cookies")
    assert_valid_html(page.content(), f"language-{language}-{WIDTH}-lost-cookies")
    page.get_by_role("link", name={"zh": "重新开始举报", "en": "Start the report again"}[language]).click()
    page.wait_for_load_state()
    assert page.url.endswith("/tips/report")
