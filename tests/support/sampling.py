"""Helpers for the sampling tests: valid identity numbers, a bookable day, the booking journey walked
as a browser does, and bookings made directly through the domain."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from stdnum.cn import ric

from portal.core.extensions import db
from portal.core.public_holidays import days_off
from portal.core.models import ApplicantRole, Appointment, SamplingSite, SiteDayOverride, Slot
from portal.sampling.booking import book_appointment

# Settings for an app whose form limits a whole booking journey cannot reach: each journey posts
# five forms or more (the `app_settings` of tests/web/sampling/conftest.py and others).
JOURNEY_LIMITS: dict[str, object] = dict(ratelimit_public_post="1000 per minute",
                                         ratelimit_sampling_manage="1000 per minute",
                                         ratelimit_sampling_identity_refusals="1000 per minute")


def places_taken(slot_id: int) -> int:
    """The slot's booked count as committed now (not a value cached in the test's session)."""
    db.session.rollback()
    return db.session.scalar(select(Slot.booked).where(Slot.id == slot_id))


def resident_id(birth: str = "19800101", serial: str = "001", area: str = "110105") -> str:
    """A valid 18-character resident identity number (GB 11643-1999 check character)."""
    body = f"{area}{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


# A valid identity number of a child born on 1 January 2020 (six years old in 2026).
CHILD_ID = resident_id(birth="20200101")
PHONE = "+8613800138000"


def book(slot: Slot, id_numbers: list[str], **overrides: object) -> Appointment:
    """Book `slot` through the booking domain, not committed: 王秀英 (a parent, on PHONE) for one
    attendee per identity number. `overrides`: other arguments of `book_appointment`."""
    values: dict = dict(
        slot_id=slot.id,
        applicant_role=ApplicantRole.PARENT,
        applicant_name="王秀英",
        applicant_phone=PHONE,
        attendees=[(f"家人{n}", ApplicantRole.PARENT, number, None) for n, number in enumerate(id_numbers)],
        consent=True,
        language="zh",
    )
    values.update(overrides)
    return book_appointment(**values)


def next_weekday(days_ahead: int = 2) -> date:
    """A Monday-to-Friday date at least `days_ahead` days from today (UTC) that is not a public
    holiday (sites close on those: portal.sampling.site_calendar)."""
    day = datetime.now(timezone.utc).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5 or is_day_off(day):
        day += timedelta(days=1)
    return day


def is_day_off(day: date) -> bool:
    """Whether `day` is one of China's public days off (portal.core.public_holidays)."""
    return day in days_off(day, day)


def reopen_if_day_off(site: SamplingSite, day: date) -> None:
    """When `day` is a public day off, record that the site opens anyway (a staff decision, as a
    site that works on a holiday has), so that a test booking for today runs on any day of the
    year; committed. Does nothing when the site has a decision for that day already."""
    decided = db.session.scalar(select(SiteDayOverride).where(SiteDayOverride.site_id == site.id,
                                                              SiteDayOverride.day == day))
    if is_day_off(day) and decided is None:
        db.session.add(SiteDayOverride(site_id=site.id, day=day, open=True, reason="open for the test"))
        db.session.commit()


def slot_at(site: SamplingSite, day: date, utc_hour: int, utc_minute: int = 0, *, capacity: int = 3) -> Slot:
    """Add and commit a slot at `day` `utc_hour:utc_minute` UTC."""
    starts_at = datetime.combine(day, time(utc_hour, utc_minute), tzinfo=timezone.utc)
    slot = Slot(site=site, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=site.slot_minutes),
                capacity=capacity, booked=0)
    db.session.add(slot)
    db.session.commit()
    return slot


PARENT_CASE = {
    "missing_name": "王小明", "missing_sex": "male", "missing_born": "2003", "last_seen_on": "2008-06-01",
    "last_seen_place": "成都火车站", "police_report": "", "sampled_before": "no",
}


def person(name: str = "王秀英", *, id_number: str | None = None, phone: str = "138 0013 8000",
           relationship: str = "parent", document_type: str = "resident_id") -> dict:
    """One attendee's answers as typed on the attendees page."""
    return {"name": name, "relationship": relationship, "document_type": document_type,
            "document_number": id_number or resident_id(), "phone": phone}


def attendee_fields(people: list[dict]) -> dict:
    """The attendees page's form fields for `people` (attendees-0-name, ...)."""
    data: dict = {}
    for index, answers in enumerate(people):
        for key, value in answers.items():
            data[f"attendees-{index}-{key}"] = value
    return data


def walk_to_check(client, slot: Slot, people: list[dict] | None = None, *, role: str = "parent",
                  case: dict | None = None, headers: dict | None = None, guardian: bool = False):
    """Answer every page of the booking journey up to "Check your answers" for `slot`, like a
    browser (each form fetched for its CSRF token, then posted). Returns the check page."""
    from portal.sampling.slots import local_day
    from tests.support.helpers import post_form

    headers = headers or {}
    people = people if people is not None else [person()]
    size = "1" if role == "agency" else str(len(people))
    steps = [("/sampling/who", {"role": role, "party_size": size})]
    if role == "seeking_birth_family":
        steps.append(("/sampling/about", case or {"remembered": "我记得家门口有一棵大树", "missing_born": "1990",
                                                  "sampled_before": "no"}))
    elif role != "agency":
        steps.append(("/sampling/about", case or PARENT_CASE))
    if role == "agency":
        steps.append(("/sampling/attendees", people[0]))
    else:
        steps.append(("/sampling/attendees", attendee_fields(people)))
    day = local_day(slot.site, slot.starts_at).isoformat()
    steps.append((f"/sampling/site/{slot.site_id}/{day}", {"slot": str(slot.id)}))
    consent = {"consent": "y"}
    if guardian:
        consent["guardian_consent"] = "y"
    steps.append(("/sampling/consent", consent))
    for url, data in steps:
        response = post_form(client, url, data, headers=headers)
        assert response.status_code in (302, 303), f"{url} answered {response.status_code}: " + \
            response.get_data(as_text=True)[:3000]
    return client.get("/sampling/check", headers=headers)


def book_on_web(client, slot: Slot, people: list[dict] | None = None, **kwargs):
    """Walk the journey and press "Book this time"; returns the response to that POST."""
    from tests.support.helpers import csrf_token

    check = walk_to_check(client, slot, people, **kwargs)
    assert check.status_code == 200, check.get_data(as_text=True)[:2000]
    return client.post("/sampling/check", data={"csrf_token": csrf_token(check.get_data(as_text=True))},
                       headers=kwargs.get("headers") or {})
