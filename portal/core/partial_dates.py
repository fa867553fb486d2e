"""Dates as people write them, "as far as you know": a day, a month, a season, a year, a decade or
the early, middle or late part of a decade, perhaps approximate (docs/writing.md#dates-people-give).

What is typed (`1990年5月`, `约1990`, `2001年夏天`, `90年代`, `90年代初`, `May 1990`, `summer 2001`,
`the 1990s`, `early 1990s`...) is read by `parse_partial_date` into a `PartialDate`, which is stored
as its EDTF string: the Library of Congress Extended Date/Time Format, ISO 8601-2
(https://www.loc.gov/standards/datetime/):

    1990-05-17   a day          1990-05   a month       1990   a year
    2001-22      a season       199X      a decade      1990~  approximate (1990-05~, 199X~)
    1990~/1993~  the early part of a decade (1994~/1996~ the middle, 1997~/1999~ the late part)

Seasons are EDTF level 1 codes: 21 spring, 22 summer, 23 autumn, 24 winter. Their days are the
`edtf` library's (spring March to May, summer June to August, autumn September to November) except
winter: the library keeps it inside its year (December only), but "2001年冬天" / "winter 2001" may
mean the first months of 2001 or the winter that starts in December 2001, so a winter spans
1 January 2001 to the end of February 2002, and no other date is refused against it. EDTF has no
approximate season (the library refuses `2001-22~`), and a season already spans three months, so
"约2001年夏天" / "about summer 2001" is kept as the season itself.

The early, middle and late part of a decade (`90年代初`, `上世纪90年代末`, `the mid-1990s`) have no
EDTF code of their own. A decade with a qualifier would say less than the family said (199X~ is
"about the 1990s"), so each is stored as an interval of approximate years, which the `edtf`
library reads as a level 1 interval: the years ending 0 to 3 for the early part, 4 to 6 for the
middle, 7 to 9 for the late part. Each endpoint is approximate (`~`) because "early 1990s" has no
sharp edge; the words shown back are the family's own (1990年代初 · the early 1990s), never the
years of the interval, and the interval's strict bounds (1 January 1990 to 31 December 1993) are
only used to compare dates.

Stored values are read back with the `edtf` library's parser (`from_edtf`), which also gives a
partial date's first and last days (`lower_strict()`, `upper_strict()`). `partial_date_words`
writes one back in the page's language: 1990年5月17日 · 17 May 1990, 1990年代 · the 1990s,
约1990年 · about 1990.
"""

from __future__ import annotations

import functools

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from babel.dates import format_date
from edtf import parse_edtf
from edtf.parser.edtf_exceptions import EDTFParseException
from edtf.parser.parser_classes import Date as EdtfDate
from edtf.parser.parser_classes import Level1Interval, UncertainOrApproximate, Unspecified
from edtf.parser.parser_classes import Season as EdtfSeason

from portal.core.i18n import current_language, format_day, format_plain_date

EARLIEST_YEAR = 1900


