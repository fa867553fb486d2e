"""Test support for closing a site's days through the staff pages: the preview, then "Confirm
closure" with the values and the fingerprint the preview page carries."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.helpers import post_form


def fingerprint_of(html: str) -> str:
    """The preview's fingerprint, from the hidden field of its confirm form."""
    found = re.search(r'name="fingerprint"[^>]*value="([0-9a-f]*)"', html) or re.search(
        r'value="([0-9a-f]*)"[^>]*name="fingerprint"', html)
    assert found, "the page carries no preview fingerprint"
    return found.group(1)


def preview_then_confirm(client: FlaskClient, url: str, data: dict, **kwargs: object) -> TestResponse:
    """Post `data` to `url` for the preview (asserted shown), then confirm it as the page's
    "Confirm closure" button does; returns the confirmation's response."""
    preview = post_form(client, url, {**data, "action": "preview"}, **kwargs)
    assert preview.status_code == 200, preview.status_code
    fingerprint = fingerprint_of(preview.get_data(as_text=True))
    return post_form(client, url, {**data, "action": "confirm", "fingerprint": fingerprint}, **kwargs)
