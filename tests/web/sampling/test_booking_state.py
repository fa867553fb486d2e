"""A booking's pages and files always show its state now: cancelled or moved elsewhere (another
browser, the SMS hotline, the desk), the first browser's confirmation, print view and calendar
file say so; a move is the same calendar event with a higher SEQUENCE. Moving to another site
through /sampling/manage; Back on the consent page. The same in a real Chromium:
tests/browser/test_booking_state.py."""

from __future__ import annotations

import re

from icalendar import Calendar
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment
from tests.support.factories import create_site
from tests.support.helpers import check_page, csrf_token, get_page, post_form, text_of
from tests.support.sampling import book_on_web, next_weekday, person, places_taken, slot_at, walk_to_check

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")
EN = {"Accept-Language": "en"}


def _booked(app, people=None):  # type: ignore[no-untyped-def]
    site = create_site()
    day = next_weekday(3)
    slot = slot_at(site, day, 1)
    family = app.test_client()
    assert book_on_web(family, slot, people, headers=EN).status_code == 303
    reference = REFERENCE.search(text_of(family.get("/sampling/confirmation"))).group(0)
    return site, day, slot, family, reference


def _manage(app, reference: str):  # type: ignore[no-untyped-def]
    other = app.test_client()  # another browser: its own cookies
    found = post_form(other, "/sampling/manage", {"reference": reference, "phone": "138 0013 8000"}, headers=EN)
    assert found.status_code == 303
    return other


def _event(client):  # type: ignore[no-untyped-def]
    response = client.get("/sampling/confirmation/appointment.ics", headers=EN)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return next(component for component in Calendar.from_ical(response.get_data()).walk("VEVENT"))


def _move(client, site_id: int | None, slot) -> None:  # type: ignore[no-untyped-def]
    from portal.sampling.slots import local_day

    day = local_day(slot.site, slot.starts_at).isoformat()
    url = f"/sampling/manage/move?day={day}" + (f"&site={site_id}" if site_id else "")
    page, _ = get_page(client, url, headers=EN)
    moved = client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "slot": str(slot.id)},
                        headers=EN)
    assert moved.status_code == 303, text_of(moved)


def test_a_booking_cancelled_from_another_browser_shows_cancelled_on_its_confirmation_print_view_and_calendar_file(app):
    site, day, slot, family, reference = _booked(app)
    booked = family.get("/sampling/confirmation", headers=EN)
    assert "Appointment booked" in text_of(booked) and "confirmation/qr.svg" in booked.get_data(as_text=True)
    assert _event(family)["STATUS"] == "CONFIRMED"

    other = _manage(app, reference)
    confirm, _ = get_page(other, "/sampling/manage/cancel", headers=EN)
    assert other.post("/sampling/manage/cancel", data={"csrf_token": csrf_token(confirm.get_data(as_text=True))},
                      headers=EN).status_code == 303

    page, _ = get_page(family, "/sampling/confirmation", headers=EN)
    text = text_of(page)
    assert "Appointment cancelled" in text and "Do not go to the sampling site" in text and reference in text
    assert "Appointment booked" not in text and "qr.svg" not in page.get_data(as_text=True)
    assert "What to bring" not in text and "Book again" in text
    printed, _ = get_page(family, "/sampling/confirmation/print", headers=EN)
    assert "Appointment cancelled" in text_of(printed) and "qr.svg" not in printed.get_data(as_text=True)
    assert family.get("/sampling/confirmation/qr.svg").status_code == 404
    event = _event(family)
    assert event["STATUS"] == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert str(event["SUMMARY"]).startswith("Cancelled:")
    chinese = text_of(family.get("/sampling/confirmation", headers={"Accept-Language": "zh-CN"}))
    assert "预约已取消" in chinese and "请不要为此预约前往采血点" in chinese