class Precision(StrEnum):
    """How much of a date the person knew."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    DECADE = "decade"
    SEASON = "season"
    PART_OF_DECADE = "part_of_decade"


class Season(IntEnum):
    """EDTF level 1 season codes (ISO 8601-2, https://www.loc.gov/standards/datetime/)."""

    SPRING = 21
    SUMMER = 22
    AUTUMN = 23
    WINTER = 24


# The years of a decade that each part covers, by its first year's last digit.
_DECADE_PARTS: dict[int, int] = {0: 3, 4: 6, 7: 9}


class DateRefused(ValueError):
    """What was typed is not a date the portal accepts. `reason` says why:

    - "unreadable": not written in any way `parse_partial_date` knows;
    - "impossible": no such day or month (31 February, month 13);
    - "too_early": before 1900;
    - "future": after today (the local day).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PartialDate:
    """A date known to a day, a month, a season, a year, a decade or a part of a decade, perhaps
    only approximately.

    `year` is the decade's first year for a decade (1990 for the 1990s) and the part's first year
    for a part of a decade (1990 early, 1994 middle, 1997 late); `month` and `day` are None where
    not known; `season` is set for a season only. A part of a decade is always approximate.
    """

    year: int
    month: int | None = None
    day: int | None = None
    precision: Precision = Precision.YEAR
    approximate: bool = False
    season: Season | None = None

    @property
    def edtf(self) -> str:
        """The EDTF string to store: 1990-05-17, 1990-05, 1990, 199X, with ~ when approximate;
        2001-22 for a season; 1990~/1993~ for a part of a decade."""
        if self.precision is Precision.PART_OF_DECADE:
            last = self.year - self.year % 10 + _DECADE_PARTS[self.year % 10]
            return f"{self.year:04d}~/{last:04d}~"
        if self.precision is Precision.SEASON:
            return f"{self.year:04d}-{int(self.season or Season.SPRING)}"
        if self.precision is Precision.DECADE:
            text = f"{self.year // 10:03d}X"
        elif self.precision is Precision.YEAR:
            text = f"{self.year:04d}"
        elif self.precision is Precision.MONTH:
            text = f"{self.year:04d}-{self.month:02d}"
        else:
            text = f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        return text + ("~" if self.approximate else "")

    def earliest(self) -> date:
        """The first day the date can mean (1 January 1990 for 1990 or about 1990), from EDTF's
        lower strict bound; an approximate date is not widened. A winter: 1 January of its year
        (see the module docstring)."""
        if self.season is Season.WINTER:
            return date(self.year, 1, 1)
        return _bounds(self.edtf)[0]

    def latest(self) -> date:
        """The last day the date can mean (31 December 1999 for the 1990s), from EDTF's upper
        strict bound. A winter: the last day of February of the next year."""
        if self.season is Season.WINTER:
            return date(self.year + 1, 3, 1) - timedelta(days=1)
        return _bounds(self.edtf)[1]


# The edtf library parses with a pyparsing grammar: a few milliseconds a value, in the request
# that sends a tip. Stored values repeat (the same days, months and years), so each is parsed once
# per process; the results are read only.
_PARSED_KEPT = 4096


@functools.lru_cache(maxsize=_PARSED_KEPT)
def _parsed(value: str) -> Any:
    """`parse_edtf(value)`, once per value. Raises EDTFParseException like it."""
    return parse_edtf(value)


@functools.lru_cache(maxsize=_PARSED_KEPT)
def _bounds(value: str) -> tuple[date, date]:
    """(first day, last day) of the EDTF `value`, from the library's strict bounds."""
    parsed = _parsed(value)
    lower, upper = parsed.lower_strict(), parsed.upper_strict()
    return date(lower.tm_year, lower.tm_mon, lower.tm_mday), date(upper.tm_year, upper.tm_mon, upper.tm_mday)


# Words that make a date approximate, before or after it (matched on the folded text).
_APPROXIMATE_BEFORE = re.compile(
    r"^(?:大约|大概|约莫|约|approximately|approx\.?|about|around|roughly|circa|ca\.?|c\.?)\s*"
)
_APPROXIMATE_AFTER = re.compile(r"\s*(?:左右|前后)$")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month_name>[a-z]+)\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_NUMERIC_MONTH = r"(?P<month>\d{1,2})"
# Each way of writing a date, with its precision. Decades are a separate case (two digits).
_FORMS: tuple[tuple[re.Pattern[str], Precision], ...] = tuple(
    (re.compile(pattern), precision) for pattern, precision in (
        # 1990年5月17日, 1990年5月17号, 1990-05-17, 1990/5/17, 1990.5.17
        (rf"{_YEAR}\s*年\s*{_NUMERIC_MONTH}\s*月\s*(?P<day>\d{{1,2}})\s*[日号]?", Precision.DAY),
        (rf"{_YEAR}\s*(?P<sep>[-/.])\s*{_NUMERIC_MONTH}\s*(?P=sep)\s*(?P<day>\d{{1,2}})", Precision.DAY),
        # 17 May 1990, May 17, 1990
        (rf"{_DAY}\s+{_MONTH},?\s+{_YEAR}", Precision.DAY),
        (rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}", Precision.DAY),
        # 1990年5月, 1990-05, 1990/5, 1990.5, May 1990
        (rf"{_YEAR}\s*年\s*{_NUMERIC_MONTH}\s*月", Precision.MONTH),
        (rf"{_YEAR}\s*[-/.]\s*{_NUMERIC_MONTH}", Precision.MONTH),
        (rf"{_MONTH},?\s+{_YEAR}", Precision.MONTH),
        # 1990, 1990年
        (rf"{_YEAR}\s*年?", Precision.YEAR),
    )
)
# 1990年代, 90年代, 上世纪90年代, 1990s, the 1990s, the 90s, '90s; each with its part: 90年代初,
# 90年代中期, 上世纪90年代末, early 1990s, the mid-90s, late '90s
_DECADE = re.compile(
    r"(?P<last_century>上个?世纪|20世纪)?\s*(?:(?P<year>\d{4})|(?P<short>\d{2}))\s*年代\s*(?P<part>初期|初|中期|中|末期|末|后期)?"
    r"|(?:the\s+)?(?:(?P<en_part>early|mid|late)(?:\s*-\s*|\s+))?(?:(?P<en_year>\d{4})|'?(?P<en_short>\d{2}))'?s"
)
_PART_FIRST_DIGIT = {"初期": 0, "初": 0, "early": 0, "中期": 4, "中": 4, "mid": 4, "末期": 7, "末": 7, "后期": 7, "late": 7}
_SEASONS = {"春": Season.SPRING, "spring": Season.SPRING, "夏": Season.SUMMER, "summer": Season.SUMMER,
            "秋": Season.AUTUMN, "autumn": Season.AUTUMN, "fall": Season.AUTUMN, "冬": Season.WINTER,
            "winter": Season.WINTER}
