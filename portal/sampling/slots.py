"""Opening slots at sampling sites, and finding the ones a family can still book.

Opening hours and closures are in the site's local time (`SamplingSite.timezone`, an IANA zone
such as Asia/Shanghai); slots are stored as UTC instants. All "day" values here are dates in the
site's local calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.extensions import db
from portal.models import SamplingSite, SiteClosure, Slot, utcnow

# Families need time to travel; a slot starting sooner than this is not offered (nor bookable).
MINIMUM_NOTICE = timedelta(hours=1)
# How far ahead the web journey offers days.
BOOKING_HORIZON_DAYS = 60
# How far ahead slots are opened (the demo: "the coming four weeks"); the worker keeps
# this window filled as days pass.
SLOT_DAYS_AHEAD = 28


def local_day(site: SamplingSite, instant: datetime) -> date:
    """The date of a UTC `instant` in the site's local calendar."""
    return instant.astimezone(ZoneInfo(site.timezone)).date()


def closed_days(site: SamplingSite, first: date, last: date) -> set[date]:
    """The local dates from `first` to `last` (inclusive) on which the site has a closure."""
    closures = db.session.scalars(
        select(SiteClosure).where(
            SiteClosure.site_id == site.id, SiteClosure.starts_on <= last, SiteClosure.ends_on >= first
        )
    )
    days: set[date] = set()
    for closure in closures:
        day = max(closure.starts_on, first)
        while day <= min(closure.ends_on, last):
            days.add(day)
            day += timedelta(days=1)
    return days


def open_slots_ahead(now: datetime | None = None, days: int = SLOT_DAYS_AHEAD) -> int:
    """Make sure every active site has its slots for `days` local days from its local today.

    `now`: a UTC instant (default: now). Idempotent (see `open_slots`); adds to the session, the
    caller commits. Returns how many slots were new.
    """
    now = now or utcnow()
    created = 0
    for site in db.session.scalars(select(SamplingSite).where(SamplingSite.active.is_(True))):
        created += open_slots(site, local_day(site, now), days)
    return created


def open_slots(site: SamplingSite, start: date, days: int) -> int:
    """Create the site's slots for `days` local days from `start` (inclusive); return how many were new.

    Each opening period of each day is cut into `site.slot_minutes`-long slots of
    `site.places_per_slot` places, from opening time on; the last slot ends at or before closing
    time. Days with a SiteClosure get none. Slots that already exist (same site and start) are left
    alone, so running this again creates nothing. Adds to the session; the caller commits.
    """
    if days <= 0:
        return 0
    zone = ZoneInfo(site.timezone)
    last = start + timedelta(days=days - 1)
    length = timedelta(minutes=site.slot_minutes)
    window_start = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    window_end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    existing = set(
        db.session.scalars(
            select(Slot.starts_at).where(
                Slot.site_id == site.id, Slot.starts_at >= window_start, Slot.starts_at < window_end
            )
        )
    )
    closed = closed_days(site, start, last)
    created = 0
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day in closed:
            continue
        for period in site.opening_periods:
            if period.weekday != day.weekday():
                continue
            # Wall-clock arithmetic in the site's zone, then converted: right even across DST changes.
            begins = datetime.combine(day, period.opens_at, tzinfo=zone)
            closes = datetime.combine(day, period.closes_at, tzinfo=zone)
            while begins + length <= closes:
                starts_at = begins.astimezone(timezone.utc)
                if starts_at not in existing:
                    db.session.add(
                        Slot(
                            site_id=site.id,
                            starts_at=starts_at,
                            ends_at=(begins + length).astimezone(timezone.utc),
                            capacity=site.places_per_slot,
                            booked=0,
                        )
                    )
                    existing.add(starts_at)
                    created += 1
                begins += length
    db.session.flush()
    return created


def _bookable_query(site: SamplingSite, now: datetime):  # type: ignore[no-untyped-def]
    return (
        select(Slot)
        .where(
            Slot.site_id == site.id,
            Slot.starts_at >= now + MINIMUM_NOTICE,
            Slot.starts_at < now + timedelta(days=BOOKING_HORIZON_DAYS),
            Slot.booked < Slot.capacity,
        )
        .order_by(Slot.starts_at)
    )


def available_days(site: SamplingSite, now: datetime | None = None) -> list[date]:
    """Local dates, soonest first, on which the site has at least one slot a family can book.

    A bookable slot starts at least MINIMUM_NOTICE after `now` (UTC instant, default: now), within
    BOOKING_HORIZON_DAYS, has a place left, and is not on a closure day. Empty for an inactive site.
    """
    if not site.active:
        return []
    now = now or utcnow()
    days = sorted({local_day(site, slot.starts_at) for slot in db.session.scalars(_bookable_query(site, now))})
    if not days:
        return []
    closed = closed_days(site, days[0], days[-1])
    return [day for day in days if day not in closed]


def slots_for_day(site: SamplingSite, day: date, now: datetime | None = None) -> list[Slot]:
    """The bookable slots (see `available_days`) of one local `day` at the site, earliest first."""
    if not site.active or day in closed_days(site, day, day):
        return []
    now = now or utcnow()
    zone = ZoneInfo(site.timezone)
    begins = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    query = _bookable_query(site, now).where(
        Slot.starts_at >= begins, Slot.starts_at < begins + timedelta(days=1)
    )
    return list(db.session.scalars(query))
