"""Staff authentication and the deny-by-default guard on every staff URL."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from portal.extensions import db, login_manager
from portal.models import StaffUser
from portal.permissions import Permission, role_allows

_hasher = PasswordHasher()
# A real hash of a random string, checked when the username is unknown so that the time taken
# does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("unused-dummy-password-for-timing")


def hash_password(password: str) -> str:
    """Return an argon2id hash of `password` (argon2-cffi's default parameters, RFC 9106 low-memory)."""
    return _hasher.hash(password)


def check_password(user: StaffUser | None, password: str) -> bool:
    """True when `password` is `user`'s password. Takes the same time for unknown users (None).

    Re-hashes and stores the hash when argon2's recommended parameters have changed (caller commits).
    """
    stored = user.password_hash if user is not None else _DUMMY_HASH
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


def guard_staff_request() -> Response | None:
    """Before every staff request: allow only views that declare a permission the user's role has.

    A view with no declaration is refused to everyone (deny by default). Anonymous visitors are
    sent to the login page; signed-in users without the permission get 403.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None  # 404/405 handled by Flask
    if getattr(view, "public_staff_view", False):
        return None
    permission: Permission | None = getattr(view, "required_permission", None)
    if not current_user.is_authenticated or not current_user.is_active:
        if current_user.is_authenticated:
            logout_user()  # the account was switched off after it signed in
        return redirect(url_for("staff.login", next=request.path))
    if permission is None or not role_allows(current_user.role, permission):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    """Configure Flask-Login: the login page and strong session protection."""
    login_manager.login_view = "staff.login"
    login_manager.session_protection = "strong"
