"""The benchmark's member of staff: one account, and the one function that signs it in.

Staff sign-in is kept in `sign_in_staff` alone so that a change to the login (two-factor with
TOTP, a second page for the code) is adapted in one place.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import Flask

from bench.browser import Browser, form_inputs, hidden_fields, local_path

LOGIN_PATH = "/staff/login"
QUEUE_PATH = "/staff/queue"
# Names a one-time-code input may have on the login form or on a second page after the password.
_CODE_INPUT = re.compile(r"(totp|otp|code|token)", re.IGNORECASE)


class SignInFailed(RuntimeError):
    """The benchmark's staff account could not sign in (the message says at which step)."""


@dataclass(frozen=True)
class StaffAccount:
    """A staff account's credentials. `totp_secret`: base32, when the account has two-factor."""

    username: str
    password: str
    totp_secret: str | None = None


def create_staff_account(app: Flask) -> StaffAccount:
    """Create a triage officer (sees the whole queue) with a random password; return its credentials.

    Uses the portal's own account function. When accounts get a TOTP secret, return it here
    (read from the new account) so that `sign_in_staff` can compute the code.
    """
    from portal.extensions import db
    from portal.permissions import Role
    from portal.staff.accounts import create_staff_user

    username = f"bench-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(18)
    with app.app_context():
        user = create_staff_user(username, password, Role.TRIAGE_OFFICER)
        db.session.commit()
        totp_secret = getattr(user, "totp_secret", None)
    return StaffAccount(username, password, totp_secret)


def _one_time_code(totp_secret: str) -> str:
    try:
        import pyotp
    except ImportError as exc:  # pragma: no cover - depends on the staff console's requirements
        raise SignInFailed("the account has a TOTP secret but pyotp is not installed") from exc
    return pyotp.TOTP(totp_secret).now()


def _code_field(html: str) -> str | None:
    """The name of the page's one-time-code input, if it has one (not hidden, not the CSRF token)."""
    for attributes in form_inputs(html):
        name = attributes.get("name", "")
        if attributes.get("type") != "hidden" and name and _CODE_INPUT.search(name) and "csrf" not in name:
            return name
    return None


def sign_in_staff(browser: Browser, account: StaffAccount) -> str:
    """Sign `browser` in as `account` through the real login form; return the session's Cookie header.

    GET the login page (cookie, CSRF token), POST the username and password, and, when the login
    asks for a one-time code (on the same form or on the page it leads to), POST the current TOTP
    code computed with pyotp from `account.totp_secret`. Checks that the queue then opens.
    The session is bound to the browser's address and user agent (Flask-Login's strong session
    protection): load that reuses the cookie must send the same X-Forwarded-For and User-Agent.
    Raises SignInFailed.
    """
    page = browser.get(LOGIN_PATH)
    if page.status != 200:
        raise SignInFailed(f"login page answered {page.status}")
    form = {**hidden_fields(page.text), "username": account.username, "password": account.password}
    code_name = _code_field(page.text)
    if code_name and account.totp_secret:
        form[code_name] = _one_time_code(account.totp_secret)
    page = browser.post(LOGIN_PATH, form)
    current = LOGIN_PATH
    # A second step for the code: the login may redirect to it or show it in place.
    for _ in range(3):
        if page.status in (301, 302, 303) and "location" in page.headers:
            current = local_path(page.headers["location"])
            if current.startswith(QUEUE_PATH):
                break
            page = browser.get(current)
            continue
        code_name = _code_field(page.text) if page.status == 200 else None
        if code_name and account.totp_secret:
            action = re.search(r'<form[^>]*action="([^"]*)"', page.text)
            target = local_path(action.group(1)) if action and action.group(1) else current
            page = browser.post(target, {**hidden_fields(page.text), code_name: _one_time_code(account.totp_secret)})
            continue
        break
    queue = browser.get(QUEUE_PATH)
    if queue.status != 200:
        raise SignInFailed(f"after signing in, the queue answered {queue.status} (last step: {page.status})")
    return browser.cookie_header()
