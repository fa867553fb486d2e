"""Sampling posters: a site's poster and the whole deployment's, as a print page in both languages
and as a PDF that opens, holds the site's name, address and phone, the hotline's number and
keywords, and a QR code that decodes to the page starting a booking at the site; site staff reach
only their own sites' posters; the QR code's page starts a booking that goes straight to the site."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from flask import Flask
from PIL import Image

from portal.core import pdf
from portal.core.extensions import db
from portal.core.models import SamplingSite, staff_site
from portal.core.permissions import Role
from portal.hotline.keywords import Keyword, match
from tests.support.factories import create_site, create_slot, create_staff
from tests.support.helpers import check_page, csrf_token, get_page, post_form, text_of
from tests.support.nu_checker import assert_valid_html
from tests.support.sampling import JOURNEY_LIMITS, PARENT_CASE, attendee_fields, person
from tests.support.staff import browser, sign_in
from tests.support.tips import EN, ZH

BASE_URL = "https://tuanyuan.example.cn"
HOTLINE = "+8613912345678"
HOTLINE_SHOWN = "139 1234 5678"
ADDRESS = "南通市崇川区工农路111号"


@pytest.fixture
def app_settings() -> dict[str, object]:
    return dict(JOURNEY_LIMITS, public_base_url=BASE_URL, sms_hotline_number=HOTLINE)


def _signed_in(app: Flask, role: Role, site: SamplingSite | None = None):  # type: ignore[no-untyped-def]
    user = create_staff(role, username=f"{role.value}-poster")
    if site is not None:
        db.session.execute(staff_site.insert().values(staff_user_id=user.id, site_id=site.id))
        db.session.commit()
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return client


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "").replace(" ", "")


def _qr_codes(data: bytes, tmp_path: Path) -> list[str]:
    """What every QR code on the PDF's first page decodes to: the page rendered to PNG at 150 dpi
    by poppler's pdftoppm, then read by zxing-cpp."""
    (tmp_path / "poster.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile",
                    str(tmp_path / "poster.pdf"), str(tmp_path / "page")], check=True)
    with Image.open(tmp_path / "page.png") as image:
        return [found.text for found in zxingcpp.read_barcodes(image)]


def test_a_site_poster_pdf_holds_its_name_address_phone_and_hotline_and_its_qr_code_opens_its_booking(
        app: Flask, tmp_path: Path) -> None:
    site = create_site(address=ADDRESS)
    client = _signed_in(app, Role.ADMIN)

    response = client.get(f"/staff/sampling/sites/{site.id}/poster.pdf?lang=zh")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="poster-site-{site.id}-zh.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text = _pdf_text(response.data)
    for words in ("免费采血", "南通市公安局", ADDRESS, "0513-83309663", "星期一至星期五", "扫码预约", HOTLINE_SHOWN.replace(" ", ""),
                  "“预约”", "“举报”", "110"):
        assert words in text, words
    # The text-message line for people who cannot speak is Nantong's own (12110 + 513 of 0513).
    assert "可发短信到12110513。" in text
    assert _qr_codes(response.data, tmp_path) == [f"{BASE_URL}/sampling/at/{site.id}"]


def test_a_site_poster_pdf_in_english_says_the_same_in_english(app: Flask, tmp_path: Path) -> None:
    site = create_site(address=ADDRESS, name="Nantong Police", phone="0513 8330 9663")
    client = _signed_in(app, Role.ADMIN)

    response = client.get(f"/staff/sampling/sites/{site.id}/poster.pdf?lang=en", headers=ZH)

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="poster-site-{site.id}-en.pdf"'
    text = _pdf_text(response.data)
    for words in ("FreeDNAsampling", "NantongPolice", ADDRESS, "0513-83309663", "MondaytoFriday", "Scantobook",
                  "BOOK", "TIP"):
        assert words in text, words
    assert _qr_codes(response.data, tmp_path) == [f"{BASE_URL}/sampling/at/{site.id}"]


