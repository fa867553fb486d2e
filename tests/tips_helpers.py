"""Helpers for the tip tests: filling in the report form the way a browser does."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.helpers import get_page

ANSWERS = {
    "child_in_danger": "no",
    "category": "begging_or_exploited",
    "description": "A girl of about 6 was begging outside the station; a man took the money from her.",
    "place": "Chengdu railway station, north square",
    "seen_when": "today about 3pm",
}


def form_fields(client: FlaskClient, url: str = "/tips/report", **kwargs: object) -> dict[str, str]:
    """GET the form page (checked by get_page) and return its hidden fields (CSRF token, submission id)."""
    _, page = get_page(client, url, **kwargs)
    fields = page.forms[0]["fields"]
    return {name: value for name, value in fields.items() if name in ("csrf_token", "submission_id")}


def send_tip(client: FlaskClient, headers: dict | None = None, **answers: str) -> TestResponse:
    """Open the report form, fill it in with ANSWERS overridden by `answers`, and send it (no redirect follow)."""
    hidden = form_fields(client, headers=headers or {})
    data = {**hidden, **ANSWERS, **answers}
    return client.post("/tips/report", data={k: v for k, v in data.items() if v is not None}, headers=headers or {})


def visitor_client(app_factory, **settings: object) -> FlaskClient:
    """A test client whose every request runs in its own app context, as in production.

    The conftest `app` fixture keeps one app context pushed for the whole test, and Flask then
    reuses it for each request, so `g` (where Flask-Babel caches the language) is shared across
    requests. Tests that switch language between requests use this client instead; they still
    take the `app` fixture for empty tables and for database checks.
    """
    return app_factory(**settings).test_client()


def checked_values(html: str, name: str) -> list[str]:
    """The values of the checked radio buttons or checkboxes called `name` in a page."""
    values = []
    for tag in re.findall(r"<input\b[^>]*>", html):
        if f'name="{name}"' in tag and re.search(r"\bchecked\b", tag):
            values.append(re.search(r'value="([^"]*)"', tag).group(1))
    return values