# 2001年夏天, 2001年夏, 2001年夏季, summer 2001, summer of 2001, 2001 summer
_SEASON_FORMS = tuple(re.compile(pattern) for pattern in (
    r"(?P<year>\d{4})\s*年\s*(?P<season>[春夏秋冬])\s*[天季]?",
    r"(?P<season>spring|summer|autumn|fall|winter)\s+(?:of\s+)?(?P<year>\d{4})",
    r"(?P<year>\d{4})\s+(?P<season>spring|summer|autumn|fall|winter)",
))
# What `PartialDate.edtf` writes, accepted as typed too (a value shown back as it was stored).
_EDTF_TYPED = re.compile(r"\d{3}X~?|\d{4}(?:-\d{2}(?:-\d{2})?)?~")


def _folded(text: str) -> str:
    """NFKC (full-width digits and punctuation become ASCII), lower case, curly apostrophes
    straightened, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip()


def _decade_year(match: re.Match[str], today: date) -> int | None:
    """The decade's first year, or None when the year does not start a decade (1995年代)."""
    full = match.group("year") or match.group("en_year")
    if full is not None:
        year = int(full)
        return year if year % 10 == 0 else None
    short = int(match.group("short") or match.group("en_short"))
    if short % 10:
        return None
    if match.group("last_century"):
        return 1900 + short
    # 00年代, the 20s: this century when it has begun (the 2020s, from 2020), else the last (the 1990s).
    return 2000 + short if 2000 + short <= today.year else 1900 + short