def test_the_deployment_poster_lists_every_active_site_and_its_qr_code_opens_the_booking(
        app: Flask, tmp_path: Path) -> None:
    first = create_site(address=ADDRESS)
    second = create_site(name="如皋市公安局", city="南通市如皋市", phone="87654321")
    create_site(name="已停用的采血点", active=False)
    client = _signed_in(app, Role.SUPERVISOR)

    response = client.get("/staff/sampling/poster.pdf?lang=zh")

    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="poster-all-sites-zh.pdf"'
    text = _pdf_text(response.data)
    for words in (first.name, ADDRESS, "83309663", second.name, "南通市如皋市", "87654321"):
        assert words in text, words
    assert "已停用的采血点" not in text
    # Sites of several cities: the poster gives the rule of the 12110 line, not one city's number.
    assert "12110加本地区号后三位" in text
    assert _qr_codes(response.data, tmp_path) == [f"{BASE_URL}/sampling/"]


def test_the_poster_print_page_shows_the_poster_in_chinese_and_in_english(app: Flask) -> None:
    site = create_site(address=ADDRESS)
    client = _signed_in(app, Role.ADMIN)

    response, page = get_page(client, f"/staff/sampling/sites/{site.id}/poster", headers=ZH)
    text = text_of(response)
    assert page.html_lang == "zh-CN"
    for words in ("免费采血", site.name, ADDRESS, "0513-8330 9663", "星期一至星期五 上午9:00–下午5:00", "扫码预约",
                  f"{BASE_URL}/sampling/at/{site.id}", "短信热线", HOTLINE_SHOWN, "下载中文PDF"):
        assert words in text, words
    assert 'src="data:image/svg+xml;base64,' in response.get_data(as_text=True)

    response, page = get_page(client, f"/staff/sampling/sites/{site.id}/poster", headers=EN)
    text = text_of(response)
    assert page.html_lang == "en"
    for words in ("Free DNA sampling", ADDRESS, "Monday to Friday 9:00am–5:00pm", "Scan to book", "SMS hotline",
                  "Download the PDF in English"):
        assert words in text, words

    response, page = get_page(client, "/staff/sampling/poster", headers=EN)
    assert site.name in text_of(response) and "Scan to book" in text_of(response)


def test_the_poster_keywords_are_the_ones_the_hotline_reads(app: Flask) -> None:
    site = create_site()
    client = _signed_in(app, Role.ADMIN)
    for headers in (ZH, EN):
        html = client.get(f"/staff/sampling/sites/{site.id}/poster", headers=headers).get_data(as_text=True)
        words = [word for chunk in html.split('class="poster-keyword">')[1:] for word in
                 chunk.split("</strong>")[0].replace("（", " ").replace("(", " ").replace(")", " ").split()]
        found = {match(word).keyword for word in words if match(word)}  # type: ignore[union-attr]
        assert found == {Keyword.BOOK, Keyword.TIP}, words


def test_without_a_hotline_number_the_poster_gives_no_sms_lines_and_the_page_says_why(app: Flask) -> None:
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], sms_hotline_number="", twilio_from_number="")
    site = create_site()
    client = _signed_in(app, Role.ADMIN)
    text = text_of(client.get(f"/staff/sampling/sites/{site.id}/poster", headers=EN))
    assert "No SMS hotline number is set" in text
    assert "To book by text message" not in text


def test_site_staff_get_their_own_sites_posters_and_not_another_sites(app: Flask) -> None:
    mine = create_site()
    other = create_site(name="海门市公安局")
    client = _signed_in(app, Role.SITE_STAFF, mine)

    assert client.get(f"/staff/sampling/sites/{mine.id}/poster").status_code == 200
    assert client.get(f"/staff/sampling/sites/{other.id}/poster").status_code == 404
    assert client.get(f"/staff/sampling/sites/{other.id}/poster.pdf").status_code == 404
    response, _page = get_page(client, "/staff/sampling/posters", headers=EN)
    assert mine.name in text_of(response) and other.name not in text_of(response)
    desk = client.get("/staff/sampling/desk", headers=EN).get_data(as_text=True)
    assert f"/staff/sampling/sites/{mine.id}/poster.pdf" in desk


def test_triage_officers_may_not_print_posters(app: Flask) -> None:
    site = create_site()
    client = _signed_in(app, Role.TRIAGE_OFFICER)
    assert client.get(f"/staff/sampling/sites/{site.id}/poster").status_code == 403
    assert client.get("/staff/sampling/posters").status_code == 403


def test_the_sites_page_and_the_site_page_link_to_the_posters(app: Flask) -> None:
    site = create_site()
    client = _signed_in(app, Role.ADMIN)
    listing = client.get("/staff/sampling/sites", headers=EN).get_data(as_text=True)
    for url in (f"/staff/sampling/sites/{site.id}/poster", f"/staff/sampling/sites/{site.id}/poster.pdf",
                "/staff/sampling/poster", "/staff/sampling/poster.pdf"):
        assert f'href="{url}"' in listing, url
    edit = client.get(f"/staff/sampling/sites/{site.id}/edit", headers=EN)
    assert "Poster (print)" in text_of(edit) and "Poster (PDF)" in text_of(edit)


