"""A site's poster in a real Chromium: the print page, about an A4 sheet wide, in Chinese, passes
axe-core and is saved as a screenshot (test-artifacts/screenshots/poster-print-zh.png) with the
PDF's first page beside it (poster-pdf-zh.png, rendered by poppler's pdftoppm) for people to look at; the English PDF and
the whole deployment's poster too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
from flask import Flask

from portal.core.permissions import Role
from tests.support.browser import ARTIFACTS, assert_accessible, new_page
from tests.support.factories import create_site, create_staff
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow


@pytest.fixture
def app_settings() -> dict[str, object]:
    return {"public_base_url": "https://tuanyuan.example.cn", "sms_hotline_number": "+8613912345678"}


def test_a_site_poster_print_page_and_pdf_in_chinese(app: Flask, live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    site = create_site(name="南通市公安局刑事科学技术研究所", address="江苏省南通市崇川区工农路111号南通市公安局一楼采血室")
    user = create_staff(Role.ADMIN, username="poster.admin")
    page = new_page(browser, "zh", width=900, height=1300)
    sign_in_page(page, live_server, user.username)

    page.goto(f"{live_server}/staff/sampling/sites/{site.id}/poster")
    assert page.locator("h1").inner_text() == "免费采血"
    assert page.locator(".poster-qr img").bounding_box()["width"] >= 250  # type: ignore[index]
    assert_accessible(page, "poster-print-zh")

    for link, name in (("下载中文PDF", "poster-zh"), ("下载英文PDF", "poster-en")):
        with page.expect_download() as download:
            page.click(f"text={link}")
        saved = ARTIFACTS / f"{name}.pdf"
        download.value.save_as(saved)
        assert len(pypdf.PdfReader(saved).pages) == 1, name  # a long name and address still fit one sheet
        _picture(saved, f"poster-pdf-{name.removeprefix('poster-')}")

    create_site(name="如皋市公安局", city="南通市如皋市", phone="0513 8765 4321")
    page.goto(f"{live_server}/staff/sampling/poster")
    assert_accessible(page, "poster-all-sites-print-zh")
    with page.expect_download() as download:
        page.click("text=下载中文PDF")
    download.value.save_as(ARTIFACTS / "poster-all-sites-zh.pdf")
    _picture(ARTIFACTS / "poster-all-sites-zh.pdf", "poster-pdf-all-sites-zh")


# Elements reaching past the right edge of the screen (tag.class, right edge in px), to name the culprit.
WIDER_THAN_SCREEN = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.scrollWidth > e.clientWidth && e.clientWidth > 0)
  .map(e => e.tagName + '.' + e.className + ' ' + e.scrollWidth + '/' + e.clientWidth)"""


def test_a_site_poster_print_page_has_no_sideways_scroll_at_phone_width_in_both_languages(  # type: ignore[no-untyped-def]
        app: Flask, live_server: str, browser) -> None:
    site = create_site(name="南通市公安局刑事科学技术研究所", address="江苏省南通市崇川区工农路111号南通市公安局一楼采血室")
    user = create_staff(Role.ADMIN, username="poster.phone")
    for language in ("zh", "en"):
        page = new_page(browser, language, width=360, height=800)
        sign_in_page(page, live_server, user.username)
        page.goto(f"{live_server}/staff/sampling/sites/{site.id}/poster")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.evaluate(WIDER_THAN_SCREEN)
        page.context.close()


def _picture(pdf: Path, name: str) -> None:
    """The PDF's first page as ARTIFACTS/NAME.png, when poppler's pdftoppm is installed."""
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(ARTIFACTS / name)], check=True)