def _read(text: str, today: date) -> PartialDate:
    """The date written in `text` (folded, without approximate words); raises DateRefused."""
    if _EDTF_TYPED.fullmatch(text.upper()):
        found = from_edtf(text.upper())
        if found is None:
            raise DateRefused("impossible")
        return found
    decade = _DECADE.fullmatch(text)
    if decade is not None:
        year = _decade_year(decade, today)
        if year is None or (decade.group("last_century") and not 1900 <= year < 2000):
            raise DateRefused("unreadable")
        part = decade.group("part") or decade.group("en_part")
        if part is None:
            return PartialDate(year, precision=Precision.DECADE)
        return PartialDate(year + _PART_FIRST_DIGIT[part], precision=Precision.PART_OF_DECADE, approximate=True)
    for season_form in _SEASON_FORMS:
        match = season_form.fullmatch(text)
        if match is not None:
            return PartialDate(int(match.group("year")), precision=Precision.SEASON,
                               season=_SEASONS[match.group("season")])
    for pattern, precision in _FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        if parts.get("month_name") is not None:
            month: int | None = _MONTHS.get(parts["month_name"])
            if month is None:
                raise DateRefused("unreadable")
        else:
            month = int(parts["month"]) if parts.get("month") else None
        day = int(parts["day"]) if parts.get("day") else None
        year = int(parts["year"])
        try:
            date(year, month or 1, day or 1)
        except ValueError as exc:
            raise DateRefused("impossible") from exc
        return PartialDate(year, month, day, precision)
    raise DateRefused("unreadable")


def parse_partial_date(text: str, today: date) -> PartialDate:
    """Read a date typed as far as the person knows it, in Chinese or English.

    Accepts, in full-width or ASCII characters: a day (1990年5月17日, 1990-05-17, 1990/5/17,
    1990.5.17, 17 May 1990, May 17, 1990), a month (1990年5月, 1990-05, 1990-5, May 1990), a
    season (2001年夏天, 2001年春, 2001年秋季, summer 2001, spring of 2001, fall 2001), a year
    (1990, 1990年), a decade (1990年代, 90年代, 00年代, 上世纪90年代, 1990s, the 1990s, the 90s; a
    two-digit decade is this century's once it has begun, else the last century's) and the early,
    middle or late part of a decade (90年代初, 90年代中期, 上世纪90年代末, early 1990s, the
    mid-1990s, late '90s), each approximate with 约, 大约, 大概 or about, around, circa, c. before
    it, or 左右, 前后 after it (a season and a part of a decade stay as they are: see the module
    docstring). The stored EDTF forms (199X, 1990~) are accepted too.

    `today` is the local day (`portal.core.clock.local_today()`). Raises DateRefused with its
    reason: "unreadable", "impossible" (31 February), "too_early" (before 1900) or "future"
    (starting after `today`).
    """
    folded = _folded(text)
    approximate = False
    for marker in (_APPROXIMATE_BEFORE, _APPROXIMATE_AFTER):
        stripped = marker.sub("", folded, count=1)
        if stripped != folded:
            approximate, folded = True, stripped.strip()
    if not folded:
        raise DateRefused("unreadable")
    found = _read(folded, today)
    if approximate and found.precision is not Precision.SEASON:
        found = replace(found, approximate=True)
    if found.year < EARLIEST_YEAR:
        raise DateRefused("too_early")
    if found.earliest() > today:
        raise DateRefused("future")
    return found


