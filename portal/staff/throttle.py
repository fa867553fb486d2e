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

The time comes from `portal.clock`, so tests move it instead of waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import LoginThrottle
from portal.security.crypto import lookup_hash

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


def _row(scope: str, value: str, *, create: bool = False) -> LoginThrottle | None:
    key = _key(scope, value)
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key_hash == key))
    if row is None and create:
        row = LoginThrottle(scope=scope, key_hash=key, failures=0)
        db.session.add(row)
    return row


def _settings():  # type: ignore[no-untyped-def]
    return current_app.config["SETTINGS"]


def _forget_if_stale(row: LoginThrottle, now: datetime) -> None:
    window = timedelta(minutes=_settings().login_lock_minutes)
    if row.locked_until is not None and row.locked_until <= now:
        row.failures, row.locked_until = 0, None
    elif row.locked_until is None and row.last_failure_at is not None and now - row.last_failure_at > window:
        row.failures = 0


def refusal(username: str, address: str) -> Refusal | None:
    """A Refusal when the account name or the address is locked or must still wait, else None."""
    now = clock.now()
    for scope, value in ((ACCOUNT, username), (ADDRESS, address)):
        row = _row(scope, value)
        if row is None:
            continue
        _forget_if_stale(row, now)
        if row.locked_until is not None:
            return Refusal(locked=True, until=row.locked_until)
        if scope == ACCOUNT and row.failures >= SLOW_DOWN_AFTER and row.last_failure_at is not None:
            wait_until = row.last_failure_at + timedelta(seconds=2 ** (row.failures - SLOW_DOWN_AFTER + 1))
            if wait_until > now:
                return Refusal(locked=False, until=wait_until)
    return None


def record_failure(username: str, address: str) -> None:
    """Count a failed password or code for the name and the address; lock at the limits (caller commits)."""
    now = clock.now()
    settings = _settings()
    limits = {ACCOUNT: settings.login_max_failures, ADDRESS: settings.login_address_max_failures}
    for scope, value in ((ACCOUNT, username), (ADDRESS, address)):
        row = _row(scope, value, create=True)
        assert row is not None
        _forget_if_stale(row, now)
        row.failures = (row.failures or 0) + 1
        row.last_failure_at = now
        if row.failures >= limits[scope]:
            row.locked_until = now + timedelta(minutes=settings.login_lock_minutes)


def clear_account(username: str) -> None:
    """Forget the failures of an account name after a complete sign-in (caller commits)."""
    row = _row(ACCOUNT, username)
    if row is not None:
        row.failures, row.last_failure_at, row.locked_until = 0, None, None
