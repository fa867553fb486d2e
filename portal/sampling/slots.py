"""Opening slots at sampling sites, and finding the ones a family can still book.

Opening hours and closures are in the site's local time (`SamplingSite.timezone`, an IANA zone
such as Asia/Shanghai); slots are stored as UTC instants. All "day" values here are dates in the
site's local calendar.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, ClosureStatus, OpeningPeriod, SamplingSite, SiteClosure, Slot, utcnow
from portal.sampling.site_calendar import holiday_closed_days, working_weekdays

# Families need time to travel; a slot starting sooner than this is not offered (nor bookable).
# Each site sets its own (`minimum_notice_minutes`); this is the default of a new site.
MINIMUM_NOTICE = timedelta(hours=1)
# How far ahead families may book: the default of a site's `booking_horizon_days`, and the
# furthest any day page goes.
BOOKING_HORIZON_DAYS = 60
MAX_BOOKING_HORIZON_DAYS = 366
# Slots are opened as far ahead as each site lets families book (its booking horizon), so the
# horizon an admin sets is what the public sees; the worker keeps that window filled as days pass.


def local_day(site: SamplingSite, instant: datetime) -> date:
    """The date of a UTC `instant` in the site's local calendar."""
    return instant.astimezone(ZoneInfo(site.timezone)).date()


def closed_days(site: SamplingSite, first: date, last: date) -> set[date]:
    """The local dates from `first` to `last` (inclusive) on which the site has a confirmed
    closure (a proposed or rejected one closes nothing), or is closed for a public holiday
    (`site_calendar.holiday_closed_days`)."""
    closures = db.session.scalars(
        select(SiteClosure).where(
            SiteClosure.site_id == site.id, SiteClosure.starts_on <= last, SiteClosure.ends_on >= first,
            SiteClosure.status == ClosureStatus.CONFIRMED,
        )
    )
    days: set[date] = set()
    for closure in closures:
        day = max(closure.starts_on, first)
        while day <= min(closure.ends_on, last):
            days.add(day)
            day += timedelta(days=1)
    days |= holiday_closed_days(site, first, last)
    return days


def horizon_days(site: SamplingSite) -> int:
    """How many local days ahead (today included) families may book at this site: its
    `booking_horizon_days`, else BOOKING_HORIZON_DAYS, at most MAX_BOOKING_HORIZON_DAYS."""
    days = site.booking_horizon_days if site.booking_horizon_days is not None else BOOKING_HORIZON_DAYS
    return min(days, MAX_BOOKING_HORIZON_DAYS)


def open_site_slots(site: SamplingSite, now: datetime | None = None, days: int | None = None) -> int:
    """Open the site's slots from its local today (the date of `now`, a UTC instant, default now,
    in the site's zone) to the end of its booking horizon (`horizon_days`), or for `days` local
    days when given. The one way every path opens a site's slots (the import command, the
    worker's jobs, a saved site form). Idempotent (see `open_slots`); adds to the session, the
    caller commits. Returns how many slots were new."""
    now = now or utcnow()
    return open_slots(site, local_day(site, now), days if days is not None else horizon_days(site))


def sites_waiting_for_slots(limit: int) -> list[SamplingSite]:
    """Up to `limit` active sites that have opening periods but no slot at all yet (just
    imported), newest first: the worker opens theirs within seconds (`jobs.open_slots_for_new_sites`)
    rather than the web request that imported them."""
    has_periods = select(OpeningPeriod.id).where(OpeningPeriod.site_id == SamplingSite.id).exists()
    has_slots = select(Slot.id).where(Slot.site_id == SamplingSite.id).exists()
    return list(db.session.scalars(
        select(SamplingSite).where(SamplingSite.active.is_(True), has_periods, ~has_slots)
        .order_by(SamplingSite.id.desc()).limit(limit)))


def open_slots_ahead(now: datetime | None = None, days: int | None = None) -> int:
    """Make sure every active site has its slots from its local today to the end of its booking
    horizon (`horizon_days`), or for `days` local days when given.

    `now`: a UTC instant (default: now). Idempotent (see `open_slots`); adds to the session, the
    caller commits. Returns how many slots were new.
    """
    now = now or utcnow()
    created = 0
    for site in db.session.scalars(select(SamplingSite).where(SamplingSite.active.is_(True))):
        created += open_site_slots(site, now, days)
    return created


