"""The Nu HTML Checker helper catches invalid markup and passes the portal's own pages."""

from __future__ import annotations

import pytest

from tests.support.nu_checker import assert_valid_html, html_errors

pytestmark = pytest.mark.slow


def test_checker_reports_misnested_markup() -> None:
    errors = html_errors('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><p><div></p></body></html>')
    assert any("“p”" in error for error in errors)


def test_start_privacy_and_staff_login_pages_have_no_html_errors(client) -> None:
    for path in ("/", "/privacy", "/staff/login"):
        response = client.get(path)
        assert response.status_code == 200
        assert_valid_html(response.get_data(as_text=True), path)
