""""Exit this page" in a real Chromium, in Chinese and English, with and without JavaScript: a
tipster on a shared phone who leaves through it, and whoever picks the phone up next and reopens
the site, sees nothing of what was typed and no follow-up code. With JavaScript, Exit also
replaces the history entry (moved here from test_tip_journey.py). The server side:
tests/web/public/test_exit.py.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Tip, TipDraft
from tests.support.browser import assert_accessible, new_page
from tests.support.nu_checker import assert_valid_html

pytestmark = pytest.mark.slow

NAME, TYPED_MOBILE = "王芳", "13900139000"
WORDS = {
    "zh": {"continue": "继续", "send": "提交线索", "report_link": "举报线索", "exit": "立即离开本页",
           "description": "我在汽车站看到一个小女孩被一个男人拉着乞讨", "privacy": "隐私说明",
           "exit_heading": "快速离开本网站", "history": "无法清除浏览器的历史记录"},
    "en": {"continue": "Continue", "send": "Send report", "report_link": "Report a lead", "exit": "Exit this page",
           "description": "A girl was begging at the bus station while a man held her arm", "privacy": "Privacy",
           "exit_heading": "Leaving this site quickly", "history": "It cannot erase your browser's history"},
}
BOTH = pytest.mark.parametrize("language", ["zh", "en"])
WITH_AND_WITHOUT_JAVASCRIPT = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


class _NeutralPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
        body = b"<!DOCTYPE html><title>Weather</title><p>Neutral</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def exit_url() -> Iterator[str]:
    """The neutral page, served on another site (localhost, not 127.0.0.1): there is no network
    here, and Playwright's routing does not reliably answer the target of a redirect."""
    server = HTTPServer(("127.0.0.1", 0), _NeutralPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}/weather"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def app_settings(tmp_path, exit_url):
    return {"tip_photo_dir": str(tmp_path / "tip-photos"), "exit_page_url": exit_url}


def _phone(browser, language: str, javascript: bool):
    """A 360-pixel phone."""
    return new_page(browser, language, width=360, height=740, javascript=javascript)


def _press(page, label: str) -> None:
    page.get_by_role("button", name=label, exact=True).click()
    page.wait_for_load_state()


def _fill_to_check(page, base: str, words: dict[str, str]) -> None:
    """From the home page, answer every question with a name and a mobile, up to the check page."""
    page.goto(base + "/")
    page.get_by_role("link", name=words["report_link"]).first.click()
    page.wait_for_url(re.compile(r"/tips/report$"))
    page.check("input[name=child_in_danger][value=no]")
    _press(page, words["continue"])
    page.check("input[name=category][value=begging_or_exploited]")
    page.fill("textarea[name=description]", words["description"])
    _press(page, words["continue"])
    for division in ("320000", "320600", "320614"):
        page.select_option("select[name=division]", division)
        _press(page, words["continue"])
    page.fill("textarea[name=place]", "汽车站北广场")
    _press(page, words["continue"])
    page.check("input[name=seen_time][value=afternoon]")
    _press(page, words["continue"])
    page.fill("input[name=child_age]", "6")
    _press(page, words["continue"])
    _press(page, words["continue"])  # no photos
    page.fill("input[name=contact_name]", NAME)
    page.fill("input[name=contact_phone]", TYPED_MOBILE)
    _press(page, words["continue"])
    page.wait_for_url(re.compile(r"/tips/report/check$"))
    text = page.locator("main").inner_text()
    assert NAME in text and TYPED_MOBILE in text and words["description"] in text


def _exit(page, words: dict[str, str], exit_url: str) -> None:
    page.get_by_role("link", name=words["exit"]).click()
    page.wait_for_url(exit_url)
    assert page.title() == "Weather"


@BOTH
@WITH_AND_WITHOUT_JAVASCRIPT
def test_after_exit_from_the_check_page_the_same_browser_starting_a_tip_sees_nothing_typed(
        app, live_server, browser, exit_url, language, javascript):
    words = WORDS[language]
    page = _phone(browser, language, javascript)
    _fill_to_check(page, live_server, words)

    _exit(page, words, exit_url)

    # Whoever picks the phone up next reopens the site and starts a tip.
    page.goto(live_server + "/")
    if javascript:
        assert_accessible(page, f"exit-{language}-360-home")
        assert_valid_html(page.content(), f"exit-{language}-360-home")
    page.get_by_role("link", name=words["report_link"]).first.click()
    page.wait_for_url(re.compile(r"/tips/report$"))
    assert page.locator("input[name=child_in_danger]:checked").count() == 0
    for later in ("/tips/report/check", "/tips/report/contact", "/tips/report/what"):
        page.goto(live_server + later)  # a later page has nothing to show: back to the first question
        assert page.url == live_server + "/tips/report", later
        text = page.content()
        assert NAME not in text and TYPED_MOBILE not in text and words["description"] not in text, later
    page.check("input[name=child_in_danger][value=no]")
    _press(page, words["continue"])
    page.wait_for_url(re.compile(r"/tips/report/what$"))
    assert page.input_value("textarea[name=description]") == ""
    assert page.locator("input[name=category]:checked").count() == 0
    db.session.expire_all()
    drafts = db.session.scalars(select(TipDraft)).all()
    assert len(drafts) == 1 and NAME not in (drafts[0].answers or "")  # only the new, empty start
    page.context.close()


