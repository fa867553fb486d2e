"""Failed sign-ins slow down and then lock, per account name and per client address.

Counting is keyed by an HMAC of the lower-cased username (so unknown names behave exactly like
real ones and nothing reveals which exist) and by an HMAC of the client address (no address is
stored). The rules, with the defaults from settings:

- after 3 failures of an account name, each further attempt must wait 2, 4, 8 … seconds after
  the last failure (the slow-down); attempts during the wait are refused unchecked;
- at `LOGIN_MAX_FAILURES` (5) failures the name is locked for `LOGIN_LOCK_MINUTES` (15);
- at `LOGIN_ADDRESS_MAX_FAILURES` (20) failures from one address, that address is locked too;
- a complete sign-in (password and code) clears the account's count. Counts older than the
  lock time are forgotten.

Every change is made in the database (`failures = failures + 1`, conditional UPDATEs, INSERT …
ON CONFLICT), never read, changed in Python and written back, so parallel attempts cannot lose
counts; and each attempt is counted before its password is checked (`begin_attempt`), so a burst
of parallel guesses gets no more checks than one guess after another.

The time comes from `portal.core.clock`, so tests move it instead of waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import LoginThrottle
from portal.core.models.base import UTCDateTime
from portal.core.security.crypto import lookup_hash

SLOW_DOWN_AFTER = 3
ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused before the password was checked, and until when (UTC)."""

    locked: bool  # True: a lock; False: the slow-down
    until: datetime


def _key(scope: str, value: str) -> str:
    value = value.strip().lower() if scope == ACCOUNT else value
    return lookup_hash(value or "-", f"login-{scope}")


def _settings():  # type: ignore[no-untyped-def]
    return current_app.config["SETTINGS"]


def _where(scope: str, key: str) -> ColumnElement[bool]:
    return (LoginThrottle.scope == scope) & (LoginThrottle.key_hash == key)


def _row(scope: str, value: str) -> LoginThrottle | None:
    return db.session.scalar(select(LoginThrottle).where(_where(scope, _key(scope, value))))


def _forget_if_stale(scope: str, key: str, now: datetime) -> None:
    """Reset a count whose lock has run out, or whose last failure is older than the lock time.

    A conditional UPDATE: under PostgreSQL it re-checks the row after a concurrent change has
    committed, so it never wipes out a failure recorded a moment ago.
    """
    window = timedelta(minutes=_settings().login_lock_minutes)
    expired_lock = LoginThrottle.locked_until.is_not(None) & (LoginThrottle.locked_until <= _at(now))
    old_failures = (LoginThrottle.locked_until.is_(None) & LoginThrottle.last_failure_at.is_not(None)
                    & (LoginThrottle.last_failure_at < _at(now - window)))
    db.session.execute(
        update(LoginThrottle).where(_where(scope, key), expired_lock | old_failures)
        .values(failures=0, locked_until=None, last_failure_at=None)
        .execution_options(synchronize_session=False)
    )


def _at(moment: datetime):  # type: ignore[no-untyped-def]
    return bindparam(None, moment, type_=UTCDateTime())


def _insert_absent(scope: str, key: str) -> None:
    """Create the (scope, key) row with no failures unless it exists (INSERT … ON CONFLICT DO NOTHING)."""
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(
        insert(LoginThrottle).values(scope=scope, key_hash=key, failures=0)
        .on_conflict_do_nothing(index_elements=["scope", "key_hash"])
    )


def refusal(username: str, address: str) -> Refusal | None:
    """A Refusal when the account name or the address is locked or must still wait, else None.

    Reads only (besides forgetting stale counts); `begin_attempt` is the atomic check.
    """
    now = clock.now()
    for scope, value in ((ACCOUNT, username), (ADDRESS, address)):
        _forget_if_stale(scope, _key(scope, value), now)
        row = _row(scope, value)
        if row is None:
            continue
        db.session.refresh(row)
        if row.locked_until is not None:
            return Refusal(locked=True, until=row.locked_until)
        if scope == ACCOUNT and row.failures >= SLOW_DOWN_AFTER and row.last_failure_at is not None:
            wait_until = row.last_failure_at + timedelta(seconds=2 ** (row.failures - SLOW_DOWN_AFTER + 1))
            if wait_until > now:
                return Refusal(locked=False, until=wait_until)
    return None


def begin_attempt(username: str, address: str) -> Refusal | None:
    """Before checking a password or a code: refuse it (a Refusal) or count it (None).

    The account's count is raised *before* the check, by one conditional UPDATE (`failures =
    failures + 1 WHERE failures < LOGIN_MAX_FAILURES AND not locked`), so that however many
    attempts arrive at once, at most LOGIN_MAX_FAILURES are ever checked in a lock window; the
    rest, a right password among them, are refused unchecked. The caller commits at once (so
    parallel requests see the count), then calls `record_failure` or `attempt_succeeded`.
    """
    found = refusal(username, address)
    if found is not None:
        return found
    now = clock.now()
    settings = _settings()
    key = _key(ACCOUNT, username)
    _insert_absent(ACCOUNT, key)
    counted = db.session.execute(
        update(LoginThrottle)
        .where(_where(ACCOUNT, key), LoginThrottle.locked_until.is_(None),
               LoginThrottle.failures < settings.login_max_failures)
        .values(failures=LoginThrottle.failures + 1,
                # A timestamp even before any failure, so that an abandoned attempt is forgotten in time.
                last_failure_at=func.coalesce(LoginThrottle.last_failure_at, _at(now)))
        .execution_options(synchronize_session=False)
    )
    if counted.rowcount == 1:  # type: ignore[attr-defined]  # CursorResult
        return None
    row = _row(ACCOUNT, username)
    if row is not None:
        db.session.refresh(row)
    until = row.locked_until if row is not None and row.locked_until is not None else now + timedelta(
        minutes=settings.login_lock_minutes)
    return Refusal(locked=True, until=until)


def attempt_succeeded(username: str) -> None:
    """Take back the count `begin_attempt` made for a right password (caller commits).

    A complete sign-in (password and code) calls `clear_account` instead.
    """
    db.session.execute(
        update(LoginThrottle).where(_where(ACCOUNT, _key(ACCOUNT, username)), LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
        .execution_options(synchronize_session=False)
    )


def record_failure(username: str, address: str) -> None:
    """A counted attempt failed: stamp it and lock the name at the limit; count it for the address.

    The account's count was already raised by `begin_attempt`; the address's is raised here, with
    `failures = failures + 1` in the database (never read, add, write back). Caller commits.
    """
    now = clock.now()
    settings = _settings()
    lock = _at(now + timedelta(minutes=settings.login_lock_minutes))
    for scope, value, limit in ((ACCOUNT, username, settings.login_max_failures),
                                (ADDRESS, address, settings.login_address_max_failures)):
        key = _key(scope, value)
        _insert_absent(scope, key)
        failures = LoginThrottle.failures + 1 if scope == ADDRESS else LoginThrottle.failures
        db.session.execute(
            update(LoginThrottle).where(_where(scope, key))
            .values(failures=failures, last_failure_at=_at(now),
                    locked_until=case((failures >= limit, lock), else_=LoginThrottle.locked_until))
            .execution_options(synchronize_session=False)
        )


def clear_account(username: str) -> None:
    """Forget the failures of an account name after a complete sign-in (caller commits)."""
    db.session.execute(
        update(LoginThrottle).where(_where(ACCOUNT, _key(ACCOUNT, username)))
        .values(failures=0, last_failure_at=None, locked_until=None)
        .execution_options(synchronize_session=False)
    )
