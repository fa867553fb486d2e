"""Public holidays on the site pages (staff with the admin role): what the calendar closes and
opens within each site's booking horizon, staff's decisions for one day of one site, the years
whose schedule is not published yet, and the bookings left on days now closed for a holiday.

The calendar is `portal.core.public_holidays`; how it applies to a site is
`portal.sampling.site_calendar`. A booking made before a day became a holiday (the library was
upgraded with a new schedule, or staff closed a make-up day) is kept as it is and listed here,
never dropped in silence: staff move it, or reopen the day.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Sequence

from sqlalchemy import select

from portal.core import audit, public_holidays
from portal.core.extensions import db
from portal.core.models import Appointment, AppointmentStatus, SamplingSite, SiteDayOverride, Slot, utcnow
from portal.sampling import site_calendar, slots


class DayState(enum.StrEnum):
    """What a day of the calendar is at one site."""

    HOLIDAY_CLOSED = "holiday_closed"  # a public day off: closed
    HOLIDAY_REOPENED = "holiday_reopened"  # a public day off staff reopened
    MAKE_UP_OPEN = "make_up_open"  # a make-up working day of a published schedule: open
    MAKE_UP_CLOSED = "make_up_closed"  # a make-up working day staff closed
    CONFIRMED_OPEN = "confirmed_open"  # a day staff opened that the calendar does not (a make-up day confirmed)
    CLOSED_BY_STAFF = "closed_by_staff"  # an ordinary day staff closed against the calendar


@dataclass(frozen=True)
class CalendarDay:
    """One day of the calendar at one site: its date, the holiday's name (None for a make-up or
    ordinary day), its state, and staff's decision when there is one."""

    day: date
    holiday: public_holidays.PublicHoliday | None
    state: DayState
    decision: SiteDayOverride | None


def horizon_window(site: SamplingSite, now: datetime | None = None) -> tuple[date, date]:
    """The local days (first, last, inclusive) families may book at the site: today to the end of
    its booking horizon. `now`: a UTC instant (default: now)."""
    today = slots.local_day(site, now or utcnow())
    return today, today + timedelta(days=slots.horizon_days(site) - 1)


def calendar_days(site: SamplingSite, now: datetime | None = None) -> list[CalendarDay]:
    """The public days off, make-up working days and staff's decisions within the site's booking
    horizon (`horizon_window`), earliest first."""
    first, last = horizon_window(site, now)
    off = public_holidays.days_off(first, last)
    make_up = public_holidays.make_up_days(first, last)
    decided = site_calendar.overrides(site, first, last)
    found: list[CalendarDay] = []
    for day in sorted(set(off) | set(make_up) | set(decided)):
        decision = decided.get(day)
        if day in off:
            state = DayState.HOLIDAY_REOPENED if decision and decision.open else DayState.HOLIDAY_CLOSED
        elif day in make_up:
            state = DayState.MAKE_UP_CLOSED if decision and not decision.open else DayState.MAKE_UP_OPEN
        else:
            state = DayState.CONFIRMED_OPEN if decision and decision.open else DayState.CLOSED_BY_STAFF
        found.append(CalendarDay(day, off.get(day), state, decision))
    return found


def unpublished_years_ahead(sites: Sequence[SamplingSite], now: datetime | None = None) -> list[int]:
    """The years within any active site's booking horizon whose State Council schedule the
    installed library does not carry yet, in order."""
    years: set[int] = set()
    for site in sites:
        if site.active:
            years.update(public_holidays.unpublished_years(*horizon_window(site, now)))
    return sorted(years)


