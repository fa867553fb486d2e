"""The figures behind the dashboard, the monthly report and their CSV: one definition each.

Days and months are local calendar days in SITE_TIMEZONE. Definitions:

- **received**: items by the local day of `received_at`.
- **open**: items whose status is not `closed`.
- **deadline met / missed** ("answered in time"), by the local month the feedback deadline fell
  in: defined once, for every kind of item, in `portal.triage.deadlines` (a tip: final feedback
  given to the tipster by its deadline; a merged duplicate or spam: never counted). Items whose
  deadline is still ahead without an answer are neither.
- **bookings / attended**, by the month of the slot: appointments not cancelled, and those
  checked in (a sample is taken at check-in).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.triage import deadlines
from portal.core.models import Appointment, Attendee, AppointmentStatus, Channel, IntakeItem, ItemStatus, SamplingSite, Slot, WorkingGroup


def month_bounds(year: int, month: int, tz: str) -> tuple[datetime, datetime]:
    """The first instant of the local month and of the next one, as aware datetimes in `tz`."""
    zone = ZoneInfo(tz)
    start = datetime.combine(date(year, month, 1), time(0), tzinfo=zone)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return start, datetime.combine(following, time(0), tzinfo=zone)


def local_day(instant: datetime, tz: str) -> date:
    """The local calendar day of a UTC instant."""
    return instant.astimezone(ZoneInfo(tz)).date()


def _month_key(instant: datetime, tz: str) -> tuple[int, int]:
    local = instant.astimezone(ZoneInfo(tz))
    return local.year, local.month


def recent_months(now: datetime, tz: str, count: int) -> list[tuple[int, int]]:
    """The last `count` local months up to and including `now`'s, oldest first."""
    year, month = _month_key(now, tz)
    months = []
    for _ in range(count):
        months.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def intake_per_day(now: datetime, tz: str, days: int = 30) -> list[tuple[date, dict[str, int]]]:
    """Items received per local day and channel over the last `days` days (today included)."""
    today = local_day(now, tz)
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, time(0), tzinfo=ZoneInfo(tz))
    counts: dict[date, Counter] = defaultdict(Counter)
    for received, channel in db.session.execute(
        select(IntakeItem.received_at, IntakeItem.channel).where(IntakeItem.received_at >= start)
    ):
        counts[local_day(received, tz)][channel] += 1
    channels = [c.value for c in Channel]
    return [(first + timedelta(days=n), {c: counts[first + timedelta(days=n)][c] for c in channels}) for n in range(days)]


def open_by_status() -> dict[str, int]:
    """How many items are in each open status."""
    rows = dict(db.session.execute(
        select(IntakeItem.status, func.count()).where(IntakeItem.status != ItemStatus.CLOSED).group_by(IntakeItem.status)
    ).all())
    return {s.value: rows.get(s, 0) for s in ItemStatus if s is not ItemStatus.CLOSED}


def deadlines_per_month(now: datetime, tz: str, months: int = 12) -> list[tuple[tuple[int, int], dict[str, int]]]:
    """Deadlines met and missed, by the local month each deadline fell in, for the last `months`."""
    keys = recent_months(now, tz, months)
    start, _end = month_bounds(*keys[0], tz)
    _s, end = month_bounds(*keys[-1], tz)
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for row in deadlines.deadline_rows(start, end, now):
        if row.result:
            counts[_month_key(row.due, tz)][row.result] += 1
    return [(key, {"met": counts[key]["met"], "missed": counts[key]["missed"]}) for key in keys]