def test_the_poster_qr_code_page_starts_a_booking_that_goes_straight_to_the_site(app: Flask) -> None:
    site = create_site(address=ADDRESS)
    create_site(name="海门市公安局")
    create_slot(site)
    client = app.test_client()

    response, _page = get_page(client, f"/sampling/at/{site.id}", headers=ZH)
    assert site.name in text_of(response)
    started = client.post(f"/sampling/at/{site.id}", data={"csrf_token": csrf_token(response.get_data(as_text=True))})
    assert started.status_code == 303 and started.headers["Location"].endswith("/sampling/who")
    for url, data in (("/sampling/who", {"role": "parent", "party_size": "1"}), ("/sampling/about", PARENT_CASE),
                      ("/sampling/attendees", attendee_fields([person()]))):
        assert post_form(client, url, data).status_code in (302, 303), url

    sites = client.get("/sampling/sites")
    assert sites.status_code == 302 and sites.headers["Location"].endswith(f"/sampling/site/{site.id}")
    # Once only: the day page's "Back to sampling sites" shows every site.
    assert client.get("/sampling/sites").status_code == 200


def test_the_qr_code_page_of_a_site_no_longer_taking_bookings_says_so_and_leads_to_the_other_sites(
        app: Flask) -> None:
    site = create_site(name="已停用的采血点", active=False)
    client = app.test_client()
    for headers, words in ((ZH, ("已停用的采血点不再接受预约", "预约其他采血点")),
                           (EN, ("已停用的采血点 no longer takes bookings", "Book at another site"))):
        response, page = get_page(client, f"/sampling/at/{site.id}", headers=headers)
        assert response.status_code == 200
        check_page(response)
        assert all(word in text_of(response) for word in words), words
        html = response.get_data(as_text=True)
        assert 'href="/sampling/"' in html and 'action="/sampling/at/' not in html  # no "Start now" here
    # A POST (a page opened before the site stopped) keeps nothing and gets the same page; an
    # unknown site is not found.
    active = create_site(name="南通市公安局")
    opened = client.get(f"/sampling/at/{active.id}").get_data(as_text=True)
    posted = client.post(f"/sampling/at/{site.id}", data={"csrf_token": csrf_token(opened)})
    assert posted.status_code == 200 and "/sampling/who" not in posted.headers.get("Location", "")
    for unknown in (site.id + 1000, 0):
        assert client.get(f"/sampling/at/{unknown}").status_code == 404


def test_the_poster_pages_of_a_site_no_longer_taking_bookings_warn_where_its_qr_code_leads(app: Flask) -> None:
    site = create_site(name="已停用的采血点", active=False)
    create_site(name="南通市公安局")
    client = _signed_in(app, Role.ADMIN)
    poster = text_of(client.get(f"/staff/sampling/sites/{site.id}/poster", headers=EN))
    assert "This site takes no bookings: its QR code leads to a page saying so" in poster
    listing = text_of(client.get("/staff/sampling/posters", headers=ZH))
    assert listing.count("不接受预约：扫描海报二维码会打开说明此情况的页面") == 1


def test_a_poster_pdf_that_cannot_be_made_gives_a_page_that_says_so_and_offers_the_print_page(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "WORKER_COMMAND", (sys.executable, "-c", "import sys; sys.exit(3)"))
    site = create_site()
    client = _signed_in(app, Role.ADMIN)

    response = client.get(f"/staff/sampling/sites/{site.id}/poster.pdf", headers=EN)

    assert response.status_code == 503
    check_page(response)
    assert "Something went wrong while making the poster's PDF" in text_of(response)
    assert f'href="/staff/sampling/sites/{site.id}/poster"' in response.get_data(as_text=True)


def test_the_poster_print_pages_are_valid_html(app: Flask) -> None:
    site = create_site(address=ADDRESS)
    client = _signed_in(app, Role.ADMIN)
    for url in (f"/staff/sampling/sites/{site.id}/poster", "/staff/sampling/poster", "/staff/sampling/posters"):
        assert_valid_html(client.get(url).get_data(as_text=True), url)
