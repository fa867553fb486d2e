"""A family books in one browser; someone with the reference and the mobile number moves the
booking twice and then cancels it from a second browser (another browser context: its own
cookies). The first browser's confirmation, print view and calendar file follow: the same
calendar event (UID) with a higher SEQUENCE after each move, then "cancelled" everywhere. In
Chinese and English at phone width, each page checked with axe-core and the Nu HTML Checker and
screenshotted (test-artifacts/screenshots/booking-state-<lang>-360-<step>.png)."""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar

from tests.support.browser import assert_accessible, new_page
from tests.support.nu_checker import assert_valid_html
from tests.support.sampling import JOURNEY_LIMITS, resident_id

pytestmark = pytest.mark.slow

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")
WIDTH = 360
WORDS = {
    "zh": {"booked": "预约成功", "moved": "预约已改期", "cancelled": "预约已取消", "do_not_go": "请不要为此预约前往采血点"},
    "en": {"booked": "Appointment booked", "moved": "Appointment moved", "cancelled": "Appointment cancelled",
           "do_not_go": "Do not go to the sampling site"},
}


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Form limits a booking journey cannot reach (tests/web/sampling/conftest.py)."""
    return dict(JOURNEY_LIMITS)


def check(page, language: str, step: str) -> None:  # type: ignore[no-untyped-def]
    name = f"booking-state-{language}-{WIDTH}-{step}"
    assert_accessible(page, name)
    assert_valid_html(page.content(), name)


def submit(page) -> None:  # type: ignore[no-untyped-def]
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()


def book_one_parent(page, base: str, serial: str) -> str:  # type: ignore[no-untyped-def]
    """Walk the booking journey for one parent (first site, day and time); returns the reference."""
    page.goto(base + "/sampling/who")
    page.check("input[name=role][value=parent]")
    page.check("input[name=party_size][value='1']")
    submit(page)
    page.fill("input[name=missing_name]", "王小明")
    page.check("input[name=missing_sex][value=male]")
    page.fill("input[name=missing_born]", "2003")
    page.fill("input[name=last_seen_on]", "2008-06-01")
    page.fill("input[name=last_seen_place]", "成都火车站")
    page.check("input[name=sampled_before][value=no]")
    submit(page)
    page.fill("input[name=attendees-0-name]", "王秀英")
    page.fill("input[name=attendees-0-document_number]", resident_id(serial=serial))
    page.fill("input[name=attendees-0-phone]", "138 0013 8000")
    submit(page)
    assert "/sampling/sites" in page.url, page.locator("main").inner_text()
    page.locator("main a.button").first.click()
    page.locator("main .day-list a").first.click()
    page.locator("input[name=slot]").first.check()
    submit(page)
    page.check("input[name=consent]")
    submit(page)
    submit(page)  # Book this time
    page.wait_for_url(re.compile(r"/sampling/confirmation"))
    return REFERENCE.search(page.locator(".reference").first.inner_text()).group(0)


def calendar_event(page, base: str):  # type: ignore[no-untyped-def]
    """The first browser's .ics, fetched with its own cookies."""
    response = page.context.request.get(base + "/sampling/confirmation/appointment.ics")
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    return next(iter(Calendar.from_ical(response.body()).walk("VEVENT")))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_booking_moved_and_cancelled_from_a_second_browser_shows_so_in_the_first(
        app, live_server, browser, demo_sites, language):
    words = WORDS[language]
    first = new_page(browser, language, width=WIDTH, height=740)
    reference = book_one_parent(first, live_server, serial="301" if language == "zh" else "302")
    assert words["booked"] in first.locator("h1").inner_text()
    check(first, language, "01-confirmation-booked")
    booked_event = calendar_event(first, live_server)
    assert int(booked_event["SEQUENCE"]) == 0 and booked_event["STATUS"] == "CONFIRMED"

    second = new_page(browser, language, width=WIDTH, height=740)
    second.goto(live_server + "/sampling/manage")
    second.fill("input[name=reference]", reference)
    second.fill("input[name=phone]", "13800138000")
    submit(second)
    second.wait_for_url(re.compile(r"/sampling/manage/booking"))

    # First move: another day at the same site.
    second.locator("main a.button").first.click()
    check(second, language, "02-move-days")
    second.locator("main .day-list a").nth(1).click()
    second.locator("input[name=slot]").first.check()
    submit(second)
    second.wait_for_url(re.compile(r"/sampling/manage/booking"))
    moved_once = calendar_event(first, live_server)
    assert str(moved_once["UID"]) == str(booked_event["UID"]) and int(moved_once["SEQUENCE"]) == 1
    assert moved_once.decoded("DTSTART") != booked_event.decoded("DTSTART")

    # Second move: another site.
    second.locator("main a.button").first.click()
    second.locator("main a[href$='/manage/move/sites']").click()
    second.wait_for_url(re.compile(r"/sampling/manage/move/sites"))
    check(second, language, "03-move-sites")
    second.locator("main .site-card a.button").nth(1).click()
    second.wait_for_url(re.compile(r"site="))
    new_site = second.locator("main .summary-list dd").first.inner_text()
    check(second, language, "04-move-days-other-site")
    second.locator("main .day-list a").first.click()
    check(second, language, "05-move-times-other-site")
    second.locator("input[name=slot]").first.check()
    submit(second)
    second.wait_for_url(re.compile(r"/sampling/manage/booking"))
    moved_twice = calendar_event(first, live_server)
    assert str(moved_twice["UID"]) == str(booked_event["UID"]) and int(moved_twice["SEQUENCE"]) == 2
    assert new_site in str(moved_twice["LOCATION"])
    first.reload()
    assert words["moved"] in first.locator("h1").inner_text() and new_site in first.locator("main").inner_text()

    # Cancelled from the second browser.
    second.locator("main a.button-warning").click()
    submit(second)
    second.wait_for_url(re.compile(r"/sampling/manage/booking"))
    second.context.close()

    first.reload()
    main = first.locator("main").inner_text()
    assert words["cancelled"] in first.locator("h1").inner_text() and words["do_not_go"] in main
    assert words["booked"] not in main and first.locator("main img").count() == 0
    check(first, language, "06-confirmation-cancelled")
    first.goto(live_server + "/sampling/confirmation/print")
    assert words["cancelled"] in first.locator("h1").inner_text() and first.locator("main img").count() == 0
    check(first, language, "07-print-cancelled")
    cancelled = calendar_event(first, live_server)
    assert cancelled["STATUS"] == "CANCELLED" and str(cancelled["UID"]) == str(booked_event["UID"])
    assert int(cancelled["SEQUENCE"]) == 3
    first.context.close()
