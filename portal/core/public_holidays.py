"""China's public holidays and the weekend make-up working days (调休), from the `holidays` library.

The rules: the State Council's Measures on National Annual Holidays and Commemorative Days
(《全国年节及纪念日放假办法》, last revised by State Council Order No. 795, in force from 1 January
2025) fix the statutory days off: New Year's Day (1 January), the Spring Festival (New Year's
Eve and the first three days of the first lunar month), Qingming (the solar term), Labour Day
(1-2 May), the Dragon Boat Festival (5th day of the 5th lunar month), the Mid-Autumn Festival
(15th day of the 8th lunar month) and National Day (1-3 October). Each year, usually in November,
the General Office of the State Council (国务院办公厅) publishes the next year's schedule
(《关于YYYY年部分节假日安排的通知》): which weekdays are added as days off, and which Saturdays or
Sundays become working days in exchange.

The data: the `holidays` package (vacanza/holidays, MIT; version in `LIBRARY_VERSION`) keeps
every published notice from 2001 on in `holidays.countries.china.ChinaStaticHolidays` (0.109 has
the notices up to the 2026 schedule) and computes the lunar festivals for any year. A year whose
notice the library carries is "published": its days off and make-up working days are the
notice's. A later year is not: only the statutory days computed from the Measures are days off
(the weekday a festival falling on a weekend is made up on is the notice's choice, so it is not
guessed), and no weekend day is a make-up working day. When the State Council publishes a
schedule, upgrading the package (`make lock UPGRADE="-P holidays"`) brings it in
(docs/holidays.md).

All dates here are local calendar days in mainland China; nothing here knows about sites.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib.metadata import version

import holidays
from holidays.countries.china import ChinaStaticHolidays

LIBRARY_VERSION = version("holidays")


@dataclass(frozen=True)
class PublicHoliday:
    """One day off: its date and its name in Simplified Chinese and in English (from the library)."""

    day: date
    name_zh: str
    name_en: str

    def name(self, language: str) -> str:
        """The name in `language` ("zh" or "en"; anything else gets the Chinese)."""
        return self.name_en if language == "en" else self.name_zh


@dataclass(frozen=True)
class MakeUpDay:
    """A Saturday or Sunday that the State Council's schedule makes a working day.

    `works_as` is the weekday (0 = Monday … 4 = Friday) of the holiday it was swapped with, as
    the notice pairs them (the notice's "X月X日（周六）上班" pays back one day of the holiday);
    None when the library lists the day without its pair.
    """

    day: date
    works_as: int | None


def last_published_year() -> int:
    """The last year whose State Council schedule the installed library carries (e.g. 2026)."""
    return max(ChinaStaticHolidays.special_public_holidays)


def is_published(year: int) -> bool:
    """Whether the installed library carries `year`'s State Council schedule."""
    return year <= last_published_year()


def unpublished_years(first: date, last: date) -> list[int]:
    """The years from `first` to `last` (inclusive dates) whose schedule is not published yet."""
    return [year for year in range(first.year, last.year + 1) if not is_published(year)]


@lru_cache(maxsize=32)
def _year_days_off(year: int) -> dict[date, PublicHoliday]:
    # A published year: the notice's days (statutory, made up and swapped). A later one: the
    # statutory days only (observed=False), since the notice picks the weekday a weekend
    # festival is made up on.
    observed = is_published(year)
    chinese = holidays.country_holidays("CN", years=year, observed=observed, language="zh_CN")
    english = holidays.country_holidays("CN", years=year, observed=observed, language="en_US")
    return {day: PublicHoliday(day, name, english.get(day, name)) for day, name in chinese.items()
            if day.year == year}


@lru_cache(maxsize=32)
def _year_make_up_days(year: int) -> dict[date, MakeUpDay]:
    # The notice's pairs (holiday month, day, working month, day[, working year]) of each year
    # whose schedule may move a day of `year` (a January holiday can be paid back in December).
    if not is_published(year):
        return {}
    found: dict[date, MakeUpDay] = {}
    for listed_year in (year, year + 1):
        for pair in ChinaStaticHolidays.special_public_holidays.get(listed_year, ()):
            if len(pair) < 4:
                continue
            to_month, to_day, from_month, from_day, *rest = pair
            worked = date(rest[0] if rest else listed_year, from_month, from_day)
            if worked.year == year and worked.weekday() >= 5:
                found[worked] = MakeUpDay(worked, date(listed_year, to_month, to_day).weekday())
    # Anything else the library knows as a weekend working day, without its pair.
    for worked in holidays.country_holidays("CN", years=year).weekend_workdays:
        if worked.year == year and worked not in found:
            found[worked] = MakeUpDay(worked, None)
    return found


def days_off(first: date, last: date) -> dict[date, PublicHoliday]:
    """The public days off from `first` to `last` (inclusive), by date.

    For a published year, the State Council's schedule; for a later year, the statutory days of
    the Measures (lunar festivals computed by the library). Weekend days are included when they
    are holidays (a site open on Saturdays closes on them too).
    """
    found: dict[date, PublicHoliday] = {}
    for year in range(first.year, last.year + 1):
        found.update({day: holiday for day, holiday in _year_days_off(year).items() if first <= day <= last})
    return found


def make_up_days(first: date, last: date) -> dict[date, MakeUpDay]:
    """The weekend make-up working days (调休) from `first` to `last` (inclusive), by date: only
    those of published schedules. A year not published yet has none until staff confirm one."""
    found: dict[date, MakeUpDay] = {}
    for year in range(first.year, last.year + 1):
        found.update({day: make_up for day, make_up in _year_make_up_days(year).items() if first <= day <= last})
    return found
