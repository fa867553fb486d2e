"""Attaching files on a staff item page in a real Chromium, in both languages: a PDF and a photo
are attached through the form, listed, and open only as downloads; a file that is not a photo or
a PDF is refused on the page. Screenshots of the section, desktop and 360 px wide:
test-artifacts/screenshots/attach-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from portal.core.permissions import Role
from tests.support.browser import ARTIFACTS, assert_accessible, new_page
from tests.support.factories import create_staff, create_tip
from tests.support.pdfs import hostile_pdf
from tests.support.staff import sign_in_page
from tests.support.tips import jpeg_bytes

pytestmark = pytest.mark.slow

WORDS = {
    "zh": ("添加文件", "已添加", "不是照片，也不是PDF", "照片", "PDF"),
    "en": ("Attach the file", "is attached", "is not a photo or a PDF", "Photo", "PDF"),
}


@pytest.fixture
def app_settings(tmp_path: Path) -> dict[str, object]:
    return {"tip_photo_dir": str(tmp_path / "stored")}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_an_officer_attaches_a_pdf_and_a_photo_and_downloads_one(app: Flask, live_server: str, browser, language: str,  # type: ignore[no-untyped-def]
                                                                tmp_path: Path) -> None:
    reference = create_tip().reference
    user = create_staff(Role.TRIAGE_OFFICER, username="wang.officer")
    button, attached, refused, photo, pdf = WORDS[language]
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "询问笔录 2026-03-01.pdf").write_bytes(hostile_pdf())
    (uploads / "CCTV 火车站北广场.jpg").write_bytes(jpeg_bytes((640, 360)))
    (uploads / "notes.docx").write_bytes(b"PK\x03\x04 not a photo")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page = new_page(browser, language, javascript=False)
    sign_in_page(page, live_server, user.username)
    page.goto(f"{live_server}/staff/items/{reference}")
    for name in ("询问笔录 2026-03-01.pdf", "CCTV 火车站北广场.jpg"):
        page.set_input_files("input[name=attachment]", str(uploads / name))
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        assert attached in page.inner_text(".notification")
        if name.endswith(".pdf"):  # what was taken out of the PDF, in words
            page.locator(".notification").screenshot(path=str(ARTIFACTS / f"attach-{language}-added.png"))
    section = page.locator("#attachments")
    rows = section.locator("tbody tr")
    assert rows.count() == 2
    assert [rows.nth(n).locator("td").nth(1).inner_text() for n in range(2)] == [pdf, photo]
    section.screenshot(path=str(ARTIFACTS / f"attach-{language}-desktop.png"))

    with page.expect_download() as download:
        rows.nth(0).locator("a").click()
    assert download.value.suggested_filename == "询问笔录 2026-03-01.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    page.set_input_files("input[name=attachment]", str(uploads / "notes.docx"))
    page.get_by_role("button", name=button).click()
    assert refused in page.inner_text(".error-summary") and refused in section.inner_text()
    page.locator("#attachments").screenshot(path=str(ARTIFACTS / f"attach-{language}-refused.png"))
    page.context.close()

    phone = new_page(browser, language, width=360, height=800)
    sign_in_page(phone, live_server, user.username)
    phone.goto(f"{live_server}/staff/items/{reference}")
    phone.locator("#attachments").screenshot(path=str(ARTIFACTS / f"attach-{language}-360.png"))
    assert_accessible(phone, f"attach-{language}-item-360")
    phone.context.close()
