"""Helpers for the tip tests: walking the question pages the way a browser does."""

from __future__ import annotations

import io
import re
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.support.helpers import get_page

EN = {"Accept-Language": "en-GB,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}

# One answer set per page, in the order of the journey (Jiangsu → Nantong → Haimen district).
PAGES: list[tuple[str, dict[str, Any]]] = [
    ("/tips/report", {"child_in_danger": "no"}),
    ("/tips/report/what", {
        "category": "begging_or_exploited",
        "description": "A girl of about 6 was begging outside the station; a man took the money from her.",
    }),
    ("/tips/report/where", {"division": "320000"}),
    ("/tips/report/where/city", {"division": "320600"}),
    ("/tips/report/where/district", {"division": "320614"}),
    ("/tips/report/where/place", {"place": "Haimen bus station, north square"}),
    ("/tips/report/when", {"seen_date": "", "seen_time": "afternoon"}),
    ("/tips/report/who", {"child_age": "about 6", "child_sex": "girl", "vehicle_plate": "苏F 12345"}),
    ("/tips/report/photos", {"action": "continue"}),
    ("/tips/report/contact", {"contact_name": "", "contact_phone": ""}),
]
ANSWERS = {key: value for _url, answers in PAGES for key, value in answers.items()}


def csrf_of(html: str) -> str:
    """The CSRF token of the page's POST form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token in page"
    return match.group(1)


def answer_page(
    client: FlaskClient, url: str, data: dict[str, Any], headers: dict | None = None, files: bool = False
) -> TestResponse:
    """GET a question page (checked by get_page), then POST `data` with its CSRF token (no redirect follow)."""
    response, _ = get_page(client, url, headers=headers or {})
    form = {"csrf_token": csrf_of(response.get_data(as_text=True)), **data}
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if files or url.endswith("/photos"):
        kwargs["content_type"] = "multipart/form-data"
    return client.post(url, data=form, **kwargs)


def fill_journey(client: FlaskClient, headers: dict | None = None, extra: dict | None = None, **overrides: Any) -> None:
    """Answer every question page with ANSWERS, `overrides` replacing answers by field name and
    `extra` ({page url: {field: value}}) adding fields a page has but ANSWERS leaves empty."""
    for url, answers in PAGES:
        data = {key: overrides.get(key, value) for key, value in answers.items()}
        data.update((extra or {}).get(url, {}))
        response = answer_page(client, url, {k: v for k, v in data.items() if v is not None}, headers)
        assert response.status_code == 303, f"{url} gave {response.status_code}: {errors_on(response)}"


def errors_on(response: TestResponse) -> list[str]:
    """The error messages shown beside the fields of a page."""
    return [re.sub(r"<[^>]+>|\s+", " ", m).replace("Error:", "").replace("错误：", "").strip()
            for m in re.findall(r'class="error-message">(.*?)</p>', response.get_data(as_text=True), re.S)]


def send_tip(client: FlaskClient, headers: dict | None = None, extra: dict | None = None, **overrides: Any) -> TestResponse:
    """Answer every page, then press "Send report" on the check page; returns that POST's response."""
    fill_journey(client, headers, extra, **overrides)
    return answer_page(client, "/tips/report/check", {}, headers)


def jpeg_bytes(size: tuple[int, int] = (64, 48), exif: Any = None) -> bytes:
    """A small JPEG, with the given PIL Exif block if any."""
    from PIL import Image

    buffer = io.BytesIO()
    options = {"exif": exif.tobytes()} if exif is not None else {}
    Image.new("RGB", size, (180, 40, 40)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def visitor_client(app_factory, **settings: object) -> FlaskClient:
    """A test client whose every request runs in its own app context, as in production.

    Tests that switch language between requests use this client; they still take the `app`
    fixture for empty tables and for database checks.
    """
    return app_factory(**settings).test_client()


def checked_values(html: str, name: str) -> list[str]:
    """The values of the checked radio buttons or checkboxes called `name` in a page."""
    values = []
    for tag in re.findall(r"<input\b[^>]*>", html):
        if f'name="{name}"' in tag and re.search(r"\bchecked\b", tag):
            values.append(re.search(r'value="([^"]*)"', tag).group(1))
    return values
