"""Shared helpers for the models."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, Enum, Integer
from sqlalchemy.types import TypeDecorator

from portal.core import clock


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC, read from the portal's one clock
    (`portal.core.clock.now`, which tests move). All stored instants are UTC."""
    return clock.now()


def as_utc(value: datetime) -> datetime:
    """Return `value` as an aware UTC datetime (SQLite returns naive datetimes, stored as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC and always returned timezone-aware (SQLite forgets the zone).

    Naive values are refused on write, so local times cannot slip in unconverted.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        """Convert an aware datetime to UTC for storage; refuse a naive one (ValueError)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column; attach a timezone first")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        return None if value is None else as_utc(value)


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [member.value for member in enum_class]


def value_enum(enum_class: type[enum.StrEnum], length: int) -> Enum:
    """A column of `enum_class` members stored as their *values* ('new', 'closed', …) in a plain
    VARCHAR(`length`), exactly the column the migrations create: no CHECK constraint, no native
    ENUM type (SQLAlchemy would otherwise store the member *names*). Rows load as members; a
    `StrEnum` member is its value as a string, so it compares, hashes, prints and serialises as the
    stored text. Strings outside the enumeration are passed through, not refused, on the way in
    (a query filtering on an unknown word still finds nothing), as when the column was a string.
    """
    return Enum(enum_class, native_enum=False, create_constraint=False, length=length,
                values_callable=_values, validate_strings=False)


class IntValueEnum(TypeDecorator):
    """An `IntEnum` stored as its integer value in an INTEGER column, loaded back as the member."""

    impl = Integer
    cache_ok = True

    def __init__(self, enum_class: type[enum.IntEnum]) -> None:
        super().__init__()
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        """Store the member's (or the plain number's) integer value."""
        return None if value is None else int(value)

    def process_result_value(self, value: Any, dialect: Any) -> enum.IntEnum | None:
        """Load the stored number as its member."""
        return None if value is None else self.enum_class(value)