@BOTH
@WITH_AND_WITHOUT_JAVASCRIPT
def test_a_sent_tips_code_shows_on_refresh_and_print_until_exit_and_never_after(
        app, live_server, browser, exit_url, language, javascript):
    words = WORDS[language]
    page = _phone(browser, language, javascript)
    _fill_to_check(page, live_server, words)
    _press(page, words["send"])
    page.wait_for_url(re.compile(r"/tips/confirmation$"))
    code = page.locator(".follow-up-code").inner_text().strip()
    assert code
    # "I have saved my code" not pressed. Within the hour a refresh and the print view still show it.
    page.reload()
    assert code in page.locator("main").inner_text()
    page.goto(live_server + "/tips/confirmation/print")
    assert code in page.locator("main").inner_text()
    page.goto(live_server + "/tips/confirmation")

    _exit(page, words, exit_url)

    for url in ("/tips/confirmation", "/tips/confirmation/print"):
        page.goto(live_server + url)
        assert page.url == live_server + "/tips/report", url
        assert code not in page.content(), url
    # Nor does the Back button bring it back from the neutral page.
    page.goto(exit_url)
    page.go_back()
    assert code not in page.content()
    db.session.expire_all()
    tip = db.session.scalar(select(Tip))
    assert tip.follow_up_code_display is None and tip.contact_name == NAME  # the report itself stays
    page.context.close()


@BOTH
def test_the_privacy_page_says_what_exit_cannot_erase(app, live_server, browser, language):
    words = WORDS[language]
    page = _phone(browser, language, True)
    page.goto(live_server + "/")
    page.get_by_role("link", name=words["privacy"], exact=True).click()
    page.wait_for_url(re.compile(r"/privacy$"))
    assert page.get_by_role("heading", name=words["exit_heading"]).is_visible()
    assert words["history"] in page.locator("main").inner_text()
    assert page.get_by_role("link", name=words["exit"]).is_visible()
    assert_accessible(page, f"exit-{language}-360-privacy")
    assert_valid_html(page.content(), f"exit-{language}-360-privacy")
    page.context.close()


@pytest.mark.parametrize("how", ["click", "shift"])
def test_with_javascript_exit_replaces_the_history_entry_so_back_skips_the_page_left(
        app, live_server, browser, exit_url, how):
    page = new_page(browser, "en", width=320, height=700)
    page.goto(live_server + "/")
    page.goto(live_server + "/tips/report")
    if how == "click":
        page.get_by_role("link", name="Exit this page").click()
    else:
        for _ in range(3):
            page.keyboard.press("Shift")
    page.wait_for_url(exit_url)
    assert page.title() == "Weather"
    page.go_back()
    # The journey page was replaced, not pushed: Back goes to the page before it.
    assert page.url == live_server + "/"
    page.context.close()


@pytest.mark.parametrize("how", ["image", "link"])
def test_another_site_can_make_exit_forget_only_by_sending_the_visitor_there_never_by_an_image(
        app, live_server, browser, how):
    """docs/threat-model.md: a cross-site <img> carries no SameSite=Lax cookie, so it forgets
    nothing; a link the visitor follows from another site forgets only that visitor's own answers."""
    words = WORDS["en"]
    page = _phone(browser, "en", True)
    page.goto(live_server + "/tips/report")
    page.check("input[name=child_in_danger][value=no]")
    _press(page, words["continue"])
    page.fill("textarea[name=description]", words["description"])
    page.check("input[name=category][value=begging_or_exploited]")
    _press(page, words["continue"])
    # Another site: localhost is not the same site as 127.0.0.1.
    other_site = "http://localhost:9/news"
    markup = (f'<img src="{live_server}/exit" alt="">' if how == "image"
              else f'<a href="{live_server}/exit">Read more</a>')
    page.route(other_site, lambda route: route.fulfill(
        status=200, content_type="text/html", body=f"<!DOCTYPE html><title>News</title>{markup}"))
    asked = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(other_site)
    if how == "image":
        page.wait_for_load_state("load")
        assert live_server + "/exit" in asked  # the image was requested, without the cookies
    else:
        with page.expect_navigation():
            page.get_by_role("link", name="Read more").click()
    page.goto(live_server + "/tips/report/what")
    kept = page.url == live_server + "/tips/report/what" and page.input_value("textarea[name=description]")
    assert kept == (words["description"] if how == "image" else False)
    page.context.close()
