"""Creating and changing staff accounts: the rules an admin page and the command line share.

Accounts are never deleted (the audit trail names them); they are switched off. The last
active admin can be neither switched off nor given another role, so someone can always manage
accounts. Changing a password or switching an account off ends its sessions everywhere.
"""

from __future__ import annotations

from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import SamplingSite, StaffUser
from portal.core.permissions import Role
from portal.staff import totp
from portal.staff.auth import hash_password
from portal.staff.passwords import MIN_PASSWORD_LENGTH, PROBLEMS, password_problem
from portal.core import clock

__all__ = ["AccountError", "LastAdmin", "MIN_PASSWORD_LENGTH", "create_staff_user", "reset_account", "set_active", "set_role"]


class AccountError(ValueError):
    """A staff account cannot be created or changed as asked (the message says why, in English;
    `code` names the rule for translated messages)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class LastAdmin(AccountError):
    """Raised when a change would leave no active admin."""


def _check_password(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem is not None:
        raise AccountError(PROBLEMS[problem][0], problem)


def normalise_username(username: str) -> str:
    """A username as stored and looked up: without surrounding spaces, in lower case (Unicode)."""
    return username.strip().lower()


def create_staff_user(
    username: str,
    password: str,
    role: Role,
    *,
    replace_password: bool = False,
    totp_secret: str | None = None,
) -> StaffUser:
    """Create a staff account (in the current transaction; the caller commits).

    With `replace_password`, an existing account of that name gets the new password and role
    instead (used by the demo data). `totp_secret`: base32, for scripted set-ups; the account is
    then enrolled in two-factor sign-in at once (otherwise it enrols at its first sign-in).
    Raises AccountError for a refused password, a taken name or a malformed secret.
    The username is kept in lower case (`normalise_username`), so names that differ only in
    case are the same account: "Alice" is taken once "alice" exists.
    """
    username = normalise_username(username)
    _check_password(password, username)
    if totp_secret is not None:
        try:
            totp_secret = totp.check_secret(totp_secret)
        except totp.InvalidTotpSecret as exc:
            raise AccountError(str(exc), "totp_secret") from exc
    existing = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if existing is not None:
        if not replace_password:
            raise AccountError(f"an account named {username!r} already exists (upper and lower case count as the same)",
                               "taken")
        existing.password_hash = hash_password(password)
        existing.role = role
        existing.active = True
        existing.session_generation = (existing.session_generation or 0) + 1
        user = existing
    else:
        user = StaffUser(username=username, password_hash=hash_password(password), role=role, active=True,
                         session_generation=0)
        db.session.add(user)
    if totp_secret is not None:
        _enrol(user, totp_secret)
    return user


def _enrol(user: StaffUser, secret: str) -> None:
    user.totp_secret = secret
    user.totp_enrolled_at = clock.now()
    user.totp_last_step = None


def _other_active_admins(user: StaffUser) -> int:
    return db.session.scalar(
        select(func.count()).select_from(StaffUser).where(
            StaffUser.role == Role.ADMIN, StaffUser.active.is_(True), StaffUser.id != user.id
        )
    ) or 0


def _ensure_not_last_admin(user: StaffUser) -> None:
    if user.role == Role.ADMIN and user.active and _other_active_admins(user) == 0:
        raise LastAdmin("this is the last active admin account", "last_admin")


def set_active(user: StaffUser, active: bool) -> None:
    """Switch an account on or off; switching off ends its sessions. Raises LastAdmin for the last admin."""
    if not active:
        _ensure_not_last_admin(user)
        user.session_generation = (user.session_generation or 0) + 1
    user.active = active


def set_role(user: StaffUser, role: Role) -> None:
    """Give an account another role. Raises LastAdmin when it would leave no active admin."""
    if role is not Role.ADMIN:
        _ensure_not_last_admin(user)
    user.role = role


def set_sites(user: StaffUser, site_ids: list[int]) -> tuple[list[int], list[int]]:
    """Give a site-staff account the sampling sites whose bookings it works on (`site_ids`:
    existing site ids; [] for an account of any other role). Returns the site ids before and
    after, each sorted, for the audit record. The caller commits."""
    before = sorted(site.id for site in user.sites)
    wanted = sorted(set(site_ids))
    user.sites = list(db.session.scalars(select(SamplingSite).where(SamplingSite.id.in_(wanted)))) if wanted else []
    return before, sorted(site.id for site in user.sites)


def reset_account(user: StaffUser, new_password: str) -> None:
    """Give an account a new password and a fresh two-factor enrolment (at its next sign-in),
    and end every session it has. Raises AccountError for a refused password."""
    _check_password(new_password, user.username)
    user.password_hash = hash_password(new_password)
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    user.session_generation = (user.session_generation or 0) + 1


def end_other_sessions(user: StaffUser) -> int:
    """Raise the account's session generation so every existing session ends; return the new
    generation (the caller stamps it on the session that asked, and commits)."""
    user.session_generation = (user.session_generation or 0) + 1
    return user.session_generation