def stranded_bookings(site: SamplingSite, now: datetime | None = None) -> list[Appointment]:
    """The site's upcoming booked appointments on days it is now closed for a public holiday or by
    a decision of staff (`site_calendar.holiday_closed_days`), earliest first. `now`: UTC."""
    now = now or utcnow()
    upcoming = list(db.session.scalars(
        select(Appointment).join(Slot, Appointment.slot_id == Slot.id)
        .where(Slot.site_id == site.id, Slot.starts_at > now, Appointment.status == AppointmentStatus.BOOKED)
        .order_by(Slot.starts_at)
    ))
    if not upcoming:
        return []
    days = [slots.local_day(site, appointment.slot.starts_at) for appointment in upcoming]
    closed = site_calendar.holiday_closed_days(site, min(days), max(days))
    return [appointment for appointment, day in zip(upcoming, days, strict=True) if day in closed]


class DecisionDoesNotApply(ValueError):
    """A decision for a day the holiday calendar does not touch (`decision_applies`)."""


def decision_applies(site: SamplingSite, day: date, open_: bool) -> bool:
    """Whether staff's decision to open (`open_`) or close the site on local `day` is one the
    holiday calendar gives room for (site_calendar's module docstring): opening a public day off
    (reopen it), a make-up working day (confirm it) or a weekend day the site does not open on by
    its hours (confirm a make-up day of a schedule not published yet); closing a make-up working
    day (skip it), a public day off, or a day staff opened before. Opening an ordinary working day
    changes nothing, and an ordinary day is closed with a closure (`portal.sampling.closures`),
    which tells the families booked (`portal.sampling.site_admin.add_closure`)."""
    if day in public_holidays.days_off(day, day) or day in public_holidays.make_up_days(day, day):
        return True
    if open_:
        return day.weekday() >= 5 and day.weekday() not in {period.weekday for period in site.opening_periods}
    earlier = site_calendar.overrides(site, day, day).get(day)
    return earlier is not None and earlier.open


def decide_day(site: SamplingSite, day: date, open_: bool, reason: str | None, *, actor_id: int,
               now: datetime | None = None) -> SiteDayOverride:
    """Record staff's decision for one local `day` of the site (replacing an earlier one), in the
    caller's transaction, with an audit event (site and day: not personal). Opening a day opens
    its slots when it is within the booking horizon (`slots.open_slots`); closing one keeps its
    bookings, which `stranded_bookings` then lists. Returns the decision. Raises
    DecisionDoesNotApply when `decision_applies` is False (nothing is recorded then)."""
    if not decision_applies(site, day, open_):
        raise DecisionDoesNotApply(day)
    decision = db.session.scalar(select(SiteDayOverride).where(
        SiteDayOverride.site_id == site.id, SiteDayOverride.day == day))
    before = None if decision is None else ("open" if decision.open else "closed")
    if decision is None:
        decision = SiteDayOverride(site_id=site.id, day=day)
        db.session.add(decision)
    decision.open = open_
    decision.reason = reason or None
    decision.decided_by_id = actor_id
    decision.decided_at = now or utcnow()
    db.session.flush()
    audit.record("site_day_decided", actor_id=actor_id, changes={
        "site_id": (site.id, site.id), "closure_days": (day.isoformat(), day.isoformat()),
        "day_open": (before, "open" if open_ else "closed")})
    _open_day(site, day, now)
    return decision


def undo_decision(site: SamplingSite, decision: SiteDayOverride, *, actor_id: int,
                  now: datetime | None = None) -> None:
    """Remove staff's decision for one day, in the caller's transaction: the day follows the
    calendar again (its slots are opened if it now opens). Raises ValueError when the decision
    belongs to another site."""
    if decision.site_id != site.id:
        raise ValueError("the decision belongs to another site")
    day = decision.day
    audit.record("site_day_decision_removed", actor_id=actor_id, changes={
        "site_id": (site.id, site.id), "closure_days": (day.isoformat(), day.isoformat()),
        "day_open": ("open" if decision.open else "closed", None)})
    db.session.delete(decision)
    db.session.flush()
    _open_day(site, day, now)


def _open_day(site: SamplingSite, day: date, now: datetime | None) -> None:
    first, last = horizon_window(site, now)
    if site.active and first <= day <= last:
        slots.open_slots(site, day, 1)
