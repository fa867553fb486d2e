"""The case file's print page in a real Chromium, in both languages, on a desktop and on a 360 px
phone: accessible (axe-core), the Print button only where JavaScript runs, and printed without the
console around it. Screenshots: test-artifacts/screenshots/case-file-*.png (and the printed view,
case-file-*-print.png); the PDF downloaded without JavaScript: case-file-zh.pdf."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import IntakeItem
from portal.core.permissions import Role
from tests.support.browser import ARTIFACTS, assert_accessible, new_page
from tests.support.case_files import NOTE, create_case
from tests.support.factories import create_staff
from tests.support.sms import send
from tests.support.staff import sign_in_page

pytestmark = pytest.mark.slow

PRINT = {"zh": "打印", "en": "Print"}


@pytest.fixture
def app_settings(tmp_path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {"tip_photo_dir": str(tmp_path / "photos")}


@pytest.mark.parametrize("width", [1280, 360], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_print_page_reads_well_and_prints_the_file_alone(app: Flask, live_server: str, browser, language: str,  # type: ignore[no-untyped-def]
                                                         width: int) -> None:
    officer = create_staff(Role.TRIAGE_OFFICER)
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)
    name = f"case-file-{language}-{'desktop' if width > 640 else '360'}"

    page = new_page(browser, language, width=width)
    sign_in_page(page, live_server, officer.username)
    page.goto(f"{live_server}/staff/items/{case.reference}/case-file")
    assert NOTE in page.inner_text("main")
    assert page.get_by_role("button", name=PRINT[language], exact=True).is_visible()
    assert page.locator("img[src^='data:image/jpeg']").first.evaluate("img => img.naturalWidth") > 0  # the tip's photo
    assert_accessible(page, name)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible() and not page.locator(".case-file-tools").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"{name}-print.png"), full_page=True)
    page.context.close()


def test_from_the_item_page_without_javascript_the_file_offers_the_pdf_and_no_dead_button(app: Flask, live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    officer = create_staff(Role.TRIAGE_OFFICER)
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)

    page = new_page(browser, "zh", javascript=False)
    sign_in_page(page, live_server, officer.username)
    page.goto(f"{live_server}/staff/items/{case.reference}")
    page.screenshot(path=str(ARTIFACTS / "case-file-item-page-zh.png"))
    page.get_by_role("link", name="打印档案").click()
    page.wait_for_url(f"**/staff/items/{case.reference}/case-file")
    assert not page.get_by_role("button", name=PRINT["zh"], exact=True).is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载PDF").click()
    assert download.value.suggested_filename == f"case-file-{case.reference}.pdf"
    download.value.save_as(ARTIFACTS / "case-file-zh.pdf")  # for people to look at (pdftoppm)
    page.context.close()


@pytest.mark.parametrize("width", [1280, 360], ids=["desktop", "phone"])
def test_sms_messages_keep_each_time_and_number_on_one_line_on_screen_and_paper(  # type: ignore[no-untyped-def]
        app: Flask, live_server: str, browser, width: int) -> None:
    officer = create_staff(Role.TRIAGE_OFFICER)
    sms_client = app.test_client()
    send(sms_client, "举报 南通汽车站有个小女孩一直在哭，被一个男的拉着走")
    send(sms_client, "她穿红色外套，大概五六岁")
    reference = db.session.scalar(select(IntakeItem.reference))

    page = new_page(browser, "zh", width=width)
    sign_in_page(page, live_server, officer.username)
    page.goto(f"{live_server}/staff/items/{reference}/case-file")
    for media in ("screen", "print"):
        page.emulate_media(media=media)
        lines = page.locator(".case-file-sms .case-file-nowrap").evaluate_all(
            "spans => spans.map(span => span.getClientRects().length)")
        assert lines == [1] * 8, (media, lines)  # 4 messages (2 received, 2 replies): a time and a number each
    page.screenshot(path=str(ARTIFACTS / f"case-file-sms-zh-{width}-print.png"), full_page=True)
    page.context.close()


def test_the_item_pages_sms_table_keeps_times_directions_and_numbers_on_one_line_on_a_desktop(  # type: ignore[no-untyped-def]
        app: Flask, live_server: str, browser) -> None:
    officer = create_staff(Role.TRIAGE_OFFICER)
    sms_client = app.test_client()
    send(sms_client, "举报 南通汽车站有个小女孩一直在哭，被一个男的拉着走")
    reference = db.session.scalar(select(IntakeItem.reference))

    page = new_page(browser, "zh", width=1280)
    sign_in_page(page, live_server, officer.username)
    page.goto(f"{live_server}/staff/items/{reference}")
    lines = page.locator(".sms-thread-table tbody tr").first.locator("td").evaluate_all(
        """cells => cells.slice(0, 3).map(cell => {
             const range = document.createRange(); range.selectNodeContents(cell);
             return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size; })""")
    assert lines == [1, 1, 1]  # time, direction and number: one line each
    page.context.close()
