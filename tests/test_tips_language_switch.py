"""The language switcher returns to the page the visitor was on, and never to another site."""

from __future__ import annotations

import pytest

from tests.helpers import get_page, text_of
from tests.tips_helpers import visitor_client


def test_switching_to_english_sets_the_cookie_and_returns_to_the_tip_form(app, app_factory):
    client = visitor_client(app_factory)
    response = client.get("/language/en?next=/tips/report")
    assert response.status_code == 302
    assert response.headers["Location"] == "/tips/report"
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    assert cookie.startswith("lang=en;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page, parsed = get_page(client, "/tips/report")
    assert parsed.html_lang == "en"
    assert "Is a child in danger right now?" in text_of(page)
    back = client.get("/language/zh?next=/tips/report")
    assert back.headers["Location"] == "/tips/report"
    page, parsed = get_page(client, "/tips/report")
    assert parsed.html_lang == "zh-CN"
    assert "现在是否有儿童正处于危险之中？" in text_of(page)


@pytest.mark.parametrize(
    "target", ["https://evil.example", "//evil.example", "/\\evil.example", "https:/evil.example", "evil.example"]
)
def test_switching_language_never_redirects_to_another_site(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_switcher_link_on_the_tip_form_points_back_to_the_form(client):
    page, _ = get_page(client, "/tips/report")
    assert 'href="/language/en?next=/tips/report"' in page.get_data(as_text=True)
