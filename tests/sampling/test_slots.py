"""Opening slots from a site's hours, and offering only the ones a family can still book."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import SiteClosure, Slot, utcnow
from portal.sampling.slots import available_days, open_slots, slots_for_day
from tests.support.factories import create_site
from tests.support.sampling import next_weekday, slot_at

MONDAY = date(2031, 3, 3)  # a Monday, far enough ahead not to be in the past


def slot_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Slot))


def test_an_open_weekday_gets_24_slots_of_20_minutes_from_01_00_to_08_40_utc(app):
    site = create_site()
    assert MONDAY.weekday() == 0

    created = open_slots(site, MONDAY, 1)
    db.session.commit()

    slots = db.session.scalars(select(Slot).order_by(Slot.starts_at)).all()
    assert created == 24 == len(slots)
    assert slots[0].starts_at == datetime(2031, 3, 3, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai
    assert slots[-1].starts_at == datetime(2031, 3, 3, 8, 40, tzinfo=timezone.utc)
    assert slots[-1].ends_at == datetime(2031, 3, 3, 9, 0, tzinfo=timezone.utc)  # closes 17:00
    assert all(s.capacity == 3 and s.booked == 0 for s in slots)
    assert all(b.starts_at - a.starts_at == timedelta(minutes=20) for a, b in zip(slots, slots[1:]))


def test_weekends_and_closure_days_get_no_slots(app):
    site = create_site()
    wednesday = MONDAY + timedelta(days=2)
    db.session.add(SiteClosure(site_id=site.id, starts_on=wednesday, ends_on=wednesday, reason="holiday"))
    db.session.commit()

    created = open_slots(site, MONDAY, 7)
    db.session.commit()

    assert created == 4 * 24
    days = {s.starts_at.date() for s in db.session.scalars(select(Slot))}
    assert wednesday not in days
    assert MONDAY + timedelta(days=5) not in days and MONDAY + timedelta(days=6) not in days


def test_opening_slots_again_creates_none(app):
    site = create_site()
    open_slots(site, MONDAY, 7)
    db.session.commit()

    assert open_slots(site, MONDAY, 14) == 5 * 24  # only the second week is new
    db.session.commit()
    assert open_slots(site, MONDAY, 14) == 0
    assert slot_count() == 10 * 24


def test_a_last_slot_that_would_end_after_closing_is_not_made(app):
    site = create_site(slot_minutes=25)
    assert open_slots(site, MONDAY, 1) == 19  # 19 × 25 min = 7 h 55 min; a 20th would end at 17:20


def test_full_past_and_too_soon_slots_are_not_offered(app):
    site = create_site()
    day = next_weekday()
    free = slot_at(site, day, 1, 0)
    full = slot_at(site, day, 1, 20)
    full.booked = full.capacity
    soon_start = utcnow() + timedelta(minutes=30)
    soon = Slot(site=site, starts_at=soon_start, ends_at=soon_start + timedelta(minutes=20), capacity=3)
    past_start = utcnow() - timedelta(days=1)
    past = Slot(site=site, starts_at=past_start, ends_at=past_start + timedelta(minutes=20), capacity=3)
    db.session.add_all([soon, past])
    db.session.commit()

    assert [s.id for s in slots_for_day(site, day)] == [free.id]
    assert day in available_days(site)


def test_a_closed_or_inactive_site_offers_nothing(app):
    site = create_site()
    day = next_weekday()
    slot_at(site, day, 1, 0)
    db.session.add(SiteClosure(site_id=site.id, starts_on=day, ends_on=day))
    db.session.commit()
    assert slots_for_day(site, day) == [] and available_days(site) == []

    other = create_site(name="如皋市公安局", active=False)
    slot_at(other, day + timedelta(days=7), 1, 0)
    assert available_days(other) == []


def test_days_are_local_dates_in_shanghai(app):
    site = create_site()
    day = next_weekday()
    # 16:30 UTC the day before is 00:30 on `day` in Shanghai.
    late = datetime.combine(day - timedelta(days=1), time(16, 30), tzinfo=timezone.utc)
    db.session.add(Slot(site=site, starts_at=late, ends_at=late + timedelta(minutes=20), capacity=3))
    db.session.commit()
    assert available_days(site) == [day]
    assert len(slots_for_day(site, day)) == 1
