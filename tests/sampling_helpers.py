"""Helpers for the sampling tests: valid identity numbers and a bookable day."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from stdnum.cn import ric

from portal.extensions import db
from portal.models import SamplingSite, Slot


def resident_id(birth: str = "19800101", serial: str = "001", area: str = "110105") -> str:
    """A valid 18-character resident identity number (GB 11643-1999 check character)."""
    body = f"{area}{birth}{serial}"
    return body + ric.calc_check_digit(body + "0")  # it ignores the last character


def next_weekday(days_ahead: int = 2) -> date:
    """A Monday-to-Friday date at least `days_ahead` days from today (UTC)."""
    day = datetime.now(timezone.utc).date() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def slot_at(site: SamplingSite, day: date, utc_hour: int, utc_minute: int = 0, *, capacity: int = 3) -> Slot:
    """Add and commit a slot at `day` `utc_hour:utc_minute` UTC."""
    starts_at = datetime.combine(day, time(utc_hour, utc_minute), tzinfo=timezone.utc)
    slot = Slot(site=site, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=site.slot_minutes),
                capacity=capacity, booked=0)
    db.session.add(slot)
    db.session.commit()
    return slot
