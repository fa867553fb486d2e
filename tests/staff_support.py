"""Test support for the staff console: clients that behave like separate browsers, signing in,
and sampling appointments made directly with the models (independent of the booking module)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, g
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portal.extensions import db
from portal.intake import new_item
from portal.models import Appointment, Attendee, Channel, IntakeItem, ItemKind, Slot
from tests.factories import STAFF_PASSWORD
from tests.helpers import csrf_token


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


def sign_in(client: FlaskClient, username: str, password: str = STAFF_PASSWORD, next_url: str = "") -> TestResponse:
    """Sign in through the real login form (GET for the token, then POST)."""
    url = "/staff/login" + (f"?next={next_url}" if next_url else "")
    page = client.get(url)
    data = {"username": username, "password": password}
    html = page.get_data(as_text=True)
    if 'name="csrf_token"' in html:
        data["csrf_token"] = csrf_token(html)
    return client.post(url, data=data)


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
