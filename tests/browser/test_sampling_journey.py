"""Two parents book free DNA sampling on a phone-sized screen, in Chinese and in English, then
move the booking and cancel it through the manage page. Every page is checked with axe-core
(WCAG 2.2 AA) and the Nu HTML Checker, and screenshotted as
test-artifacts/screenshots/sampling-<lang>-<width>-<step>.png."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, OutboundMessage
from tests.support.browser import assert_accessible, new_page
from tests.support.nu_checker import assert_valid_html
from tests.support.sampling import JOURNEY_LIMITS, resident_id

pytestmark = pytest.mark.slow

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")
WIDTH = 360


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Form limits a booking journey cannot reach (tests/web/sampling/conftest.py)."""
    return dict(JOURNEY_LIMITS)


class Journey:
    """Checks and screenshots each page under a numbered step name."""

    def __init__(self, page, language: str) -> None:  # type: ignore[no-untyped-def]
        self.page, self.language, self.count = page, language, 0

    def check(self, step: str) -> None:
        self.count += 1
        name = f"sampling-{self.language}-{WIDTH}-{self.count:02d}-{step}"
        assert self.page.locator("html").get_attribute("lang") == ("zh-CN" if self.language == "zh" else "en")
        assert_accessible(self.page, name)
        assert_valid_html(self.page.content(), name)

    def submit(self) -> None:
        self.page.locator("main form[method=post] button[type=submit]").first.click()
        self.page.wait_for_load_state()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_two_parents_book_move_and_cancel_at_phone_width(app, live_server, browser, demo_sites, language):
    page = new_page(browser, language, width=WIDTH, height=740)
    journey = Journey(page, language)
    serial = "1" if language == "zh" else "2"

    page.goto(live_server + "/sampling/")
    journey.check("start")
    page.locator("main a.button").first.click()
    journey.check("who")
    page.check("input[name=role][value=parent]")
    page.check("input[name=party_size][value='2']")
    journey.submit()

    journey.check("about")
    page.fill("input[name=missing_name]", "王小明")
    page.check("input[name=missing_sex][value=male]")
    page.fill("input[name=missing_born]", "2003")
    page.fill("input[name=last_seen_on]", "2008-06-01")
    page.fill("input[name=last_seen_place]", "成都火车站")
    page.check("input[name=sampled_before][value=no]")
    journey.submit()

    journey.check("attendees")
    for index, (name, phone) in enumerate((("王秀英", "138 0013 8000"), ("李建国", ""))):
        page.fill(f"input[name=attendees-{index}-name]", name)
        page.fill(f"input[name=attendees-{index}-document_number]", resident_id(serial=f"{serial}{index}1"))
        if phone:
            page.fill(f"input[name=attendees-{index}-phone]", phone)
    journey.submit()

    journey.check("sites")
    page.locator("main a.button").first.click()
    journey.check("days")
    page.locator("main .day-list a").first.click()
    journey.check("times")
    page.locator("input[name=slot]").first.check()
    journey.submit()

    journey.check("consent")
    page.check("input[name=consent]")
    journey.submit()

    journey.check("check-answers")
    assert "李建国" in page.locator("main").inner_text()
    journey.submit()
    page.wait_for_url(re.compile(r"/sampling/confirmation"))
    journey.check("confirmation")
    reference = REFERENCE.search(page.locator(".reference").first.inner_text()).group(0)
    assert page.locator(".qr-code img").evaluate("img => img.complete && img.naturalWidth > 0")
    page.goto(live_server + "/sampling/confirmation/print")
    journey.check("print")

    # Later, the family moves the booking with the reference and the mobile number.
    page.goto(live_server + "/sampling/manage")
    journey.check("manage")
    page.fill("input[name=reference]", reference.lower())
    page.fill("input[name=phone]", "13800138000")
    journey.submit()
    page.wait_for_url(re.compile(r"/sampling/manage/booking"))
    journey.check("booking")
    first_time = db.session.scalars(select(Appointment)).one().slot_id
    db.session.rollback()
    page.locator("main a.button").first.click()
    journey.check("move-days")
    page.locator("main .day-list a").nth(1).click()
    journey.check("move-times")
    page.locator("input[name=slot]").first.check()
    journey.submit()
    page.wait_for_url(re.compile(r"/sampling/manage/booking"))
    journey.check("moved")
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.slot_id != first_time and appointment.party_size == 2
    db.session.rollback()

    page.locator("main a.button-warning").click()
    journey.check("cancel")
    journey.submit()
    page.wait_for_url(re.compile(r"/sampling/manage/booking"))
    journey.check("cancelled")
    assert db.session.scalars(select(Appointment)).one().status == "cancelled"
    purposes = sorted(m.purpose for m in db.session.scalars(select(OutboundMessage)))
    assert purposes.count("booking_confirmation") == 1 and "booking_change" in purposes
    assert "booking_cancellation" in purposes
    page.context.close()
