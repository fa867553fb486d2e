"""The benchmark's member of staff: one account, and the one function that signs it in.

Staff sign in in two steps (portal/staff/login.py): the password page, then the page for the
six-digit code of their authenticator app (TOTP, RFC 6238). The benchmark's account is created
already enrolled, with a secret of its own (as `flask create-staff --totp-secret` does), and
`sign_in_staff` computes the current code with pyotp, as the app on a phone would.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import pyotp
from flask import Flask

from bench.browser import Browser, hidden_fields, local_path

LOGIN_PATH = "/staff/login"
CODE_PATH = "/staff/login/code"
QUEUE_PATH = "/staff/queue"


class SignInFailed(RuntimeError):
    """The benchmark's staff account could not sign in (the message says at which step)."""


@dataclass(frozen=True)
class StaffAccount:
    """A staff account's credentials: name, password and TOTP secret (base32)."""

    username: str
    password: str
    totp_secret: str


def create_staff_account(app: Flask) -> StaffAccount:
    """Create a triage officer (sees the whole queue) with a random password, enrolled in two-step
    sign-in with a new TOTP secret, through the portal's own account function; return its credentials."""
    from portal.core.extensions import db
    from portal.core.permissions import Role
    from portal.staff.accounts import create_staff_user
    from portal.staff.totp import new_secret

    username = f"bench-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(18)
    totp_secret = new_secret()
    with app.app_context():
        create_staff_user(username, password, Role.TRIAGE_OFFICER, totp_secret=totp_secret)
        db.session.commit()
    return StaffAccount(username, password, totp_secret)


def _current_code(totp_secret: str) -> str:
    """The code an authenticator app shows now. A code is good once per 30-second step, so a second
    sign-in of the same account within one step waits for the next."""
    totp = pyotp.TOTP(totp_secret)
    step = int(time.time()) // totp.interval
    if _last_step.get(totp_secret) == step:
        time.sleep(totp.interval - time.time() % totp.interval + 0.5)
    _last_step[totp_secret] = int(time.time()) // totp.interval
    return totp.now()


_last_step: dict[str, int] = {}


def sign_in_staff(browser: Browser, account: StaffAccount) -> str:
    """Sign `browser` in as `account` through the real pages; return the session's Cookie header.

    GET the login page (cookie, CSRF token), POST the name and password, expect 303 to the code
    page, GET it, POST the current TOTP code, expect 303 to the queue, and check the queue opens.
    The session is bound to the browser's address and user agent (Flask-Login's strong session
    protection): load that reuses the cookie must send the same X-Forwarded-For and User-Agent.
    Raises SignInFailed naming the step that went wrong.
    """
    page = browser.get(LOGIN_PATH)
    if page.status != 200:
        raise SignInFailed(f"login page answered {page.status}")
    page = browser.post(LOGIN_PATH, {**hidden_fields(page.text), "username": account.username,
                                     "password": account.password})
    target = local_path(page.headers.get("location", ""))
    if page.status != 303 or not target.startswith(CODE_PATH):
        raise SignInFailed(f"the password step answered {page.status} (to {target or 'nowhere'}), not 303 to {CODE_PATH}")
    page = browser.get(target)
    if page.status != 200 or 'name="code"' not in page.text:
        raise SignInFailed(f"the code page answered {page.status} without a code field")
    page = browser.post(target, {**hidden_fields(page.text), "code": _current_code(account.totp_secret)})
    landed = local_path(page.headers.get("location", ""))
    if page.status != 303 or not landed.startswith(QUEUE_PATH):
        raise SignInFailed(f"the code step answered {page.status} (to {landed or 'nowhere'}), not 303 to the queue")
    queue = browser.get(QUEUE_PATH)
    if queue.status != 200:
        raise SignInFailed(f"after signing in, the queue answered {queue.status}")
    return browser.cookie_header()
