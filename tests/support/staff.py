"""Test support for the staff console: clients that behave like separate browsers, signing in
(password, then the two-step code), and sampling appointments made directly with the models
(independent of the booking module).

Every staff sign-in in tests goes through `sign_in` (test client) or `sign_in_page` (Chromium),
so that a change to how staff sign in is made here once.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pyotp
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select, update
from werkzeug.test import TestResponse

from portal.core import clock
from portal.core.extensions import db
from portal.core.intake import new_item
from portal.core.models import Appointment, Attendee, Channel, IntakeItem, ItemKind, Slot, StaffUser
from tests.support.factories import STAFF_PASSWORD
from tests.support.helpers import csrf_token


class StaffClient(FlaskClient):
    """A test client that starts every request with an empty `g`, as a real server does.

    The `app` fixture keeps one app context pushed for the whole test, and Flask reuses it for
    test requests, so without this `g` (Flask-Login's current user, Flask-Babel's locale) would
    leak from one request, and one client, to the next.
    """

    def open(self, *args: object, **kwargs: object) -> TestResponse:  # type: ignore[override]
        g.__dict__.clear()
        return super().open(*args, **kwargs)  # type: ignore[arg-type]


def browser(app: Flask) -> StaffClient:
    """A new client with its own cookies, like a separate browser."""
    app.test_client_class = StaffClient
    return app.test_client()  # type: ignore[return-value]


def totp_code(username: str, secret: str | None = None, at: float | None = None) -> str:
    """The current two-step code of `username` (its stored secret unless `secret` is given).

    The account's last used time step is forgotten first: tests sign the same account in
    several times within one 30-second step, which a person never does and the portal refuses
    (a code is good once). `at`: a Unix time to compute the code for (default: `portal.core.clock.now()`, which tests may move).
    """
    db.session.execute(update(StaffUser).where(StaffUser.username == username).values(totp_last_step=None))
    db.session.commit()
    if secret is None:
        db.session.expire_all()
        secret = db.session.scalar(select(StaffUser.totp_secret).where(StaffUser.username == username))
    assert secret, f"staff account {username!r} has no two-step secret"
    return pyotp.TOTP(secret).at(at if at is not None else clock.now().timestamp())


def _second_step_path(response: TestResponse) -> str | None:
    if response.status_code not in (302, 303):
        return None
    location = response.headers.get("Location", "")
    path = urlsplit(location).path
    return location if path in ("/staff/login/code", "/staff/login/enrol") else None


def sign_in(
    client: FlaskClient,
    username: str,
    password: str = STAFF_PASSWORD,
    next_url: str = "",
    *,
    code: str | None = None,
) -> TestResponse:
    """Sign in through the real forms: the password page, then the code (or first-time
    enrolment) page, answered with the account's current code.

    Returns the last response: the password page's when the password was refused (400/429),
    otherwise the code page's (303 to `next_url` or the queue when signed in). `code`: send
    this code instead of the right one (to test refusals).
    """
    url = "/staff/login" + (f"?next={next_url}" if next_url else "")
    page = client.get(url)
    data = {"username": username, "password": password}
    html = page.get_data(as_text=True)
    if 'name="csrf_token"' in html:
        data["csrf_token"] = csrf_token(html)
    response = client.post(url, data=data)
    step_url = _second_step_path(response)
    if step_url is None:
        return response
    step_page = client.get(step_url)
    step_html = step_page.get_data(as_text=True)
    secret = None
    if "/enrol" in step_url:
        match = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', step_html)
        assert match, "the enrolment page shows no key"
        secret = match.group(1).replace(" ", "")
    answer = {"code": code if code is not None else totp_code(username, secret)}
    if 'name="csrf_token"' in step_html:
        answer["csrf_token"] = csrf_token(step_html)
    return client.post(step_url, data=answer)


def sign_in_page(page, base_url: str, username: str, password: str = STAFF_PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Sign in a Playwright `page` through the staff login pages (password, then code), in
    either language; returns once the browser has left the login pages."""
    page.goto(base_url + "/staff/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/staff/login/(code|enrol)"))
    secret = None
    if "/enrol" in page.url:
        secret = page.locator("code.totp-secret").inner_text().replace(" ", "")
    page.fill("input[name=code]", totp_code(username, secret))
    page.locator("main button[type=submit]").click()
    page.wait_for_url(lambda url: "/staff/login" not in url)


def create_appointment(
    slot: Slot,
    *,
    applicant_name: str = "李四",
    applicant_phone: str = "+8613900139000",
    attendee_id_number: str = "11010519491231002X",
) -> IntakeItem:
    """A booked sampling appointment for one attendee at `slot`, committed."""
    item = new_item(ItemKind.APPOINTMENT, Channel.WEB)
    appointment = Appointment(
        item=item,
        slot=slot,
        applicant_role="parent",
        applicant_name=applicant_name,
        applicant_phone=applicant_phone,
        party_size=1,
        consent_given_at=datetime.now(timezone.utc),
    )
    appointment.attendees.append(
        Attendee(name=applicant_name, relationship_to_missing="mother", id_number=attendee_id_number,
                 phone=applicant_phone, is_applicant=True)
    )
    db.session.add(appointment)
    slot.booked += 1
    db.session.commit()
    return item


class MovableClock:
    """`portal.core.clock.now` under a test's control: starts at `start` (UTC) and moves only when told."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by `timedelta(**delta)` and return the new time."""
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)
        return self.now


def control_clock(monkeypatch, start: datetime | None = None) -> MovableClock:  # type: ignore[no-untyped-def]
    """Replace `portal.core.clock.now` for the rest of the test; returns the clock to move."""
    moving = MovableClock(start or datetime.now(timezone.utc))
    monkeypatch.setattr("portal.core.clock.now", moving)
    return moving