def bookings_per_month(now: datetime, tz: str, months: int = 6) -> list[tuple[tuple[int, int], dict[str, int]]]:
    """Sampling bookings (not cancelled) and attendances (checked in), by local month of the slot."""
    keys = recent_months(now, tz, months)
    start, _e = month_bounds(*keys[0], tz)
    _s, end = month_bounds(*keys[-1], tz)
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for starts_at, status in db.session.execute(
        select(Slot.starts_at, Appointment.status).join(Slot, Slot.id == Appointment.slot_id)
        .where(Slot.starts_at >= start, Slot.starts_at < end)
    ):
        if status == AppointmentStatus.CANCELLED:
            continue
        key = _month_key(starts_at, tz)
        counts[key]["booked"] += 1
        if status == AppointmentStatus.CHECKED_IN:
            counts[key]["attended"] += 1
    return [(key, {"booked": counts[key]["booked"], "attended": counts[key]["attended"]}) for key in keys]


@dataclass
class UnitRow:
    """One unit's line in the monthly report."""

    unit: str
    kind: str  # "group", "none" (items with no working group) or "site"
    received: int = 0
    verified_in_time: int = 0
    deadlines_missed: int = 0
    closed: dict[str, int] = field(default_factory=dict)
    bookings: int = 0
    samples_taken: int = 0


def monthly_report(year: int, month: int, now: datetime, tz: str, outcomes: list[str]) -> list[UnitRow]:
    """The month's figures per working group (plus items with none) and per sampling site.

    received: items received in the month; verified_in_time / deadlines_missed: by the month the
    deadline fell in (as on the dashboard); closed: items closed in the month, by outcome;
    bookings / samples_taken: appointments in the month not cancelled / attendees whose sample
    was recorded (tube number), by the month of their slot.
    """
    start, end = month_bounds(year, month, tz)
    groups = list(db.session.scalars(select(WorkingGroup).order_by(WorkingGroup.name)))
    rows: dict[int | None, UnitRow] = {g.id: UnitRow(unit=g.name, kind="group") for g in groups}
    rows[None] = UnitRow(unit="", kind="none")
    for row in rows.values():
        row.closed = {o: 0 for o in outcomes}
    for (group_id,) in db.session.execute(
        select(IntakeItem.working_group_id).where(IntakeItem.received_at >= start, IntakeItem.received_at < end)
    ):
        rows[group_id if group_id in rows else None].received += 1
    for deadline in deadlines.deadline_rows(start, end, now):
        target = rows[deadline.working_group_id if deadline.working_group_id in rows else None]
        if deadline.result == deadlines.MET:
            target.verified_in_time += 1
        elif deadline.result == deadlines.MISSED:
            target.deadlines_missed += 1
    for group_id, outcome in db.session.execute(
        select(IntakeItem.working_group_id, IntakeItem.outcome).where(IntakeItem.closed_at >= start, IntakeItem.closed_at < end)
    ):
        target = rows[group_id if group_id in rows else None]
        if outcome in target.closed:
            target.closed[outcome] += 1
    site_rows: dict[int, UnitRow] = {}
    for site_id, name, status in db.session.execute(
        select(SamplingSite.id, SamplingSite.name, Appointment.status)
        .join(Slot, Slot.site_id == SamplingSite.id).join(Appointment, Appointment.slot_id == Slot.id)
        .where(Slot.starts_at >= start, Slot.starts_at < end)
    ):
        row = site_rows.setdefault(site_id, UnitRow(unit=name, kind="site", closed={o: 0 for o in outcomes}))
        if status != AppointmentStatus.CANCELLED:
            row.bookings += 1
    # Samples are counted per person: a party of two checked in gives two samples once their
    # tube numbers are recorded.
    for site_id, count in db.session.execute(
        select(Slot.site_id, func.count(Attendee.id))
        .join(Appointment, Appointment.slot_id == Slot.id).join(Attendee, Attendee.appointment_id == Appointment.id)
        .where(Slot.starts_at >= start, Slot.starts_at < end, Attendee.sample_taken_at.is_not(None))
        .group_by(Slot.site_id)
    ):
        if site_id in site_rows:
            site_rows[site_id].samples_taken = count
    return [rows[g.id] for g in groups] + [rows[None]] + sorted(site_rows.values(), key=lambda r: r.unit)
