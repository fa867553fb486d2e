"""What the sampling pages tell people: what to bring, tailored to who is booking, and what
happens after sampling (docs/product.md#after-sampling: a match is reviewed and confirmed by a second sample)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.core.i18n import format_hours, join_list, weekday_name
from portal.core.models import ApplicantRole, SamplingSite

_BRING: dict[str, list[Any]] = {  # keyed by ApplicantRole, looked up by the stored value
    ApplicantRole.PARENT: [
        _l("The identity document of each person giving a sample."),
        _l("Your police report number or receipt, if you have one."),
        _l("Photos of the person you are looking for, if you have them."),
    ],
    ApplicantRole.RELATIVE: [
        _l("The identity document of each person giving a sample."),
        _l("If a parent of the person you are looking for cannot come, bring some of that parent's personal "
           "belongings, such as a toothbrush, a comb or a razor. Put each in its own paper bag."),
        _l("Your police report number or receipt, if you have one."),
    ],
    ApplicantRole.SEEKING_BIRTH_FAMILY: [
        _l("Your identity document."),
        _l("Anything from your childhood that may help, such as photos or adoption papers."),
    ],
    ApplicantRole.AGENCY: [
        _l("A letter from your agency and your own identity document."),
        _l("The care records of the person you bring, if you have them."),
    ],
}

AFTER_SAMPLING = [
    _l("Taking the sample takes a few minutes. It is free."),
    _l("The sample is compared with the national DNA database of missing people."),
    _l("We contact you only if there is a possible match. A possible match is checked and confirmed with a "
       "second sample before anything is decided."),
]


def what_to_bring(role: str) -> list[str]:
    """The "what to bring" lines for an applicant role (ApplicantRole value), translated."""
    return [str(line) for line in _BRING.get(role, _BRING[ApplicantRole.PARENT])]


def after_sampling() -> list[str]:
    """What happens after sampling, line by line, translated."""
    return [str(line) for line in AFTER_SAMPLING]


def role_hint(role: str) -> str:
    """The short note shown on the journey pages after someone says who is booking."""
    return " ".join(what_to_bring(role))


STATUS_LABELS = {
    "booked": _l("Booked"),
    "cancelled": _l("Cancelled"),
    "checked_in": _l("Checked in"),
    "no_show": _l("Did not come"),
}


def status_label(status: str) -> str:
    """The words for an appointment status, the same on every page (docs/writing.md#one-thing-one-name)."""
    return str(STATUS_LABELS.get(status, status))


def opening_hours(site: SamplingSite) -> list[str]:
    """The site's weekly hours as lines to show, in the current language, as every page (the
    booking journey, the manage pages, the posters) writes them: "Monday to Friday 9:00am–5:00pm"
    when the five weekdays share them, else one line per open weekday ("Saturday 9:00am–midday").
    Times are the site's local wall-clock times. [] when the site has no opening periods."""
    by_day: dict[int, list[str]] = {}
    for period in site.opening_periods:
        by_day.setdefault(period.weekday, []).append(format_hours(period.opens_at, period.closes_at))
    if not by_day:
        return []
    if set(by_day) == set(range(5)) and len({tuple(p) for p in by_day.values()}) == 1:
        return [_("Monday to Friday %(hours)s", hours=join_list(by_day[0]))]
    return [f"{weekday_name(day)} {join_list(periods)}" for day, periods in sorted(by_day.items())]
