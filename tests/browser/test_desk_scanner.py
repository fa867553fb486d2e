"""The sampling desk with a barcode scanner, in a real Chromium: a scanner types what it reads and
presses Enter, here `page.keyboard`, never a click. A scan that finds no booking is quoted and
leaves the box empty and focused; the booking's QR code content then typed into the desk's box
(focused on arrival) lands on the booking; the first tube + Enter does not send the form
but moves to the second person's box; the second tube + Enter saves both, and only then is the family sent one "sample taken" SMS. Then the day list by
keyboard without JavaScript on a phone: one family checked in from its row, one marked as did not
come. Screenshots `desk-<page>-<lang>-<width>.png` (the desk and the day list, 360 and 1280 pixels,
both languages; a booking whose time has come, 360), each page checked with axe-core and the Nu HTML Checker."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, Attendee, OutboundMessage, SamplingSite, utcnow
from portal.sampling.booking import AttendeeDetails, book_appointment
from portal.sampling.desk import register_walk_in
from portal.sampling.notices import CHECKED_IN_PURPOSE
from tests.support.browser import ARTIFACTS, assert_accessible, new_page
from tests.support.factories import create_site
from tests.support.nu_checker import assert_valid_html
from tests.support.sampling import next_weekday, resident_id, slot_at
from tests.support.staff import sign_in_page
from tests.support.tubes import checked_in_family, desk_staff, today_slot

pytestmark = pytest.mark.slow


def _booked(slot, serial: int, name: str, people: int = 1) -> Appointment:  # type: ignore[no-untyped-def]
    slot.site.minimum_notice_minutes = 0
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name=name, applicant_phone=f"+86137001{37000 + serial}",
        attendees=[(name, "parent", resident_id(serial=f"{serial:02d}{n}"), None) for n in range(people)],
        consent=True, language="zh")
    db.session.commit()
    return appointment


def _time_come(site: SamplingSite, appointment: Appointment) -> None:
    """Move the booking's slot to a time of the site's local today that has come."""
    zone = ZoneInfo(site.timezone)
    now = utcnow().replace(microsecond=0)
    starts = max(datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone), now - timedelta(hours=1))
    appointment.slot.starts_at, appointment.slot.ends_at = starts, starts + timedelta(minutes=20)
    db.session.commit()


def _sample_taken_messages(appointment: Appointment) -> list[OutboundMessage]:
    """The "sample taken" SMS queued for the booking (the family is told once every sample is in)."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).where(
        OutboundMessage.item_id == appointment.item_id, OutboundMessage.purpose == CHECKED_IN_PURPOSE)))


def _focused_name(page) -> str | None:  # type: ignore[no-untyped-def]
    return page.evaluate("document.activeElement && document.activeElement.name")


