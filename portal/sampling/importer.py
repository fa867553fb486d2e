"""Importing lists of sampling sites as police publish them (.xlsx or .csv).

Published lists give what they give: a unit name, a city, weekday hours, a contact person, one or
more phones (office numbers often without their area code, mobiles), rarely an address
(docs/product.md#published-lists-of-sampling-sites). The import keeps those values, completes
what can be completed (an office number's area code, from the site's city: portal.sampling.
site_phones), never overwrites a site that already exists, and reports each row: loaded, already
known, or refused, with what was guessed and what was left out.

Files: .xlsx (the first sheet) or .csv in UTF-8, UTF-8 with a BOM or GBK (tried in that order;
the report says which was used). The header row may sit below a title row; its columns may be
written in English (name, city, province, weekday_hours, …) or in Chinese (单位名称, 所属城市,
省份, 工作时间, …): HEADER_NAMES. A site is identified by (province, name).
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from openpyxl import load_workbook
from sqlalchemy import select

from portal.core.csv_export import FORMULA_STARTS
from portal.core.extensions import db
from portal.core.i18n import join_list
from portal.core.models import OpeningPeriod, SamplingSite
from portal.sampling.site_phones import (
    MAX_PHONES,
    PhoneNotRecognised,
    ReadPhone,
    display_number,
    read_phone,
    set_site_phones,
    split_phones,
)

REQUIRED_COLUMNS = ("name", "city", "province", "weekday_hours")
# Columns a list may leave out when the import is given them for every row (`import_sites`'s
# `province` and `city`: the staff form's fields, the command's --province and --city).
PLACE_COLUMNS = ("province", "city")
# How a refusal names a required column: the Chinese header in Chinese, both in English.
COLUMN_LABELS = {"name": _l("name (单位名称)"), "city": _l("city (所属城市)"), "province": _l("province (省份)"),
                 "weekday_hours": _l("weekday_hours (工作时间)")}
# Each column the import reads, and the headers published lists use for it (compared after
# NFKC folding, in lower case, without spaces or a closing colon).
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("name", "单位名称", "单位", "采血点", "采血点名称", "采血单位", "名称"),
    "city": ("city", "所属城市", "城市", "所在城市", "所属地市", "地市"),
    "province": ("province", "省份", "所属省份", "省"),
    "district": ("district", "区县", "所属区县"),
    "address": ("address", "地址", "详细地址", "采血点地址", "单位地址"),
    "contact_person": ("contact_person", "contact", "联系人"),
    "phone": ("phone", "phones", "联系电话", "电话", "咨询电话", "联系方式", "电话号码"),
    "weekday_hours": ("weekday_hours", "hours", "工作时间", "采血时间", "开放时间", "办公时间"),
    "fee": ("fee", "收费", "费用", "收费标准", "是否收费"),
    "notes": ("notes", "备注", "说明"),
    "source": ("source", "来源", "信息来源"),
}
DEFAULT_SLOT_MINUTES = 20
DEFAULT_PLACES_PER_SLOT = 3
WEEKDAYS = tuple(range(5))  # Monday to Friday: hours published without days are weekday hours
REPORTED_NAME_LENGTH = 200  # a refused row's name is cut to this in the report (the column's length)
HEADER_SEARCH_ROWS = 10  # a title or a date may sit above the header row

_PERIOD = re.compile(r"^(上午|下午|中午)?(\d{1,2})[:.](\d{2})\s*[-~–—―－至到]+\s*(上午|下午)?(\d{1,2})[:.](\d{2})$")
_PERIOD_SEPARATORS = re.compile(r"[,;、/]|(?<=\d)\s+(?=[上下中]午|\d)")
_DAY_NUMBERS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_DAY_RANGE = re.compile(r"^(?:每)?(?:周|星期|礼拜)([一二三四五六日天七])\s*[-~–—―－至到]+\s*(?:周|星期|礼拜)?([一二三四五六日天七])[:：\s]*")
_ONE_DAY = re.compile(r"^(?:每)?(?:周|星期|礼拜)([一二三四五六日天七])(?![至到\-~–—―－])[:：\s]*")
_DAY_WORDS = {"工作日": WEEKDAYS, "法定工作日": WEEKDAYS, "每天": tuple(range(7)), "每日": tuple(range(7))}
# Where a second group of days starts: "周一至周五 9:00-17:00；周六 9:00-12:00" (after a separator,
# or right after the last digit of the hours before it).
_DAY_GROUP = r"(?:每)?(?:周|星期|礼拜)[一二三四五六日天七]|法定工作日|工作日|每天|每日"
_NEXT_DAYS = re.compile(rf"\s*[;,、/]\s*(?={_DAY_GROUP})|(?<=\d)\s*(?={_DAY_GROUP})")
# A note in brackets with no time in it, as in 周一至周五（节假日除外）9:00-17:00: public holidays
# are closed anyway (portal.sampling.site_calendar).
_NOTE = re.compile(r"\([^()\d]*\)")
# Hours written in words: 9点 (9:00), 9点半 (9:30), 9点30分, 9时30分.
_CLOCK_WORDS = re.compile(r"(\d{1,2})[点时](?:(半)|(\d{1,2})分?)?")
# 南通市通州区 → 通州区: a district (区/县/旗) named after its city.
_CITY_DISTRICT = re.compile(r"^.+?[市州盟](.+?[区县旗])$")
_ENCODINGS = (("utf-8-sig", "UTF-8"), ("gb18030", "GBK"))


class SiteFileError(ValueError):
    """The file cannot be read as a list of sites at all (not .xlsx or text in a known encoding,
    or a required column missing). `message`: what to tell staff, translated when shown."""

    def __init__(self, message: object) -> None:
        super().__init__(message)  # kept lazy: translated when shown, in the reader's language
        self.message = message


class RowOutcome(enum.StrEnum):
    """What the import did with one row."""

    LOADED = "loaded"
    ALREADY_KNOWN = "already_known"
    REFUSED = "refused"


@dataclass
class RowReport:
    """One row of the file: its line (the row number in the sheet or the CSV file, the header's
    row counted), the site's name as given, what was done, and notes (translatable texts:
    what was guessed, what was left out, why a row was refused; none for a row loaded whole)."""

    line: int
    name: str
    outcome: RowOutcome
    notes: list[object] = field(default_factory=list)


@dataclass(frozen=True)
class RejectedRow:
    """A row that was not loaded. `line`: its line number in the file (the header is line 1
    when it is the first row); `reason`: translatable."""

    line: int
    reason: object


@dataclass
class ImportResult:
    """What an import did: sites created, rows whose site already existed, a report of every
    row, and how the file was read (`file_kind` "xlsx" or "csv"; `encoding` "UTF-8", "UTF-8
    with BOM" or "GBK" for a CSV file, None for .xlsx)."""

    created: list[SamplingSite] = field(default_factory=list)
    already_present: int = 0
    rows: list[RowReport] = field(default_factory=list)
    file_kind: str = "csv"
    encoding: str | None = None

    @property
    def created_count(self) -> int:
        """How many new sites the import added."""
        return len(self.created)

    @property
    def rejected(self) -> list[RejectedRow]:
        """The refused rows, with the first note as the reason."""
        return [RejectedRow(line=row.line, reason=row.notes[0] if row.notes else "")
                for row in self.rows if row.outcome == RowOutcome.REFUSED]


class _BadRow(ValueError):
    def __init__(self, reason: object) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_weekday_hours(text: str) -> list[tuple[time, time]]:
    """Parse hours like `09:00-17:00`, `9:00—17:00`, `09:00-12:00,14:00-17:30`,
    `上午8:30-12:00 下午2:00-5:30` or `9点到17点半` into (opens, closes) pairs, sorted.

    Full-width characters, Chinese separators and dashes are accepted; 下午 (afternoon) adds 12
    hours to a time before noon. Raises ValueError for anything else, an impossible time, a
    period that does not close after it opens, or overlapping periods.
    """
    folded = unicodedata.normalize("NFKC", text or "").strip()
    folded = _CLOCK_WORDS.sub(lambda m: f"{m.group(1)}:{'30' if m.group(2) else (m.group(3) or '0').zfill(2)}", folded)
    if not folded:
        raise ValueError("no weekday hours")
    periods: list[tuple[time, time]] = []
    for part in _PERIOD_SEPARATORS.split(folded):
        part = part.strip()
        if not part:
            continue
        match = _PERIOD.match(part)
        if not match:
            raise ValueError(f"cannot read hours {part!r} (expected like 09:00-17:00)")
        first_half, h1, m1, second_half, h2, m2 = match.groups()
        hours1, hours2 = int(h1), int(h2)
        if first_half == "下午" and hours1 < 12:
            hours1 += 12
        if (second_half or first_half) == "下午" and hours2 < 12:
            hours2 += 12
        try:
            opens, closes = time(hours1, int(m1)), time(hours2, int(m2))
        except ValueError as exc:
            raise ValueError(f"impossible time in {part!r}") from exc
        if opens >= closes:
            raise ValueError(f"hours {part!r} do not close after they open")
        periods.append((opens, closes))
    if not periods:
        raise ValueError("no weekday hours")
    periods.sort()
    for (_, earlier_close), (later_open, _) in zip(periods, periods[1:], strict=False):
        if later_open < earlier_close:
            raise ValueError(f"hours {folded!r} overlap")
    return periods


def parse_published_hours(text: str) -> tuple[tuple[int, ...], list[tuple[time, time]]]:
    """Parse published hours with their days: "周一至周五 9:00-17:00", "周一至周五9:00—17:00",
    "工作日 08:30-12:00,14:00-17:30", "每天 9:00-12:00", or hours alone ("09:00-17:00", weekday
    hours). Returns (weekdays, periods): weekdays 0 = Monday, periods as parse_weekday_hours.
    Raises ValueError as parse_weekday_hours does.
    """
    folded = unicodedata.normalize("NFKC", text or "").strip()
    days: tuple[int, ...] = WEEKDAYS
    match = _DAY_RANGE.match(folded)
    one_day = _ONE_DAY.match(folded)
    if match:
        first, last = _DAY_NUMBERS[match.group(1)], _DAY_NUMBERS[match.group(2)]
        if first > last:
            raise ValueError(f"days {match.group(0).strip()!r} run backwards")
        days, folded = tuple(range(first, last + 1)), folded[match.end():]
    elif one_day:
        days, folded = (_DAY_NUMBERS[one_day.group(1)],), folded[one_day.end():]
    else:
        for word, word_days in _DAY_WORDS.items():
            if folded.startswith(word):
                days, folded = word_days, folded[len(word):].lstrip(":： ")
                break
    return days, parse_weekday_hours(_NOTE.sub(" ", folded))


def parse_published_week(text: str) -> dict[int, list[tuple[time, time]]]:
    """Parse published hours with one or more groups of days, each read by
    parse_published_hours: "周一至周五 9:00-17:00；周六 9:00-12:00",
    "周一至周五（节假日除外）9:00-17:00", "9点到17点". Returns {weekday: periods}, weekday 0 =
    Monday, periods sorted. Raises ValueError as parse_published_hours does, or when two groups
    give overlapping hours on one day."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    week: dict[int, list[tuple[time, time]]] = {}
    for group in _NEXT_DAYS.split(folded):
        if not group.strip():
            continue
        days, periods = parse_published_hours(group)
        for day in days:
            week.setdefault(day, []).extend(periods)
    if not week:
        raise ValueError("no weekday hours")
    for day, periods in week.items():
        periods.sort()
        for (_, earlier_close), (later_open, _) in zip(periods, periods[1:], strict=False):
            if later_open < earlier_close:
                raise ValueError(f"hours {folded!r} overlap on weekday {day}")
    return week


def district_of(city: str) -> str | None:
    """The district in a published city like 南通市通州区 (→ 通州区); None for a plain city (如皋市)."""
    match = _CITY_DISTRICT.match(city)
    return match.group(1) if match else None


def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone typed into a spreadsheet cell as a number
    return unicodedata.normalize("NFC", str(value)).strip(" \t\r\n\u3000\u00a0")


def _header_key(value: object) -> str | None:
    folded = unicodedata.normalize("NFKC", _clean(value)).lstrip("\ufeff").lower()
    folded = re.sub(r"\s+", "", folded).rstrip(":")
    for column, names in HEADER_NAMES.items():
        if folded in names:
            return column
    return None


def _table_rows(data: bytes, filename: str) -> tuple[list[tuple[int, list[object]]], str, str | None]:
    """The file's rows as (line, cells), its kind ("xlsx" or "csv") and the CSV encoding used."""
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise SiteFileError(_l("The file cannot be opened as an .xlsx spreadsheet. Save it again as .xlsx or .csv.")) from exc
        try:
            sheet = book.worksheets[0]
            rows = [(number, list(cells)) for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)]
        finally:
            book.close()
        return _mark_unsaved_formulas(data, rows), "xlsx", None
    if data.startswith(b"\xef\xbb\xbf"):
        text, encoding = data.decode("utf-8-sig"), "UTF-8 with BOM"
    else:
        for codec, name in _ENCODINGS:
            try:
                text, encoding = data.decode(codec), name
                break
            except UnicodeDecodeError:
                continue
        else:  # pragma: no cover - gb18030 decodes any byte sequence that utf-8 refuses but a few
            raise SiteFileError(_l("The file is not text in UTF-8 or GBK. Save it as .xlsx, or as CSV in UTF-8."))
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    for cells in reader:
        rows.append((reader.line_num, list(cells)))
    return rows, "csv", encoding


