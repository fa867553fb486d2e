"""Dates and ids read from query strings and URLs, limited to what the database can hold.

Every staff page that takes a day (`?from=`, `?day=`) or an id (`?before=`, `/accounts/<id>`)
from a URL reads it here, so that a typed or tampered value is either a usable value or None
(the caller ignores it or answers 404), never an overflow deep in a query (a 500).

- Ids are the primary keys of `Integer` columns: PostgreSQL's `integer` holds 1 to 2**31 - 1.
- Days are limited to the years 1900 to 2999: every local day then still has a day before and
  after it, and converting its midnight between time zones cannot leave Python's date range.
"""

from __future__ import annotations

from datetime import date

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # PostgreSQL `integer`
MIN_INT, MAX_INT = -(2**31), 2**31 - 1
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def in_int_range(value: int) -> bool:
    """True when `value` fits a database `Integer` column (32-bit signed)."""
    return MIN_INT <= value <= MAX_INT


def query_id(raw: str | None) -> int | None:
    """The id in `raw` (ASCII digits only) when it is 1 … MAX_ID, else None."""
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def in_day_range(day: date) -> bool:
    """True when `day` lies between FIRST_DAY and LAST_DAY (inclusive)."""
    return FIRST_DAY <= day <= LAST_DAY


def query_date(raw: str | None) -> date | None:
    """The day in `raw` (ISO 8601, `YYYY-MM-DD`) when it lies between FIRST_DAY and LAST_DAY, else None."""
    if not raw or not raw.isascii() or len(raw) != 10:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if in_day_range(day) else None


class IdConverter(IntegerConverter):
    """The `int` URL converter limited to 0 … MAX_ID, so `/accounts/99999999999999999999` is a 404.

    Installed in place of Werkzeug's `int` converter for the whole app (every `<int:…>` in a URL
    is a database id or a small number). ASCII digits only, as in `query_id`: Werkzeug's `\\d+`
    would also take other scripts' digits, reading `/accounts/１` (full width) as account 1.
    """

    regex = r"[0-9]+"

    def __init__(self, map, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