def test_a_scanner_finds_a_booking_from_its_qr_code_and_saves_two_tubes_and_the_day_list_works_by_keyboard(
        app, live_server, browser):  # type: ignore[no-untyped-def]
    site = create_site()
    desk_staff(site)
    slot = today_slot(site, capacity=12)
    family = checked_in_family(slot, people=2, serial=1)
    waiting = _booked(slot, serial=2, name="张桂兰", people=3)
    late = _booked(slot_at(site, next_weekday(3), 1), serial=3, name="刘德华")
    _time_come(site, late)
    register_walk_in(site, [AttendeeDetails("赵六", "parent", resident_id(serial="901"))], applicant_phone=None,
                     language="zh", actor_id=None, consent=True)
    db.session.commit()
    reference = family.item.reference
    first, second = (a.id for a in family.attendees)

    page = new_page(browser, "en", width=1280)
    sign_in_page(page, live_server, "desk")
    page.goto(f"{live_server}/staff/sampling/desk")
    assert _focused_name(page) == "reference"
    # A scan that finds no booking is quoted, and the box comes back empty and focused: the next
    # scan stands alone instead of being added to the refused one.
    with page.expect_navigation():
        page.keyboard.type("TY-2222-2222")
        page.keyboard.press("Enter")
    assert "No booking TY-2222-2222 at your sites" in page.locator("#not-found").inner_text()
    assert _focused_name(page) == "reference" and page.locator("input[name=reference]").input_value() == ""
    # The QR code holds the reference; a scanner may send it in lower case.
    page.keyboard.type(reference.lower())
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/sampling/appointments/{reference}")
    assert _focused_name(page) == f"tube-{first}"

    page.evaluate("window.notReloaded = true")
    page.keyboard.type("NT20261207-001")
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)
    # Not sent: the same page, the first box as scanned, the focus in the second person's box.
    assert page.evaluate("window.notReloaded === true")
    assert page.locator(f"input[name=tube-{first}]").input_value() == "NT20261207-001"
    assert _focused_name(page) == f"tube-{second}"
    assert _sample_taken_messages(family) == []
    with page.expect_navigation():
        page.keyboard.type("NT20261207-002")
        page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert page.locator("input[name^=tube-]").count() == 0
    assert "2 samples recorded." in page.locator(".notification").inner_text()
    db.session.expire_all()
    stored = {a.id: a.sample_tube_number for a in db.session.scalars(
        select(Attendee).where(Attendee.appointment_id == family.id))}
    assert stored == {first: "NT20261207001", second: "NT20261207002"}
    # One SMS, after the second tube: the family is told when every sample is in.
    assert len(_sample_taken_messages(family)) == 1
    page.context.close()

    # Screenshots of the desk and the day list, in both languages, on a phone and a desktop.
    for language in ("zh", "en"):
        for width in (360, 1280):
            page = new_page(browser, language, width=width, height=800)
            sign_in_page(page, live_server, "desk")
            page.goto(f"{live_server}/staff/sampling/desk")
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert_accessible(page, f"desk-desk-{language}-{width}")
            assert_valid_html(page.content(), f"desk-desk-{language}-{width}")
            page.goto(f"{live_server}/staff/sampling/sites/{site.id}/day")
            main = page.locator("main").inner_text()
            for words in (reference, waiting.item.reference, late.item.reference, "张桂兰", "刘德华"):
                assert words in main, words
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert_accessible(page, f"desk-day-{language}-{width}")
            assert_valid_html(page.content(), f"desk-day-{language}-{width}")
            if width == 360:  # a booking whose time has come: check in, or say they did not come
                page.goto(f"{live_server}/staff/sampling/appointments/{late.item.reference}")
                assert page.locator(f"form[action$='/{late.item.reference}/no-show'] button").count() == 1
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                assert_accessible(page, f"desk-booking-{language}-{width}")
                assert_valid_html(page.content(), f"desk-booking-{language}-{width}")
            page.context.close()

    # The day list by keyboard alone, without JavaScript, on a phone.
    page = new_page(browser, "zh", width=360, height=800, javascript=False)
    sign_in_page(page, live_server, "desk")
    page.goto(f"{live_server}/staff/sampling/sites/{site.id}/day")
    assert "已到/应到预约：2 / 4" in page.locator("main").inner_text()
    page.locator(f"form[action$='/{waiting.item.reference}/check-in'] button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"预约{waiting.item.reference}已签到。" in page.locator(".notification").inner_text()
    page.locator(f"form[action$='/{late.item.reference}/no-show'] button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"预约{late.item.reference}已标记为未到场。" in page.locator(".notification").inner_text()
    assert "已到/应到预约：3 / 3" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # axe-core needs JavaScript: this page is only photographed (the same page with it was checked above).
    page.screenshot(path=str(ARTIFACTS / "desk-day-after-zh-360.png"), full_page=True)
    page.context.close()
    db.session.expire_all()
    assert db.session.get(Appointment, waiting.id).status == "checked_in"
    assert db.session.get(Appointment, late.id).status == "no_show"
