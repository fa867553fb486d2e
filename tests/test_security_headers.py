"""Every public page carries the security headers, is not cached, and runs no inline script."""

from __future__ import annotations

import re

import pytest

from tests.support.helpers import check_page, get_page
from tests.support.tips import send_tip, visitor_client


def public_pages(app) -> list[str]:
    pages = ["/", "/privacy", "/tips/report", "/tips/status", "/sampling/"]
    if "staff.login" in app.view_functions:
        pages.append("/staff/login")
    return pages


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_protective_headers(response) -> None:
    csp = csp_directives(response.headers["Content-Security-Policy"])
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src is not None, "CSP has neither script-src nor default-src"
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'unsafe-inline'" not in csp.get("style-src", csp["default-src"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"  # never a referrer to another site


def test_every_public_page_sends_the_security_headers_and_is_not_cached(client, app):
    for url in public_pages(app):
        response, _ = get_page(client, url)
        assert_protective_headers(response)
        assert "no-store" in response.headers["Cache-Control"], url


def test_the_not_found_page_sends_the_security_headers_and_is_not_cached(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    check_page(response)
    assert_protective_headers(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_the_confirmation_page_is_not_cached(app, app_factory):
    client = visitor_client(app_factory)
    send_tip(client)
    response, _ = get_page(client, "/tips/confirmation")
    assert_protective_headers(response)
    assert "no-store" in response.headers["Cache-Control"]


def test_public_pages_have_no_inline_script_or_style(client, app):
    for url in public_pages(app) + ["/no-such-page"]:
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline <script> on {url}"
        assert not re.search(r"\sstyle=", html), f"style attribute on {url}"
        assert not re.search(r"<style\b", html), f"<style> element on {url}"
        assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {url}"


def test_static_files_may_be_cached(client):
    response = client.get("/static/css/portal.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


@pytest.mark.parametrize("url", ["/tips/report"])
def test_session_cookie_is_http_only_and_same_site_lax(app, app_factory, url):
    client = visitor_client(app_factory)
    response = send_tip(client)
    assert response.status_code == 303
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, "sending a tip did not set the session cookie"
    attributes = [a.strip().lower() for a in cookies[-1].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