def test_a_move_keeps_the_calendar_events_uid_raises_its_sequence_and_the_first_browser_says_moved(app):
    site, day, slot, family, reference = _booked(app)
    first = _event(family)
    assert int(first["SEQUENCE"]) == 0
    other_site = create_site(name="海门区公安局", city="南通市海门区")
    other = _manage(app, reference)

    _move(other, None, slot_at(site, day, 3))
    _move(other, other_site.id, new := slot_at(other_site, next_weekday(6), 2))

    event = _event(family)
    assert str(event["UID"]) == str(first["UID"]) and int(event["SEQUENCE"]) == 2
    assert event["STATUS"] == "CONFIRMED" and event.decoded("DTSTART") == new.starts_at
    assert "海门区公安局" in str(event["LOCATION"])
    page = text_of(family.get("/sampling/confirmation", headers=EN))
    assert "Appointment moved" in page and "海门区公安局" in page and "南通市公安局" not in page
    assert "Appointment booked" not in page and "We are sending the new time by text message" in page
    chinese = text_of(family.get("/sampling/confirmation", headers={"Accept-Language": "zh-CN"}))
    assert "预约已改期" in chinese and "预约成功" not in chinese


def test_the_manage_pages_move_a_booking_to_another_site_offering_only_sites_with_room_for_the_party(app):
    people = [person(), person("李建国", id_number="11010519491231002X", phone="")]
    site, day, slot, family, reference = _booked(app, people)
    other_site = create_site(name="海门区公安局", city="南通市海门区")
    small = create_site(name="如东县公安局", city="如东县", places_per_slot=1)
    new_slot = slot_at(other_site, day, 2)
    other = _manage(app, reference)

    booking = text_of(other.get("/sampling/manage/booking", headers=EN))
    assert "Move to another time or site" in booking
    sites, parsed = get_page(other, "/sampling/manage/move/sites", headers=EN)
    html = sites.get_data(as_text=True)
    assert f"/sampling/manage/move?site={other_site.id}" in html
    assert f"site={small.id}" not in html and "at most 1 at one time" in text_of(sites)
    days, _ = get_page(other, f"/sampling/manage/move?site={other_site.id}", headers=EN)
    assert "海门区公安局" in text_of(days) and f"site={other_site.id}" in days.get_data(as_text=True)
    assert other.get(f"/sampling/manage/move?site={small.id}", headers=EN).status_code == 200
    assert "at most 1 at one time" in text_of(other.get(f"/sampling/manage/move?site={small.id}", headers=EN))
    assert other.get("/sampling/manage/move?site=99999", headers=EN).status_code == 404
    assert other.get("/sampling/manage/move?site=%C2%B2", headers=EN).status_code == 404

    # A time of another site than the page's is refused, whatever is posted.
    url = f"/sampling/manage/move?day={day.isoformat()}&site={other_site.id}"
    page, _ = get_page(other, url, headers=EN)
    refused = other.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                    "slot": str(slot_at(site, day, 4).id)}, headers=EN)
    assert refused.status_code == 200 and "Choose one of the times shown" in text_of(refused)

    _move(other, other_site.id, new_slot)
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.slot_id == new_slot.id and appointment.site.id == other_site.id
    assert (places_taken(slot.id), places_taken(new_slot.id)) == (0, 2)
    moved = text_of(other.get("/sampling/manage/booking", headers=EN))
    assert "Your booking is moved" in moved and "海门区公安局" in moved


def test_back_on_the_consent_page_returns_to_the_chosen_days_times_with_the_time_still_chosen(app):
    site = create_site()
    day = next_weekday(3)
    slot = slot_at(site, day, 1)
    family = app.test_client()
    walk_to_check(family, slot, headers=EN)

    consent, parsed = get_page(family, "/sampling/consent", headers=EN)
    back = re.search(r'<a class="back-link" href="([^"]+)"', consent.get_data(as_text=True)).group(1)
    assert back == f"/sampling/site/{site.id}/{day.isoformat()}"
    times = family.get(back, headers=EN)
    check_page(times)
    chosen = re.search(rf'<input[^>]*value="{slot.id}"[^>]*>', times.get_data(as_text=True)).group(0)
    assert "checked" in chosen
    # From the check page's "Change" link, Back still returns to the check page.
    changing = family.get("/sampling/consent?change=1", headers=EN).get_data(as_text=True)
    assert re.search(r'<a class="back-link" href="/sampling/check"', changing)
