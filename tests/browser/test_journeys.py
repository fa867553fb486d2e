"""End-to-end journeys in a real Chromium: a tip in Chinese, a booking in English, then staff find both.

Every page visited is checked with axe-core against WCAG 2.2 AA and screenshotted into
test-artifacts/screenshots/ so that people can look at it.
"""

from __future__ import annotations

import re

import pytest

from portal.core.extensions import db
from portal.core.permissions import Role
from portal.demo.commands import DEMO_SITES_CSV
from portal.sampling.importer import import_sites
from tests.support.browser import assert_accessible, new_page
from tests.support.factories import create_staff
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")


@pytest.fixture
def demo_sites(app):
    """The real Nantong list, with slots open for the coming four weeks."""
    from portal.core.models import utcnow
    from portal.sampling.slots import open_slots

    result = import_sites(DEMO_SITES_CSV, timezone="Asia/Shanghai")
    today = utcnow().date()
    for site in result.created:
        open_slots(site, today, 28)
    db.session.commit()
    return result.created


def fill_booking_form(page, *, name: str, phone: str, id_number: str, check=None) -> None:
    """From the sampling start page, answer every page of the booking journey for one parent who
    gives a sample, choosing the first site, day and time offered, up to "Check your answers".
    `check(step)` is called on each page (accessibility checks, screenshots)."""
    check = check or (lambda step: None)

    def submit() -> None:
        page.locator("main form[method=post] button[type=submit]").first.click()
        page.wait_for_load_state()

    page.locator("main a.button").first.click()  # Start now
    check("who")
    page.check("input[name=role][value=parent]")
    page.check("input[name=party_size][value='1']")
    submit()
    check("about")
    page.fill("input[name=missing_name]", "王小明")
    page.check("input[name=missing_sex][value=male]")
    page.fill("input[name=missing_born]", "2003")
    page.fill("input[name=last_seen_on]", "2008")
    page.fill("input[name=last_seen_place]", "成都火车站")
    page.check("input[name=sampled_before][value=no]")
    submit()
    check("attendees")
    page.fill("input[name=attendees-0-name]", name)
    page.fill("input[name=attendees-0-document_number]", id_number)
    page.fill("input[name=attendees-0-phone]", phone)
    submit()
    if "/sampling/attendees" in page.url:
        return  # the answers were refused: the caller looks at the errors
    check("sites")
    page.locator("main a.button").first.click()
    check("days")
    page.locator("main .day-list a").first.click()
    check("book")
    page.locator("input[name=slot]").first.check()
    submit()
    page.check("input[name=consent]")
    submit()


def _reference_on(page) -> str:
    match = REFERENCE.search(page.locator(".reference").first.inner_text())
    assert match, f"no reference number on {page.url}"
    return match.group(0)


def test_tip_in_chinese_booking_in_english_then_staff_find_the_tip_in_the_queue_and_the_booking_by_kind(app, live_server, browser, demo_sites):
    # A member of the public reports a lead, in Chinese, on a phone-sized screen.
    page = new_page(browser, "zh", width=360, height=740)
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert_accessible(page, "zh-start-phone")
    page.get_by_role("link", name="举报线索").first.click()
    assert_accessible(page, "zh-tip-form-phone")
    page.check("input[name=child_in_danger][value=no]")
    page.get_by_role("button", name="继续").click()
    page.check("input[name=category][value=begging_or_exploited]")
    page.fill("textarea[name=description]", "我在成都火车站看到一个小孩被成年人强迫乞讨")
    page.get_by_role("button", name="继续").click()
    page.select_option("select[name=division]", "unknown")  # the whole journey is in test_tip_journey.py
    page.get_by_role("button", name="继续").click()
    page.fill("textarea[name=place]", "成都火车站")
    for _question in ("place", "when", "who", "photos", "contact"):
        page.get_by_role("button", name="继续").click()
        page.wait_for_load_state()
    page.wait_for_url(re.compile(r"/tips/report/check"))
    page.get_by_role("button", name="提交线索").click()
    page.wait_for_url(re.compile(r"/tips/confirmation"))
    assert_accessible(page, "zh-tip-confirmation-phone")
    tip_reference = _reference_on(page)
    assert page.locator(".follow-up-code").inner_text().strip()
    page.context.close()

    # A parent books free DNA sampling, in English, on a desktop screen.
    page = new_page(browser, "en")
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page, "en-start")
    page.get_by_role("link", name="Book free DNA sampling").click()
    assert_accessible(page, "en-sampling-start")
    fill_booking_form(page, name="Wang Fang", phone="138 0013 8000", id_number="11010519491231002X",
                      check=lambda step: assert_accessible(page, f"en-sampling-{step}"))
    assert_accessible(page, "en-sampling-check")
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url(re.compile(r"/sampling/confirmation"))
    assert_accessible(page, "en-sampling-confirmation")
    booking_reference = _reference_on(page)
    page.context.close()

    # Staff sign in: the tip is in the lead queue; the booking is not (bookings are handled in the
    # sampling views), but the queue's "kind" filter finds it.
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    page = new_page(browser, "en")
    page.goto(live_server + "/staff/login")
    assert_accessible(page, "en-staff-login")
    sign_in_page(page, live_server, "officer")
    page.wait_for_url(re.compile(r"/staff/queue"))
    assert_accessible(page, "en-staff-queue")
    queue_text = page.locator("main").inner_text()
    assert tip_reference in queue_text
    assert booking_reference not in queue_text
    page.goto(live_server + "/staff/queue?kind=all")
    assert booking_reference in page.locator("main").inner_text()
    page.goto(live_server + "/staff/queue")
    page.get_by_role("link", name=tip_reference).click()
    assert_accessible(page, "en-staff-tip-item")
    assert "成都火车站" in page.locator("main").inner_text()
    page.context.close()


def test_validation_errors_keep_input_and_pass_accessibility_checks_in_both_languages(app, live_server, browser, demo_sites):
    for language, heading in (("zh", "请输入手机号码"), ("en", "Enter a mobile number")):
        page = new_page(browser, language, width=320, height=700)
        page.goto(live_server + "/sampling/")
        fill_booking_form(page, name="王芳", phone="12345", id_number="110105194912310021")
        summary = page.locator(".error-summary")
        assert heading in summary.inner_text()
        assert page.input_value("input[name=attendees-0-name]") == "王芳"
        assert page.input_value("input[name=attendees-0-phone]") == "12345"
        assert_accessible(page, f"{language}-sampling-errors-320")
        page.context.close()
