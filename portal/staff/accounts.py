"""Creating and changing staff accounts."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import StaffUser
from portal.permissions import Role
from portal.staff.auth import hash_password

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A staff account cannot be created or changed as asked (the message says why)."""


def create_staff_user(username: str, password: str, role: Role, *, replace_password: bool = False) -> StaffUser:
    """Create a staff account (in the current transaction; the caller commits).

    With `replace_password`, an existing account of that name gets the new password and role
    instead (used by the demo data). Raises AccountError for a short password or a taken name.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    existing = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if existing is not None:
        if not replace_password:
            raise AccountError(f"an account named {username!r} already exists")
        existing.password_hash = hash_password(password)
        existing.role = role.value
        existing.active = True
        return existing
    user = StaffUser(username=username, password_hash=hash_password(password), role=role.value, active=True)
    db.session.add(user)
    return user