def from_edtf(value: str | None) -> PartialDate | None:
    """A stored EDTF value read back with the `edtf` library: None for an empty value or one
    that is not a day, a month, a year or a decade (optionally approximate, `~`), a season
    (2001-21 to 2001-24) or a part of a decade as `PartialDate.edtf` writes it (1990~/1993~)."""
    if not value:
        return None
    try:
        parsed = _parsed(value.strip())
    except EDTFParseException:
        return None
    if isinstance(parsed, Level1Interval):
        return _part_of_decade(value.strip())
    if type(parsed) is EdtfSeason:
        season = int(parsed.season)
        if season not in {member.value for member in Season}:
            return None
        return PartialDate(int(parsed.year), precision=Precision.SEASON, season=Season(season))
    approximate = False
    if isinstance(parsed, UncertainOrApproximate) and parsed.is_approximate and not parsed.is_uncertain:
        approximate, parsed = True, parsed.date
    if isinstance(parsed, Unspecified) and parsed.precision == "decade" and not parsed.month:
        # 199X (and 199X~, which the parser keeps on the Unspecified itself).
        decade = str(parsed.year)
        if not re.fullmatch(r"\d{3}X", decade):
            return None
        return PartialDate(int(decade[:3]) * 10, precision=Precision.DECADE,
                           approximate=approximate or bool(parsed.is_approximate))
    if type(parsed) is not EdtfDate:
        return None
    try:
        year = int(parsed.year)
        month = int(parsed.month) if parsed.month else None
        day = int(parsed.day) if parsed.day else None
    except (TypeError, ValueError):  # unspecified digits such as 19XX or 1990-XX
        return None
    precision = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
    return PartialDate(year, month, day, precision, approximate)


def _part_of_decade(value: str) -> PartialDate | None:
    """The part of a decade stored as `value` (1990~/1993~), or None for any other interval."""
    match = re.fullmatch(r"(\d{4})~/(\d{4})~", value)
    if match is None:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    if first // 10 != last // 10 or _DECADE_PARTS.get(first % 10) != last % 10:
        return None
    return PartialDate(first, precision=Precision.PART_OF_DECADE, approximate=True)


_SEASON_WORDS = {
    Season.SPRING: ("春天", "spring"), Season.SUMMER: ("夏天", "summer"),
    Season.AUTUMN: ("秋天", "autumn"), Season.WINTER: ("冬天", "winter"),
}
_PART_WORDS = {0: ("初", "the early {decade}s"), 4: ("中期", "the mid-{decade}s"), 7: ("末", "the late {decade}s")}


def partial_date_words(value: str | None, language: str | None = None, *, weekday: bool = False) -> str:
    """A stored date (EDTF, or as typed before dates were stored as EDTF) in words, in the page's
    language: 1990年5月17日 · 17 May 1990, 1990年5月 · May 1990, 2001年夏天 · summer 2001,
    1990年 · 1990, 1990年代 · the 1990s, 1990年代初 · the early 1990s (1990年代中期 · the
    mid-1990s, 1990年代末 · the late 1990s), 约1990年 · about 1990. `weekday`: an exact day with its weekday too (2026年11月3日
    （星期二） · Tuesday 3 November 2026). "" for no value; a value it cannot read, as stored."""
    language = language or current_language()
    found = from_edtf(value)
    if found is None and value:
        try:
            found = _read(_folded(value), date.today())
        except DateRefused:
            return value
    if found is None:
        return ""
    if found.precision is Precision.DAY:
        day = date(found.year, found.month or 1, found.day or 1)
        words = format_day(day, language) if weekday else format_plain_date(day, language)
    elif found.precision is Precision.MONTH:
        pattern = "y年M月" if language == "zh" else "MMMM y"
        words = format_date(date(found.year, found.month or 1, 1), pattern, locale="zh_Hans_CN" if language == "zh" else "en")
    elif found.precision is Precision.SEASON:
        chinese, english = _SEASON_WORDS[found.season or Season.SPRING]
        words = f"{found.year}年{chinese}" if language == "zh" else f"{english} {found.year}"
    elif found.precision is Precision.YEAR:
        words = f"{found.year}年" if language == "zh" else str(found.year)
    elif found.precision is Precision.PART_OF_DECADE:
        # "Early", "mid" and "late" already say the date is approximate: no 约 / about.
        decade = found.year - found.year % 10
        chinese, english = _PART_WORDS[found.year % 10]
        return f"{decade}年代{chinese}" if language == "zh" else english.format(decade=decade)
    else:
        words = f"{found.year}年代" if language == "zh" else f"the {found.year}s"
    if not found.approximate:
        return words
    return f"约{words}" if language == "zh" else f"about {words}"
