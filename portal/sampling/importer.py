"""Importing published lists of sampling sites (CSV).

Published lists give what they give: a unit name, a city, weekday hours, a consultation phone
often without its area code, rarely an address (docs/product.md#published-lists-of-sampling-sites).
The import keeps those values as published and never overwrites a site that already exists, so
staff can complete the rest.

CSV columns: name, city, province, weekday_hours, phone, fee, notes, source (UTF-8, a BOM is
accepted). A site is identified by (province, name).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Iterable, TextIO

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import OpeningPeriod, SamplingSite

REQUIRED_COLUMNS = ("name", "city", "province", "weekday_hours")
WEEKDAYS = range(5)  # Monday to Friday: the published hours are weekday hours
DEFAULT_SLOT_MINUTES = 20
DEFAULT_PLACES_PER_SLOT = 3

_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})\s*[-~–—至到]\s*(\d{1,2}):(\d{2})$")
_PERIOD_SEPARATORS = re.compile(r"[,;、/]")
# 南通市通州区 → 通州区: a district (区/县/旗) named after its city.
_CITY_DISTRICT = re.compile(r"^.+?[市州盟](.+?[区县旗])$")


class SiteFileError(ValueError):
    """The file cannot be read as a list of sites at all (for example a required column is missing)."""


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not loaded. `line`: its line number in the file (the header is line 1)."""

    line: int
    reason: str


@dataclass
class ImportResult:
    """What an import did: sites created, rows whose site already existed, rows rejected."""

    created: list[SamplingSite] = field(default_factory=list)
    already_present: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def created_count(self) -> int:
        """How many new sites the import added."""
        return len(self.created)


class _BadRow(ValueError):
    pass


def parse_weekday_hours(text: str) -> list[tuple[time, time]]:
    """Parse published hours like `09:00-17:00` or `09:00-12:00,14:00-17:00` into (opens, closes) pairs.

    Full-width characters and Chinese separators are accepted. Raises ValueError for anything
    else, an impossible time, a period that does not close after it opens, or overlapping periods.
    """
    folded = unicodedata.normalize("NFKC", text or "").strip()
    if not folded:
        raise ValueError("no weekday hours")
    periods: list[tuple[time, time]] = []
    for part in _PERIOD_SEPARATORS.split(folded):
        match = _PERIOD.match(part.strip())
        if not match:
            raise ValueError(f"cannot read hours {part.strip()!r} (expected like 09:00-17:00)")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            opens, closes = time(h1, m1), time(h2, m2)
        except ValueError as exc:
            raise ValueError(f"impossible time in {part.strip()!r}") from exc
        if opens >= closes:
            raise ValueError(f"hours {part.strip()!r} do not close after they open")
        periods.append((opens, closes))
    periods.sort()
    for (_, earlier_close), (later_open, _) in zip(periods, periods[1:], strict=False):
        if later_open < earlier_close:
            raise ValueError(f"hours {folded!r} overlap")
    return periods


def district_of(city: str) -> str | None:
    """The district in a published city like 南通市通州区 (→ 通州区); None for a plain city (如皋市)."""
    match = _CITY_DISTRICT.match(city)
    return match.group(1) if match else None


def _clean(value: str | None) -> str:
    return unicodedata.normalize("NFC", value or "").strip(" \t\r\n\u3000\u00a0")


def _site_from_row(row: dict[str, str | None], timezone: str) -> SamplingSite:
    name, province, city = _clean(row.get("name")), _clean(row.get("province")), _clean(row.get("city"))
    missing = [column for column, value in (("name", name), ("province", province), ("city", city)) if not value]
    if missing:
        raise _BadRow(f"missing {', '.join(missing)}")
    try:
        periods = parse_weekday_hours(row.get("weekday_hours") or "")
    except ValueError as exc:
        raise _BadRow(str(exc)) from exc
    site = SamplingSite(
        province=province,
        name=name,
        city=city,
        district=district_of(city),
        phone=_clean(row.get("phone")) or None,
        fee=_clean(row.get("fee")) or None,
        notes=_clean(row.get("notes")) or None,
        source=_clean(row.get("source")) or None,
        timezone=timezone,
        slot_minutes=DEFAULT_SLOT_MINUTES,
        places_per_slot=DEFAULT_PLACES_PER_SLOT,
        active=True,
    )
    for weekday in WEEKDAYS:
        for opens, closes in periods:
            site.opening_periods.append(OpeningPeriod(weekday=weekday, opens_at=opens, closes_at=closes))
    return site


def import_sites(source: str | Path | TextIO | Iterable[str], *, timezone: str = "Asia/Shanghai") -> ImportResult:
    """Load the sites of a published CSV list (a path, an open text file or lines) into the session.

    New sites are added (the caller commits); a row whose (province, name) is already known,
    in the database or earlier in the file, is counted in `already_present` and changes nothing.
    Bad rows (missing name, province or city; unreadable hours) are listed in `rejected` with
    their line numbers while the good rows are still loaded. `timezone`: the IANA zone of the
    sites' opening hours. Raises SiteFileError if a required column is missing.
    """
    if isinstance(source, (str, Path)):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return import_sites(handle, timezone=timezone)
    reader = csv.DictReader(source)
    columns = [(_clean(c) or "").lstrip("\ufeff") for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    absent = [column for column in REQUIRED_COLUMNS if column not in columns]
    if absent:
        raise SiteFileError(f"the file has no column {', '.join(absent)} (expected {', '.join(REQUIRED_COLUMNS)})")

    known = {(province, name) for province, name in db.session.execute(select(SamplingSite.province, SamplingSite.name))}
    result = ImportResult()
    for row in reader:
        # The line the row ends on: its own line, blank lines skipped (a quoted field may span lines).
        line = reader.line_num
        try:
            site = _site_from_row(row, timezone)
        except _BadRow as exc:
            result.rejected.append(RejectedRow(line=line, reason=str(exc)))
            continue
        key = (site.province, site.name)
        if key in known:
            result.already_present += 1
            continue
        known.add(key)
        db.session.add(site)
        result.created.append(site)
    db.session.flush()
    return result