def open_slots(site: SamplingSite, start: date, days: int) -> int:
    """Create the site's slots for `days` local days from `start` (inclusive); return how many were new.

    Each opening period of each day is cut into `site.slot_minutes`-long slots of
    `site.places_per_slot` places, from opening time on; the last slot ends at or before closing
    time. Days with a SiteClosure or a public holiday (`closed_days`) get none; a weekend
    make-up working day gets the periods of the weekday it works as
    (`site_calendar.working_weekdays`). Slots that already exist (same site and start) are left
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
    working = working_weekdays(site, start, last)
    created = 0
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day in closed:
            continue
        for period in site.opening_periods:
            if period.weekday != working.get(day, day.weekday()):
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


def minimum_notice(site: SamplingSite) -> timedelta:
    """How long before a slot starts its booking closes, at this site."""
    return timedelta(minutes=site.minimum_notice_minutes if site.minimum_notice_minutes is not None else 60)


def horizon(site: SamplingSite) -> timedelta:
    """How far ahead of now families may book at this site."""
    return timedelta(days=horizon_days(site))


def _bookable_query(site: SamplingSite, now: datetime, places: int = 1):  # type: ignore[no-untyped-def]
    return (
        select(Slot)
        .where(
            Slot.site_id == site.id,
            Slot.starts_at >= now + minimum_notice(site),
            Slot.starts_at < now + horizon(site),
            Slot.booked + places <= Slot.capacity,
        )
        .order_by(Slot.starts_at)
    )


def available_days(site: SamplingSite, now: datetime | None = None, places: int = 1) -> list[date]:
    """Local dates, soonest first, on which the site has at least one slot a family can book.

    A bookable slot starts at least the site's minimum notice after `now` (UTC instant, default:
    now), within its booking horizon, has `places` places left, and is not on a closure day.
    Empty for an inactive site.
    """
    if not site.active:
        return []
    now = now or utcnow()
    days = sorted({local_day(site, slot.starts_at) for slot in db.session.scalars(_bookable_query(site, now, places))})
    if not days:
        return []
    closed = closed_days(site, days[0], days[-1])
    return [day for day in days if day not in closed]


def nearest_open_days(site: SamplingSite, day: date, places: int = 1, *, limit: int = 3,
                      now: datetime | None = None) -> list[date]:
    """The local dates with a bookable slot for `places` people (see `available_days`) nearest to
    the local date `day` (before or after; the later first on a tie), at most `limit`, in
    calendar order. For a family who asked for a day the site is closed."""
    days = available_days(site, now, places)
    nearest = sorted(days, key=lambda other: (abs((other - day).days), other < day))[:limit]
    return sorted(nearest)


def slots_for_day(site: SamplingSite, day: date, now: datetime | None = None, places: int = 1) -> list[Slot]:
    """The bookable slots (see `available_days`) with `places` places left, of one local `day`
    at the site, earliest first."""
    if not site.active or day in closed_days(site, day, day):
        return []
    now = now or utcnow()
    zone = ZoneInfo(site.timezone)
    begins = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    query = _bookable_query(site, now, places).where(
        Slot.starts_at >= begins, Slot.starts_at < begins + timedelta(days=1)
    )
    return list(db.session.scalars(query))


def nearest_free_slots(
    site: SamplingSite, wanted: datetime, places: int, *, limit: int = 6, exclude: int | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """The site's bookable slots with room for `places` people, nearest in time to the UTC
    instant `wanted` first (before or after), at most `limit`; closure days and slot `exclude`
    left out. For the "just taken" page and for families moved by a closure."""
    if not site.active:
        return []
    now = now or utcnow()
    candidates = [slot for slot in db.session.scalars(_bookable_query(site, now, places)) if slot.id != exclude]
    if not candidates:
        return []
    days = [local_day(site, slot.starts_at) for slot in candidates]
    closed = closed_days(site, min(days), max(days))
    open_ones = [slot for slot, day in zip(candidates, days, strict=True) if day not in closed]
    open_ones.sort(key=lambda slot: (abs((slot.starts_at - wanted).total_seconds()), slot.starts_at))
    return sorted(open_ones[:limit], key=lambda slot: slot.starts_at)


def reopen_future_slots(site: SamplingSite, now: datetime | None = None, days: int | None = None) -> int:
    """After a change of opening periods, slot length or places: remove the site's future slots
    that nobody booked and open them again under the new settings. Booked slots are kept as they
    are (their families keep their times). Returns how many slots were opened."""
    now = now or utcnow()
    for slot in db.session.scalars(select(Slot).where(Slot.site_id == site.id, Slot.starts_at > now, Slot.booked == 0)):
        if not _has_appointments(slot.id):
            db.session.delete(slot)
    db.session.flush()
    return open_site_slots(site, now, days)


def _has_appointments(slot_id: int) -> bool:
    return db.session.scalar(select(Appointment.id).where(Appointment.slot_id == slot_id).limit(1)) is not None
