"""Test support for tube numbers: families checked in at a site today, desk staff signed in, and
the desk's samples form posted as a browser would (every box as typed)."""

from __future__ import annotations

import html
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.core.extensions import db
from portal.core.models import Appointment, SamplingSite, Slot, staff_site, utcnow
from portal.core.permissions import Role
from portal.sampling.booking import book_appointment
from portal.sampling.desk import check_in
from tests.support.factories import create_staff
from tests.support.helpers import csrf_token, get_page, parse_page, text_of
from tests.support.sampling import reopen_if_day_off, resident_id
from tests.support.staff import sign_in

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh"}
NAMES = ["王秀英", "李建国", "张桂兰"]


def today_slot(site: SamplingSite, capacity: int = 6) -> Slot:
    """A slot later today at the site (local time), so that families can be checked in."""
    starts = utcnow().replace(microsecond=0) + timedelta(hours=2)
    zone = ZoneInfo(site.timezone)
    if starts.astimezone(zone).date() != utcnow().astimezone(zone).date():
        starts = utcnow().replace(microsecond=0) + timedelta(minutes=1)
    slot = Slot(site=site, starts_at=starts, ends_at=starts + timedelta(minutes=20), capacity=capacity, booked=0)
    db.session.add(slot)
    db.session.commit()
    reopen_if_day_off(site, starts.astimezone(zone).date())
    return slot


def checked_in_family(slot: Slot, *, people: int = 2, serial: int = 1) -> Appointment:
    """A booking of `people` (distinct identity numbers from `serial` on) at `slot`, checked in."""
    slot.site.minimum_notice_minutes = 0
    appointment = book_appointment(
        slot_id=slot.id, applicant_role="parent", applicant_name=NAMES[0], applicant_phone=f"+86138001{38000 + serial}",
        attendees=[(NAMES[n], "parent", resident_id(serial=f"{serial:02d}{n}"), None) for n in range(people)],
        consent=True, language="zh")
    db.session.commit()
    check_in(appointment, slot.site, actor_id=None)
    db.session.commit()
    return appointment


def desk_staff(site: SamplingSite, username: str = "desk") -> None:
    """A site-staff account working at `site`."""
    user = create_staff(Role.SITE_STAFF, username=username)
    db.session.execute(staff_site.insert().values(staff_user_id=user.id, site_id=site.id))
    db.session.commit()


def signed_in(client: FlaskClient, username: str) -> FlaskClient:
    """`client`, signed in as `username` (password and two-step code)."""
    assert sign_in(client, username).status_code == 303
    return client


def save_tubes(client: FlaskClient, appointment: Appointment, typed: list[str], headers: dict | None = None
               ) -> TestResponse:
    """Fetch the booking's desk page, then post the samples form with `typed` in the people's
    boxes (in booking order) like a browser would."""
    reference = appointment.item.reference
    page, _ = get_page(client, f"/staff/sampling/appointments/{reference}", headers=headers or {})
    ids = [attendee.id for attendee in appointment.attendees]
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)),
            **{f"tube-{attendee_id}": value for attendee_id, value in zip(ids, typed)}}
    return client.post(f"/staff/sampling/appointments/{reference}/samples", data=data, headers=headers or {})


def box_value(response: TestResponse, attendee_id: int) -> str | None:
    """The value shown in the tube box of attendee `attendee_id` (None: no box on the page)."""
    return parse_page(response.get_data(as_text=True)).inputs.get(f"tube-{attendee_id}")


def page_text(response: TestResponse) -> str:
    """The page's text as a person reads it (tags removed, entities unescaped)."""
    return html.unescape(text_of(response))
