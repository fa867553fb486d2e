"""Staff authentication and the deny-by-default guard on every staff URL."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import cache
from typing import Callable, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import delete, select
from werkzeug.wrappers import Response

from portal.core import clock
from portal.core.extensions import db, login_manager
from portal.core.models import StaffSession, StaffUser, as_utc
from portal.core.permissions import Permission, role_allows
from portal.core.security.crypto import lookup_hash
from portal.core.audit import install_append_only_guard

F = TypeVar("F", bound=Callable)

_hasher = PasswordHasher()
# A real hash of a string nobody types, checked when the username is unknown so that the time
# taken does not reveal which usernames exist. Made once with `_hasher.hash(...)` and kept here as
# a constant: hashing it at import cost every worker a fraction of a second and 64 MiB of memory
# (argon2's memory cost) before it served anything. Verifying it costs what verifying a real
# hash costs only while its parameters are `_hasher`'s: `_dummy_hash` checks that.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$ApTVUFQGz27vJ91lpNcr2A$iCyYwg/4HOK9jr7jV92iZPPe0cH7N/nqfyrOZVuXAz0"


@cache
def _dummy_hash() -> str:
    """The hash checked for unknown usernames: `_DUMMY_HASH`, or, should argon2-cffi's default
    parameters ever differ from the constant's, a hash made once (per process, on first use)
    with the current ones, so unknown and known usernames keep taking the same time."""
    if _hasher.check_needs_rehash(_DUMMY_HASH):
        return _hasher.hash("unused-dummy-password-for-timing")
    return _DUMMY_HASH


def hash_password(password: str) -> str:
    """Return an argon2id hash of `password` (argon2-cffi's default parameters, RFC 9106 low-memory)."""
    return _hasher.hash(password)


def check_password(user: StaffUser | None, password: str) -> bool:
    """True when `password` is `user`'s password. Takes the same time for unknown users (None).

    Re-hashes and stores the hash when argon2's recommended parameters have changed (caller commits).
    """
    stored = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return True


@login_manager.user_loader
def _load_user(user_id: str) -> StaffUser | None:
    try:
        return db.session.get(StaffUser, int(user_id))
    except (TypeError, ValueError):
        return None


# Session keys: the account's session generation when it signed in, the last request time
# (seconds since the epoch, UTC) for idle expiry, and the random token of its server-side row.
SESSION_GENERATION = "staff_generation"
SESSION_LAST_SEEN = "staff_last_seen"
SESSION_TOKEN = "staff_session"  # noqa: S105 - a session key's name, not a secret


def _token_hash(token: str) -> str:
    return lookup_hash(token, "staff-session")


def _current_token_hash() -> str | None:
    token = session.get(SESSION_TOKEN)
    return _token_hash(token) if isinstance(token, str) and token else None


def start_session(user: StaffUser) -> None:
    """Sign `user` in on a fresh session (no fixation), stamped with its generation and the time,
    and recorded on the server (a StaffSession row; the cookie holds its random token). Caller commits."""
    session.clear()
    login_user(user)
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(staff_user_id=user.id, token_hash=_token_hash(token), started_at=clock.now()))
    session[SESSION_TOKEN] = token
    session[SESSION_GENERATION] = user.session_generation
    session[SESSION_LAST_SEEN] = int(clock.now().timestamp())


def end_session() -> None:
    """Sign out: delete this session's server-side row (so a copy of the cookie is signed out
    too), commit, and forget everything in the session. Other sessions of the account go on."""
    token_hash = _current_token_hash()
    if token_hash is not None:
        db.session.execute(delete(StaffSession).where(StaffSession.token_hash == token_hash))
        db.session.commit()
    logout_user()
    session.clear()


def forget_old_sessions(now: datetime, max_hours: int) -> int:
    """Delete the server-side records of sessions started more than `max_hours` before `now` (a
    UTC instant): they can no longer be used (see `_session_is_stale`), and sessions that ended
    by idling or by "sign out everywhere" leave their rows behind. Returns how many; caller commits."""
    result = db.session.execute(delete(StaffSession).where(StaffSession.started_at < now - timedelta(hours=max_hours)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # CursorResult


def _session_is_stale(user: StaffUser) -> str | None:
    """Why this signed-in session must end ("ended" or "idle"), or None when it may go on."""
    if session.get(SESSION_GENERATION) != user.session_generation:
        return "ended"
    token_hash = _current_token_hash()
    started_at = db.session.scalar(
        select(StaffSession.started_at).where(StaffSession.token_hash == token_hash,
                                              StaffSession.staff_user_id == user.id)) if token_hash else None
    if started_at is None:
        return "ended"  # signed out (perhaps in another copy of this cookie)
    max_hours = current_app.config["SETTINGS"].staff_session_max_hours
    if clock.now() - as_utc(started_at) > timedelta(hours=max_hours):
        return "ended"  # however busy, a session lasts at most STAFF_SESSION_MAX_HOURS
    last_seen = session.get(SESSION_LAST_SEEN)
    idle_seconds = current_app.config["SETTINGS"].staff_idle_minutes * 60
    if not isinstance(last_seen, int) or clock.now().timestamp() - last_seen > idle_seconds:
        return "idle"
    return None


def not_activity(view: F) -> F:
    """Mark a staff view that a page asks for by itself (the live urgent alerts' polling), not the
    person: it does not count as activity, so a console left open still ends after
    STAFF_IDLE_MINUTES, and a refused request goes to the login page without coming back to it."""
    view.not_activity = True  # type: ignore[attr-defined]
    return view


def guard_staff_request() -> Response | None:
    """Before every staff request: allow only views that declare a permission the user's role has.

    A view with no declaration is refused to everyone (deny by default). Anonymous visitors are
    sent to the login page; signed-in users without the permission get 403. A session that was
    ended elsewhere ("sign out everywhere", a password reset, the account switched off) or left
    idle longer than STAFF_IDLE_MINUTES (a view marked `not_activity` does not count as doing
    something), or signed out (its server-side row deleted, perhaps
    through a copy of its cookie), is ended here and sent to the login page.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None  # 404/405 handled by Flask
    if getattr(view, "public_staff_view", False):
        return None
    permission: Permission | None = getattr(view, "required_permission", None)
    activity = not getattr(view, "not_activity", False)
    # After signing in, back to what the person asked for, never to a poll's answer.
    back = request.path if activity else None
    if not current_user.is_authenticated or not current_user.is_active:
        if current_user.is_authenticated:
            end_session()  # the account was switched off after it signed in
        return redirect(url_for("staff.login", next=back))
    stale = _session_is_stale(current_user)
    if stale is not None:
        end_session()
        if stale == "idle":
            flash(_("You were signed out because you did nothing for a while. Sign in again to continue."))
        else:
            flash(_("Your session was ended. Sign in again to continue."))
        return redirect(url_for("staff.login", next=back if request.method == "GET" else None))
    if activity:
        session[SESSION_LAST_SEEN] = int(clock.now().timestamp())
    if permission is None or not role_allows(current_user.role, permission):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    """Configure Flask-Login: the login page and strong session protection."""
    login_manager.login_view = "staff.login"
    login_manager.session_protection = "strong"
    install_append_only_guard()