class _UnsavedFormula:
    """A cell holding a formula whose value the file does not keep (a workbook written by a
    program, openpyxl among them, that does not calculate): its value cannot be read."""


UNSAVED_FORMULA = _UnsavedFormula()


def _mark_unsaved_formulas(data: bytes, rows: list[tuple[int, list[object]]]) -> list[tuple[int, list[object]]]:
    """`rows` (the saved values) with UNSAVED_FORMULA in each empty cell that holds a formula."""
    if not any(cell is None for _, cells in rows for cell in cells):
        return rows
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        formulas = list(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
    marked = []
    for (number, cells), written in zip(rows, formulas, strict=False):
        marked.append((number, [
            UNSAVED_FORMULA if cell is None and position < len(written) and isinstance(written[position], str)
            and written[position].startswith("=") else cell for position, cell in enumerate(cells)]))
    return marked


def _unescaped(text: str) -> str:
    """A cell's text without the apostrophe a CSV export puts before text a spreadsheet would read
    as a formula (portal.core.csv_export.safe_cell: '=HYPERLINK(…) → =HYPERLINK(…)), so a list
    exported here and imported again names its sites as they are."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def _find_header(rows: list[tuple[int, list[object]]], required: tuple[str, ...] = REQUIRED_COLUMNS
                 ) -> tuple[int, dict[str, int]]:
    """The index of the header row in `rows` and the position of each column it names; raises
    SiteFileError naming the `required` columns none of the first rows has."""
    best: tuple[int, dict[str, int]] = (0, {})
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(cells):
            key = _header_key(cell)
            if key is not None and key not in columns:
                columns[key] = position
        if all(column in columns for column in required):
            return index, columns
        if len(columns) > len(best[1]):
            best = (index, columns)
    absent = [column for column in required if column not in best[1]]
    # Joined when shown, in the reader's language: 所属城市和省份 · city (所属城市) and province (省份).
    named = LazyString(lambda: join_list([str(COLUMN_LABELS[column]) for column in absent]))
    if set(absent) <= set(PLACE_COLUMNS):
        raise SiteFileError(_l("The file has no column for %(columns)s. Name the columns in the first row, or give "
                               "the province and city of all its sites (on the import page, or with --province "
                               "and --city).", columns=named))
    raise SiteFileError(_l("The file has no column for %(columns)s. Name the columns in the first row.",
                           columns=named))


def _phones_of(row: dict[str, str], province: str, city: str, district: str | None,
               notes: list[object]) -> list[ReadPhone]:
    phones: list[ReadPhone] = []
    for text in split_phones(row.get("phone", "")):
        try:
            phone = read_phone(text, province, city, district)
        except PhoneNotRecognised:
            notes.append(_l("Phone “%(text)s” is not a phone number we can read: left out. Add it on the site's page.",
                            text=text))
            continue
        if phone.number in {p.number for p in phones}:
            continue
        if phone.area_code_added:
            notes.append(_l("Phone %(published)s has no area code: completed with %(area)s, the area code of "
                            "%(city)s, as %(number)s.", published=phone.published, area=phone.area_code_added,
                            city=city, number=display_number(phone.number)))
        phones.append(phone)
    if len(phones) > MAX_PHONES:
        notes.append(_l("Only the first %(count)d phones are kept.", count=MAX_PHONES))
    if not phones:
        notes.append(_l("No phone we can read: loaded without one. Add the site's phone on its page."))
    return phones


def column_limits() -> dict[str, int]:
    """The most characters each imported column may hold, read from SamplingSite's columns
    ({"name": 200, "address": 300, "fee": 40, …}); columns stored as unlimited text (notes,
    source) are not listed."""
    limits: dict[str, int] = {}
    for column in HEADER_NAMES:
        table_column = SamplingSite.__table__.columns.get(column)
        length = getattr(table_column.type, "length", None) if table_column is not None else None
        if length:
            limits[column] = length
    return limits


def _check_lengths(row: dict[str, str], headers: dict[str, str]) -> None:
    """Refuse a row with a cell longer than its column holds (PostgreSQL would refuse the whole
    import at the flush; SQLite would store it whole and break every page that shows it)."""
    for column, limit in column_limits().items():
        value = row.get(column, "")
        if len(value) > limit:
            raise _BadRow(_l("“%(column)s” has %(length)d characters; it may have at most %(limit)d: not loaded.",
                             column=headers.get(column, column), length=len(value), limit=limit))


def _site_from_row(row: dict[str, str], timezone: str, notes: list[object],
                   headers: dict[str, str] | None = None) -> SamplingSite:
    name, province, city = row.get("name", ""), row.get("province", ""), row.get("city", "")
    if not name:
        raise _BadRow(_l("No site name: not loaded."))
    if not province:
        raise _BadRow(_l("No province: not loaded."))
    if not city:
        raise _BadRow(_l("No city: not loaded."))
    _check_lengths(row, headers or {})
    try:
        week = parse_published_week(row.get("weekday_hours", ""))
    except ValueError as exc:
        raise _BadRow(_l("Hours “%(hours)s” cannot be read (write them like 周一至周五 9:00-17:00): not loaded.",
                         hours=row.get("weekday_hours", ""))) from exc
    district = row.get("district") or district_of(city)
    site = SamplingSite(
        province=province, name=name, city=city, district=district,
        address=row.get("address") or None, contact_person=row.get("contact_person") or None,
        fee=row.get("fee") or None, notes=row.get("notes") or None, source=row.get("source") or None,
        timezone=timezone, slot_minutes=DEFAULT_SLOT_MINUTES, places_per_slot=DEFAULT_PLACES_PER_SLOT, active=True,
    )
    set_site_phones(site, _phones_of(row, province, city, district, notes))
    for weekday, periods in sorted(week.items()):
        for opens, closes in periods:
            site.opening_periods.append(OpeningPeriod(weekday=weekday, opens_at=opens, closes_at=closes))
    return site


def import_sites(source: str | Path | bytes, *, filename: str = "", timezone: str = "Asia/Shanghai",
                 max_rows: int | None = None, province: str = "", city: str = "") -> ImportResult:
    """Load the sites of a published list into the session: a path, or the file's bytes with its
    `filename` (whose ending tells .xlsx from .csv; a zip archive's first bytes say .xlsx too).

    New sites are added (the caller commits); a row whose (province, name) is already known, in
    the database or earlier in the file, is reported ALREADY_KNOWN and changes nothing, so
    importing the same file again adds nothing. A row without a name, province, city or
    readable hours, or with a cell longer than its column holds (`column_limits`), is REFUSED
    while the good rows are still loaded; a phone that cannot be read
    is left out of its row, which still loads. `timezone`: the IANA zone of the hours. Raises
    SiteFileError when the file cannot be read as a list (unknown format or encoding, a
    required column missing, or no row below the header), or when it lists more than
    `max_rows` sites (None: no limit; the staff page's is SITE_IMPORT_MAX_ROWS), before any row
    is read.

    `province` and `city` (as published: 江苏省, 南通市): the place of every row whose file has no
    such column or leaves the cell empty (published lists often give the city only in their
    title); when given, the file need not have those columns.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        return import_sites(path.read_bytes(), filename=path.name, timezone=timezone, max_rows=max_rows,
                            province=province, city=city)
    table, kind, encoding = _table_rows(source, filename)
    given = {"province": _clean(province), "city": _clean(city)}
    required = tuple(column for column in REQUIRED_COLUMNS if not given.get(column))
    header_index, columns = _find_header(table, required)
    if max_rows is not None:
        listed = sum(1 for _, cells in table[header_index + 1:] if any(_clean(cell) for cell in cells))
        if listed > max_rows:
            raise SiteFileError(_l(
                "The file lists %(count)d sites; one upload may hold at most %(limit)d. Split the list into "
                "files of %(limit)d rows or fewer, or load it on the server with flask import-sites.",
                count=listed, limit=max_rows))
    header_cells = table[header_index][1]
    headers = {column: _clean(header_cells[position]) or column for column, position in columns.items()}
    known = {(province, name) for province, name in db.session.execute(select(SamplingSite.province, SamplingSite.name))}
    result = ImportResult(file_kind=kind, encoding=encoding)
    for line, cells in table[header_index + 1:]:
        present = {column: cells[position] for column, position in columns.items() if position < len(cells)}
        formulas = [column for column, cell in present.items() if cell is UNSAVED_FORMULA]
        row = {column: "" if cell is UNSAVED_FORMULA else _unescaped(_clean(cell)) for column, cell in present.items()}
        if not any(row.values()) and not formulas:
            continue
        if formulas:
            result.rows.append(RowReport(line=line, name=row.get("name", ""), outcome=RowOutcome.REFUSED, notes=[_l(
                "“%(column)s” holds a formula whose value the file does not keep: not loaded. Open the file in "
                "Excel or WPS and save it again, or paste the values only.", column=headers[formulas[0]])]))
            continue
        for column, value in given.items():
            if value and not row.get(column):
                row[column] = value
        notes: list[object] = []
        try:
            site = _site_from_row(row, timezone, notes, headers)
        except _BadRow as exc:
            name = row.get("name", "")
            shown = name if len(name) <= REPORTED_NAME_LENGTH else name[:REPORTED_NAME_LENGTH] + "…"
            result.rows.append(RowReport(line=line, name=shown, outcome=RowOutcome.REFUSED,
                                         notes=[exc.reason]))
            continue
        key = (site.province, site.name)
        if key in known:
            result.already_present += 1
            result.rows.append(RowReport(line=line, name=site.name, outcome=RowOutcome.ALREADY_KNOWN, notes=[
                _l("A site of this name is already known in %(province)s: nothing changed.", province=site.province)]))
            continue
        known.add(key)
        db.session.add(site)
        result.created.append(site)
        result.rows.append(RowReport(line=line, name=site.name, outcome=RowOutcome.LOADED, notes=notes))
    if not result.rows:
        raise SiteFileError(_l("The file names the columns but lists no site below them."))
    db.session.flush()
    return result
