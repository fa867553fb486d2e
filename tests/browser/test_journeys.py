"""End-to-end journeys in a real Chromium: a tip in Chinese, a booking in English, then staff find both.

Every page visited is checked with axe-core against WCAG 2.2 AA and screenshotted into
test-artifacts/screenshots/ so that people can look at it.
"""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.permissions import Role
from portal.public.commands import DEMO_SITES_CSV
from portal.sampling.importer import import_sites
from tests.browser.conftest import assert_accessible, new_page
from tests.factories import create_staff
from tests.staff_support import sign_in_page

pytestmark = pytest.mark.slow

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")


@pytest.fixture
def demo_sites(app):
    """The real Nantong list, with slots open for the coming four weeks."""
    from portal.models import utcnow
    from portal.sampling.slots import open_slots

    result = import_sites(DEMO_SITES_CSV, timezone="Asia/Shanghai")
    today = utcnow().date()
    for site in result.created:
        open_slots(site, today, 28)
    db.session.commit()
    return result.created


def fill_booking_form(page, *, name: str, phone: str, id_number: str) -> None:
    """Choose the first time offered and answer every question of the booking form."""
    page.locator("input[name=slot]").first.check()
    page.fill("input[name=name]", name)
    page.fill("input[name=phone]", phone)
    page.fill("input[name=id_number]", id_number)
    page.check("input[name=role][value=parent]")
    page.check("input[name=consent]")


def _reference_on(page) -> str:
    match = REFERENCE.search(page.locator(".reference").first.inner_text())
    assert match, f"no reference number on {page.url}"
    return match.group(0)


def test_tip_in_chinese_booking_in_english_then_staff_find_both_in_the_queue(app, live_server, browser, demo_sites):
    # A member of the public reports a lead, in Chinese, on a phone-sized screen.
    page = new_page(browser, "zh", width=360, height=740)
    page.goto(live_server + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert_accessible(page, "zh-start-phone")
    page.get_by_role("link", name="举报线索").click()
    assert_accessible(page, "zh-tip-form-phone")
    page.check("input[name=child_in_danger][value=no]")
    page.check("input[name=category][value=begging_or_exploited]")
    page.fill("textarea[name=description]", "我在成都火车站看到一个小孩被成年人强迫乞讨")
    page.fill("input[name=place]", "成都火车站")
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
    assert_accessible(page, "en-sampling-sites")
    page.locator("a.button", has_text="Choose").first.click()
    assert_accessible(page, "en-sampling-days")
    page.locator("main li a").first.click()
    assert_accessible(page, "en-sampling-book")
    fill_booking_form(page, name="Wang Fang", phone="138 0013 8000", id_number="11010519491231002X")
    page.get_by_role("button", name="Book this time").click()
    page.wait_for_url(re.compile(r"/sampling/confirmation"))
    assert_accessible(page, "en-sampling-confirmation")
    booking_reference = _reference_on(page)
    page.context.close()

    # Staff sign in and find both in one queue.
    create_staff(Role.TRIAGE_OFFICER, username="officer")
    page = new_page(browser, "en")
    page.goto(live_server + "/staff/login")
    assert_accessible(page, "en-staff-login")
    sign_in_page(page, live_server, "officer")
    page.wait_for_url(re.compile(r"/staff/queue"))
    assert_accessible(page, "en-staff-queue")
    queue_text = page.locator("main").inner_text()
    assert tip_reference in queue_text
    assert booking_reference in queue_text
    page.get_by_role("link", name=tip_reference).click()
    assert_accessible(page, "en-staff-tip-item")
    assert "成都火车站" in page.locator("main").inner_text()
    page.context.close()


def test_validation_errors_keep_input_and_pass_accessibility_checks_in_both_languages(app, live_server, browser, demo_sites):
    for language, heading in (("zh", "请输入手机号码"), ("en", "Enter a mobile number")):
        page = new_page(browser, language, width=320, height=700)
        page.goto(live_server + "/sampling/")
        page.locator("a.button").first.click()
        page.locator("main li a").first.click()
        fill_booking_form(page, name="王芳", phone="12345", id_number="110105194912310021")
        page.locator("button[type=submit]").click()
        summary = page.locator(".error-summary")
        assert heading in summary.inner_text()
        assert page.input_value("input[name=name]") == "王芳"
        assert page.input_value("input[name=phone]") == "12345"
        assert_accessible(page, f"{language}-sampling-errors-320")
        page.context.close()
