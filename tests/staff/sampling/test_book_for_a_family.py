"""Booking for a family at the desk: staff choose the day first (any day within the site's
booking horizon), then one of that day's free times, with no time chosen beforehand; the walk-in's
optional case questions are asked and stored with the booking."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, SiteClosure, utcnow
from tests.support.factories import create_site
from tests.support.helpers import get_page, post_form, text_of
from tests.support.sampling import next_weekday, slot_at
from tests.support.staff import browser
from tests.support.tubes import EN, ZH, desk_staff, signed_in

PEOPLE = {"attendees-0-name": "孙七", "attendees-0-relationship": "parent", "attendees-0-document_type": "passport",
          "attendees-0-document_number": "E12345678", "attendees-0-phone": "136 0013 6000", "consent": "y"}


def _offered(html: str) -> list[str]:
    """The values of the time select's options, in order."""
    select_html = re.search(r'<select[^>]*name="slot".*?</select>', html, flags=re.S)
    assert select_html is not None
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html.group(0))


def test_a_time_next_week_is_booked_by_choosing_its_day_first(app):
    site = create_site()
    desk_staff(site)
    first_day = next_weekday(2)
    # More free times in the first days than one list could hold.
    for number in range(44):
        slot_at(site, first_day + timedelta(days=number // 11), number % 11)
    next_week = next_weekday(12)
    wanted = slot_at(site, next_week, 2)
    desk = signed_in(browser(app), "desk")

    page, _ = get_page(desk, f"/staff/sampling/sites/{site.id}/book?people=1", headers=EN)
    assert f'value="{first_day.isoformat()}"' in page.get_data(as_text=True)  # the first day with free times
    assert str(wanted.id) not in _offered(page.get_data(as_text=True))
    url = f"/staff/sampling/sites/{site.id}/book?people=1&day={next_week.isoformat()}"
    page, _ = get_page(desk, url, headers=EN)
    assert _offered(page.get_data(as_text=True)) == ["", str(wanted.id)]

    booked = post_form(desk, url, {**PEOPLE, "slot": str(wanted.id)})
    assert booked.status_code == 303
    assert db.session.scalars(select(Appointment)).one().slot_id == wanted.id


def test_no_time_is_chosen_beforehand_and_a_blank_time_is_refused_keeping_what_was_typed(app):
    site = create_site()
    desk_staff(site)
    slot_at(site, next_weekday(2), 2)
    desk = signed_in(browser(app), "desk")
    url = f"/staff/sampling/sites/{site.id}/book?people=1"

    page, _ = get_page(desk, url, headers=EN)
    html = page.get_data(as_text=True)
    assert '<option value="">Choose a time</option>' in html
    assert "selected" not in html.split('name="slot"')[1].split("</select>")[0]
    refused = post_form(desk, url, {**PEOPLE, "slot": "", "case-missing_name": "孙小宝"}, headers=ZH)
    assert refused.status_code == 200
    assert re.search(r'<p id="slot-error" class="error-message">.*请选择时间</p>', refused.get_data(as_text=True))
    kept = refused.get_data(as_text=True)
    assert 'value="孙七"' in kept and 'value="E12345678"' in kept and 'value="孙小宝"' in kept
    assert db.session.scalars(select(Appointment)).all() == []


def test_the_case_details_asked_when_booking_for_a_family_are_stored_with_the_booking(app):
    site = create_site()
    desk_staff(site)
    slot = slot_at(site, next_weekday(2), 2)
    desk = signed_in(browser(app), "desk")
    booked = post_form(desk, f"/staff/sampling/sites/{site.id}/book?people=1", {
        **PEOPLE, "slot": str(slot.id), "case-missing_name": "孙小宝", "case-missing_sex": "male",
        "case-missing_born": "2010年6月", "case-last_seen_place": "南通汽车站", "case-sampled_before": "no"}, headers=EN)
    assert booked.status_code == 303
    appointment = db.session.scalars(select(Appointment)).one()
    assert json.loads(appointment.case_details) == {"missing_name": "孙小宝", "missing_sex": "male",
                                                    "missing_born": "2010-06", "last_seen_place": "南通汽车站",
                                                    "sampled_before": "no"}


def test_a_closed_day_a_day_beyond_the_horizon_and_an_unreadable_day_each_say_so(app):
    site = create_site()
    desk_staff(site)
    open_day = next_weekday(2)
    slot_at(site, open_day, 2)
    closed_day = next_weekday((open_day - utcnow().date()).days + 1)  # the weekday after
    slot_at(site, closed_day, 2)
    db.session.add(SiteClosure(site_id=site.id, starts_on=closed_day, ends_on=closed_day))
    db.session.commit()
    desk = signed_in(browser(app), "desk")
    base = f"/staff/sampling/sites/{site.id}/book?people=1&day="

    closed, _ = get_page(desk, base + closed_day.isoformat(), headers=EN)
    assert "The site is closed on" in text_of(closed) and _offered(closed.get_data(as_text=True)) == [""]
    assert f"day={open_day.isoformat()}" in closed.get_data(as_text=True)  # a nearby day with free times
    far = (open_day + timedelta(days=400)).isoformat()
    beyond, _ = get_page(desk, base + far, headers=EN)
    assert "families can book only that far ahead" in text_of(beyond) and f'value="{far}"' in beyond.get_data(as_text=True)
    unreadable, _ = get_page(desk, base + "next-tuesday", headers=EN)
    assert "Enter a real day" in text_of(unreadable) and 'value="next-tuesday"' in unreadable.get_data(as_text=True)


def test_a_booking_is_moved_to_a_time_next_week_by_choosing_its_day_and_a_blank_time_is_refused(app):
    site = create_site()
    desk_staff(site)
    booked_day = next_weekday(2)
    slot = slot_at(site, booked_day, 2)
    same_day = slot_at(site, booked_day, 3)
    next_week = next_weekday(12)
    wanted = slot_at(site, next_week, 2)
    booked = post_form(signed_in(browser(app), "desk"), f"/staff/sampling/sites/{site.id}/book?people=1",
                       {**PEOPLE, "slot": str(slot.id)})
    assert booked.status_code == 303
    desk = signed_in(browser(app), "desk")
    page_url = booked.headers["Location"]
    reference = page_url.rstrip("/").rsplit("/", 1)[1]

    page, _ = get_page(desk, page_url, headers=EN)
    assert _offered(page.get_data(as_text=True)) == ["", str(same_day.id)]  # the booking's own day first
    moved_url = f"/staff/sampling/appointments/{reference}/move?day={next_week.isoformat()}"
    page, _ = get_page(desk, f"{page_url}?day={next_week.isoformat()}", headers=EN)
    assert _offered(page.get_data(as_text=True)) == ["", str(wanted.id)]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    refused = desk.post(moved_url, data={"csrf_token": token, "slot": ""}, headers=EN)
    assert refused.status_code == 200 and re.search(r'<p id="slot-error" class="error-message">.*Choose a time</p>',
                                                    refused.get_data(as_text=True))
    assert _offered(refused.get_data(as_text=True)) == ["", str(wanted.id)]  # still next week's times
    moved = desk.post(moved_url, data={"csrf_token": token, "slot": str(wanted.id)})
    assert moved.status_code == 303
    assert db.session.scalars(select(Appointment)).one().slot_id == wanted.id
