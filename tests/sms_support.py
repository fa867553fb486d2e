"""Helpers for tests that hold whole SMS conversations through the signed webhook: an `app` whose
limits a conversation cannot reach, and `send`, one signed SMS and the hotline's reply.

Import the fixture into a test module (`from tests.sms_support import app  # noqa: F401`) to use it
there in place of conftest's `app`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from flask import Flask

from portal.extensions import db
from tests.conftest import _empty_all_tables
from tests.test_sms_hotline import SENDER, signed_post, sms_params


@pytest.fixture
def app(app_factory) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """The test app, with limits a whole conversation cannot reach: the burst limit counts every
    message of a number within a minute, and tests send a conversation's messages at once (the
    burst rule has its own tests in test_sms_hotline.py); the web's public POST limit and the
    limit of refused bookings are raised as well."""
    built = app_factory(sms_burst_per_minute=1000, ratelimit_public_post="1000 per minute",
                        ratelimit_sampling_identity_refusals="1000 per minute")
    with built.app_context():
        _empty_all_tables()
    with built.app_context():
        yield built
        db.session.remove()


def send(client, body: str, sender: str = SENDER, url: str | None = None) -> str:  # type: ignore[no-untyped-def]
    """Send one signed SMS (a new message id each time), signed for `url` when given; return the
    hotline's reply text ("" for none). Asserts the webhook answered 200."""
    params = sms_params(body, sender=sender)
    response = signed_post(client, params, url=url) if url else signed_post(client, params)
    assert response.status_code == 200
    message = ET.fromstring(response.get_data(as_text=True)).find("Message")
    return "" if message is None else (message.text or "")
