"""Every public page on a 360px phone, in Chinese and in English: no two buttons touch (a thumb
meant for one must not press the other). Also the pages of this change: the follow-up warning,
the photo and answer errors, "both people" on the time page, the masked identity number on the
confirmation, the simulator's note on a Twilio word. Screenshots: test-artifacts/screenshots/
narrow-<lang>-<page>.png."""

from __future__ import annotations

import re
from itertools import combinations

import pytest

from tests.support.browser import assert_accessible, new_page
from tests.support.factories import create_tip
from tests.support.sampling import JOURNEY_LIMITS, resident_id
from tests.support.tips import PAGES

pytestmark = pytest.mark.slow
WIDTH = 360
# The least space between two buttons, in CSS pixels.
MIN_GAP = 8
BUTTONS = "main button:visible, main a.button:visible, main input[type=submit]:visible"


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Whole journeys and repeated wrong codes: limits they cannot reach."""
    return {**JOURNEY_LIMITS, "ratelimit_status_lookup": "1000 per minute", "ratelimit_tip_steps": "1000 per minute"}


def touching_buttons(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Pairs of visible buttons in `main` closer than MIN_GAP pixels, by their text."""
    boxes = []
    for button in page.locator(BUTTONS).all():
        box = button.bounding_box()
        if box and box["width"] > 0 and box["height"] > 0:
            boxes.append((button.inner_text().strip() or button.get_attribute("value") or "?", box))
    close = []
    for (first, a), (second, b) in combinations(boxes, 2):
        apart_x = max(b["x"] - (a["x"] + a["width"]), a["x"] - (b["x"] + b["width"]))
        apart_y = max(b["y"] - (a["y"] + a["height"]), a["y"] - (b["y"] + b["height"]))
        if max(apart_x, apart_y) < MIN_GAP:
            close.append(f"{first!r} and {second!r}")
    return close


def _post(page, base: str, url: str, data: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """POST a form as this browser would (its cookies, the form's CSRF token), without showing it."""
    html = page.request.get(base + url).text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    response = page.request.post(base + url, form={**({"csrf_token": token.group(1)} if token else {}), **data},
                                 max_redirects=0)
    assert response.status in (302, 303), f"{url} answered {response.status}"


def _submit(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_no_two_buttons_touch_on_any_public_page_at_360_pixels(app, live_server, browser, demo_sites, language):
    receipt = create_tip()
    page = new_page(browser, language, width=WIDTH, height=740)
    seen: dict[str, list[str]] = {}

    def look(name: str) -> None:
        assert_accessible(page, f"narrow-{language}-{name}")
        page.screenshot(path=f"/work/shots/small/{language}-{name}.png", full_page=True)
        if close := touching_buttons(page):
            seen[name] = close

    for name, url in [("start", "/"), ("privacy", "/privacy"), ("tips-danger", "/tips/report"),
                      ("tips-status", "/tips/status"), ("sampling-start", "/sampling/"),
                      ("sampling-who", "/sampling/who"), ("sampling-manage", "/sampling/manage"),
                      ("dev-sms", "/dev/sms")]:
        page.goto(live_server + url)
        look(name)

    # The follow-up warning, two tries before the lock.
    page.goto(live_server + "/tips/status")
    for n in range(3):
        page.fill("input[name=reference]", receipt.reference)
        page.fill("input[name=follow_up_code]", f"2222-2222-2222-222{n + 2}")
        _submit(page)
    assert page.locator("main .warning-text").count() == 1
    look("tips-status-warning")

    # The tip journey's pages, the photos page with a removal the server cannot use.
    for url, answers in PAGES[:-2]:
        _post(page, live_server, url, {key: value for key, value in answers.items() if value is not None})
    page.goto(live_server + "/tips/report/photos")
    with page.expect_navigation():
        page.locator("main form[method=post]").evaluate(
            "form => { const b = document.createElement('button'); b.name = 'remove'; b.value = '²';"
            " b.type = 'submit'; b.hidden = true; form.appendChild(b); b.click(); }")
    assert page.locator("main .error-summary").count() == 1
    look("tips-photos-remove-error")
    for url in ("/tips/report/contact", "/tips/report/check"):
        page.goto(live_server + url)
        look(url.rsplit("/", 1)[-1])

    # A right code, then an answer whose question number the server cannot use.
    other = new_page(browser, language, width=WIDTH, height=740)
    other.goto(live_server + "/tips/status")
    other.fill("input[name=reference]", receipt.reference)
    other.fill("input[name=follow_up_code]", receipt.follow_up_code)
    _submit(other)
    page = other
    look("tips-status-report")
    page.fill("textarea[name=text]", "白色面包车")
    page.locator("input[name=question_id]").evaluate("input => { input.value = '99999999999999999999'; }")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator("main .error-summary").count() == 1
    look("tips-status-report-error")

    # Sampling: two people, the time page says "both", then the confirmation.
    page.goto(live_server + "/sampling/who")
    page.check("input[name=role][value=parent]")
    page.check("input[name=party_size][value='2']")
    _submit(page)
    page.fill("input[name=missing_name]", "王小明")
    page.check("input[name=missing_sex][value=male]")
    page.fill("input[name=missing_born]", "2003")
    page.fill("input[name=last_seen_on]", "2008-06-01")
    page.fill("input[name=last_seen_place]", "四川省成都市")
    page.check("input[name=sampled_before][value=no]")
    _submit(page)
    serial = "7" if language == "zh" else "8"
    for index, name in enumerate(("王秀英", "李建国")):
        page.fill(f"input[name=attendees-{index}-name]", name)
        page.fill(f"input[name=attendees-{index}-document_number]", resident_id(serial=f"{serial}{index}1"))
        page.fill(f"input[name=attendees-{index}-phone]", "138 0013 8000")
    _submit(page)
    look("sampling-sites")
    page.locator("main a.button").first.click()
    look("sampling-site")
    page.locator("main .day-list a").first.click()
    look("sampling-time")
    assert ("两人" if language == "zh" else "both people") in page.locator("main").inner_text()
    page.locator("input[name=slot]").first.check()
    _submit(page)
    page.check("input[name=consent]")
    look("sampling-consent")
    _submit(page)
    look("sampling-check")
    _submit(page)
    page.wait_for_url(re.compile(r"/sampling/confirmation$"))
    look("sampling-confirmation")
    assert ("•••• " if language == "zh" else ".... ") in page.locator("main").inner_text()

    # The simulator after a Twilio word.
    page.goto(live_server + "/dev/sms")
    page.fill("textarea[name=body]", "START")
    page.locator("#sms-send").click()
    page.wait_for_load_state()
    look("dev-sms-start")

    assert seen == {}
