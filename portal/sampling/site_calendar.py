"""Which days a site opens under China's public holiday calendar, after staff's decisions.

The calendar is `portal.core.public_holidays` (the State Council's schedules, through the
`holidays` library). By default a site is closed on every public day off, and a site that opens
on weekdays opens on each weekend make-up working day (调休) of a published schedule. Staff may
decide otherwise for one day of one site (`SiteDayOverride`): reopen a holiday, close a make-up
day, or open a weekend day as a working day, which is how a make-up day of a year whose schedule
is not published yet is confirmed (none opens by itself).

Which hours a make-up day has: the site's own periods on that weekday when it has any (a site
that opens on Saturdays keeps its Saturday hours); otherwise the periods of the weekday the
make-up day stands for, which the notice gives implicitly by pairing it with one holiday weekday
(2026-02-28, a Saturday, pays back Monday 2026-02-23, so it gets Monday's hours), when the site
opens that weekday; otherwise the site's first weekday (Monday to Friday) with opening periods.

All days are local dates in the site's calendar. Adds nothing to the session.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.core import public_holidays
from portal.core.extensions import db
from portal.core.models import SamplingSite, SiteDayOverride


def overrides(site: SamplingSite, first: date, last: date) -> dict[date, SiteDayOverride]:
    """Staff's decisions for the site's days from `first` to `last` (inclusive), by day."""
    rows = db.session.scalars(select(SiteDayOverride).where(
        SiteDayOverride.site_id == site.id, SiteDayOverride.day >= first, SiteDayOverride.day <= last))
    return {row.day: row for row in rows}


def holiday_closed_days(site: SamplingSite, first: date, last: date) -> set[date]:
    """The days from `first` to `last` (inclusive) the site is closed for the calendar: the public
    days off staff did not reopen, and the days staff closed against it."""
    decided = overrides(site, first, last)
    closed = {day for day in public_holidays.days_off(first, last) if not (day in decided and decided[day].open)}
    return closed | {day for day, row in decided.items() if not row.open}


def _weekdays_open(site: SamplingSite) -> set[int]:
    return {period.weekday for period in site.opening_periods}


def working_weekdays(site: SamplingSite, first: date, last: date) -> dict[date, int]:
    """The weekend days from `first` to `last` (inclusive) on which the site works as on a
    weekday, mapped to the weekday (0 = Monday) whose opening periods it uses (see the module
    docstring): the make-up working days of published schedules that staff did not close, and
    the weekend days staff opened. Empty for a site with no weekday opening periods."""
    open_on = _weekdays_open(site)
    weekdays = sorted(day for day in open_on if day < 5)
    if not weekdays:
        return {}
    decided = overrides(site, first, last)
    stands_for: dict[date, int | None] = {
        day: make_up.works_as for day, make_up in public_holidays.make_up_days(first, last).items()
        if not (day in decided and not decided[day].open)
    }
    for day, row in decided.items():
        if row.open and day.weekday() >= 5 and day not in stands_for:
            stands_for[day] = None
    working: dict[date, int] = {}
    for day, works_as in stands_for.items():
        if day.weekday() in open_on:
            continue  # the site opens that weekend day anyway: its own hours
        working[day] = works_as if works_as is not None and works_as in open_on else weekdays[0]
    return working
