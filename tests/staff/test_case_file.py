"""The case file (档案) of an item: the print page and the PDF, in Chinese and English, each
audited; out of scope is 404; a PDF that cannot be made gives a page saying so, never a 500; the
web process never loads WeasyPrint (the PDF is made in a child process)."""

from __future__ import annotations

import base64
import io
import re
import sys
from dataclasses import replace

import pypdf
import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from portal.core import pdf
from portal.core.extensions import db
from portal.core.models import AuditEvent, IntakeItem, ItemNote, TipFollowUp, TipPhoto, TipQuestion, WorkingGroup
from portal.core.photos import photo_path
from portal.core.permissions import Role
from portal.staff import case_file, items
from portal.tips.service import mark_urgent
from portal.triage.attachments import add_attachment
from tests.support.case_files import ANSWER, CONTACT_NAME, CONTACT_PHONE, IMAGE_ATTACHMENT, NOTE, PDF_ATTACHMENT, QUESTION, create_case
from tests.support.factories import create_site, create_slot, create_staff, create_tip
from tests.support.helpers import check_page, get_page, text_of
from tests.support.nu_checker import assert_valid_html
from tests.support.sms import send
from tests.support.staff import browser, create_appointment, sign_in
from tests.support.tips import EN, ZH, jpeg_bytes


@pytest.fixture
def app_settings(tmp_path) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {"tip_photo_dir": str(tmp_path / "photos")}


@pytest.fixture
def signed_in(app: Flask):  # type: ignore[no-untyped-def]
    officer = create_staff(Role.TRIAGE_OFFICER)
    client = browser(app)
    assert sign_in(client, officer.username).status_code == 303
    return officer, client


def _pdf_text(data: bytes) -> tuple[str, int]:
    """The PDF's text, and how many different images it holds (WeasyPrint gives every page the
    same resources, so an image is listed on each page)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text, len({image.data for page in reader.pages for image in page.images})


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_pdf_holds_the_lead_note_question_answer_photo_and_attachments_in_chinese_and_is_audited(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)

    response = client.get(f"/staff/items/{case.reference}/case-file.pdf", headers=ZH)

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="case-file-{case.reference}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    text, images = _pdf_text(response.data)
    flat = text.replace("\n", "")
    for words in (f"档案{case.reference}", "线索概况", NOTE, QUESTION, ANSWER, "第一专班", "经办人（签名）",
                  "审核人（签名）", "更改了优先级", case.linked_reference, "〔已删除〕", "附件", IMAGE_ATTACHMENT,
                  PDF_ATTACHMENT):
        assert words.replace("\n", "") in flat, words
    assert "李四" not in flat  # the removed passage shows its mark only
    # The tipster did not agree to be contacted: masked, as the item page shows them.
    assert CONTACT_NAME not in flat and "13912345678" not in flat.replace(" ", "")
    assert images == 2  # the tip's photo and the image attachment; the PDF attachment is listed
    [event] = _events("download_case_file")
    assert event.item_id == case.item_id and event.actor_id == officer.id
    assert {"notes", "follow_up_answers", "photos", "contact_name_masked", "contact_phone_masked",
            "attachments"} <= set(event.fields)
    # Made in a child process: this (web) process never loaded WeasyPrint.
    assert "weasyprint" not in sys.modules


def test_pdf_is_in_english_for_a_staff_member_reading_english(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)

    response = client.get(f"/staff/items/{case.reference}/case-file.pdf", headers=EN)

    assert response.status_code == 200
    text, images = _pdf_text(response.data)
    flat = " ".join(text.split())
    for words in (f"Case file {case.reference}", "The lead", "Internal notes", "Questions to the tipster",
                  "Officer handling (signature)", "Reviewed by (signature)", "Changed the priority", "[removed]",
                  "Page 1 of"):
        assert words in flat, words
    assert NOTE in text.replace("\n", "") and ANSWER in text.replace("\n", "")  # staff's and tipster's words as written
    assert "Attachments" in flat and PDF_ATTACHMENT in flat
    assert images == 2


def test_print_page_shows_the_file_with_print_and_pdf_links_and_is_audited(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)

    response, page = get_page(client, f"/staff/items/{case.reference}/case-file", headers=ZH)

    html = response.get_data(as_text=True)
    words = text_of(response)
    assert page.title.startswith(f"档案{case.reference}")
    for expected in (NOTE, QUESTION, ANSWER, "经办人（签名）", "第一专班", case.linked_reference):
        assert expected in words, expected
    assert f'href="/staff/items/{case.reference}/case-file.pdf"' in html
    assert "data-print-page hidden" in html  # the Print button appears where JavaScript runs
    assert 'src="data:image/jpeg;base64,' in html  # the photo is in the page itself
    assert CONTACT_NAME not in html
    [event] = _events("print_case_file")
    assert event.item_id == case.item_id and {"notes", "photos"} <= set(event.fields)
    assert _events("download_case_file") == []


def test_the_case_file_names_an_image_attachment_with_the_item_pages_word(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)
    for headers, word, other in ((ZH, "照片", "图片"), (EN, "Photo", "Image")):
        case_file = text_of(client.get(f"/staff/items/{case.reference}/case-file", headers=headers))
        item_page = text_of(client.get(f"/staff/items/{case.reference}", headers=headers))
        assert f"{IMAGE_ATTACHMENT} · {word} ·" in case_file and other not in case_file
        assert word in item_page


def test_item_page_links_to_its_case_file(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)

    html = client.get(f"/staff/items/{case.reference}", headers=EN).get_data(as_text=True)

    assert f'href="/staff/items/{case.reference}/case-file"' in html
    assert f'href="/staff/items/{case.reference}/case-file.pdf"' in html


def test_case_file_of_an_item_out_of_scope_is_404_and_not_audited(app: Flask) -> None:
    officer = create_staff(Role.TRIAGE_OFFICER)
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)
    other_group = WorkingGroup(name="第二专班")
    db.session.add(other_group)
    db.session.commit()
    member = create_staff(Role.GROUP_MEMBER, working_group_id=other_group.id)
    client = browser(app)
    assert sign_in(client, member.username).status_code == 303

    assert client.get(f"/staff/items/{case.reference}/case-file").status_code == 404
    assert client.get(f"/staff/items/{case.reference}/case-file.pdf").status_code == 404
    assert _events("print_case_file") == [] and _events("download_case_file") == []


def test_a_sampling_booking_has_no_case_file(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    _officer, client = signed_in
    booking = create_appointment(create_slot(create_site()))

    assert client.get(f"/staff/items/{booking.reference}/case-file").status_code == 404
    assert client.get(f"/staff/items/{booking.reference}/case-file.pdf").status_code == 404


@pytest.mark.parametrize(("command", "timeout", "zh_words", "en_words"), [
    ((sys.executable, "-c", "import sys; sys.exit(3)"), 20,
     "PDF时出了问题", "Something went wrong while making the PDF"),
    ((sys.executable, "-c", "import time; time.sleep(30)"), 1,
     "PDF用时太长", "took too long"),
], ids=["worker-fails", "worker-too-slow"])
def test_a_pdf_that_cannot_be_made_gives_a_translated_page_not_an_error(  # type: ignore[no-untyped-def]
    app: Flask, signed_in, monkeypatch, command, timeout, zh_words, en_words,
) -> None:
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], pdf_timeout_seconds=timeout)
    monkeypatch.setattr(pdf, "WORKER_COMMAND", command)
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)

    for headers, words in ((ZH, zh_words), (EN, en_words)):
        response = client.get(f"/staff/items/{case.reference}/case-file.pdf", headers=headers)
        assert response.status_code == 503
        assert response.mimetype == "text/html"
        check_page(response)
        assert words in text_of(response)
        assert f'href="/staff/items/{case.reference}/case-file"' in response.get_data(as_text=True)
    assert _events("download_case_file") == []


def test_an_sms_tips_case_file_shows_its_messages_with_the_number_masked(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    _officer, client = signed_in
    send(app.test_client(), "举报 南通汽车站有个小女孩一直在哭，被一个男的拉着走")
    reference = db.session.scalar(select(IntakeItem.reference))

    response = client.get(f"/staff/items/{reference}/case-file.pdf", headers=ZH)

    assert response.status_code == 200
    text, _images = _pdf_text(response.data)
    flat = text.replace("\n", "")
    assert "南通汽车站有个小女孩一直在哭，被一个男的拉着走" in flat and "短信" in flat
    assert "13800138000" not in flat.replace(" ", "")  # the sender's number, masked
    [event] = _events("download_case_file")
    assert "from_phone_masked" in event.fields


def test_a_photo_whose_file_is_gone_is_named_and_the_rest_of_the_file_still_prints(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)
    stored = db.session.scalar(select(TipPhoto.stored_name))
    photo_path(app.config["SETTINGS"].tip_photo_dir, stored).unlink()

    page = client.get(f"/staff/items/{case.reference}/case-file", headers=EN)
    document = client.get(f"/staff/items/{case.reference}/case-file.pdf", headers=EN)

    assert page.status_code == 200 and "The file of this photo is missing." in text_of(page)
    assert document.status_code == 200
    text, images = _pdf_text(document.data)
    assert "The file of this photo is missing." in " ".join(text.split())
    assert images == 1  # the image attachment only
    assert NOTE in text.replace("\n", "")


@pytest.mark.slow
def test_print_page_is_valid_html_in_both_languages(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)
    for headers in (ZH, EN):
        response = client.get(f"/staff/items/{case.reference}/case-file", headers=headers)
        assert_valid_html(response.get_data(as_text=True), f"case file {headers['Accept-Language']}")


def test_image_attachments_are_printed_at_print_size_and_only_the_first_few(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    """The web worker builds the whole file in memory, images as data: URIs: each image
    attachment is printed as a smaller copy, and only the first MAX_EMBEDDED_IMAGES of them, so
    that a lead with many CCTV stills cannot make a file of hundreds of megabytes; the others are
    named, with where to find them."""
    officer, client = signed_in
    item = create_tip().tip.item
    count = case_file.MAX_EMBEDDED_IMAGES + 2
    for number in range(count):
        add_attachment(item, file_name=f"cctv-{number}.jpg", raw=jpeg_bytes((2560, 1920)), actor_id=officer.id)
    db.session.commit()

    response = client.get(f"/staff/items/{item.reference}/case-file", headers=EN)

    html = response.get_data(as_text=True)
    printed = [Image.open(io.BytesIO(base64.b64decode(data))).size
               for data in re.findall(r'src="data:image/jpeg;base64,([^"]+)"', html)]
    assert len(printed) == case_file.MAX_EMBEDDED_IMAGES
    assert all(max(size) == case_file.PRINT_MAX_SIDE for size in printed)
    text = text_of(response)
    for number in range(count):
        assert f"cctv-{number}.jpg" in text
    assert text.count(f"Not printed here: the case file shows the first {case_file.MAX_EMBEDDED_IMAGES} images. "
                      "Download this one from the item's page.") == 2
    zh = text_of(client.get(f"/staff/items/{item.reference}/case-file", headers=ZH))
    assert zh.count(f"此处未打印：档案只显示前{case_file.MAX_EMBEDDED_IMAGES}张图片。请在本条页面下载此图片。") == 2


def test_a_long_unbroken_note_question_or_answer_wraps_instead_of_running_off_the_page(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    """A link or a number pasted without spaces is one long word: on paper it must wrap within the
    page, not run past its edge, where the printed file would lose it."""
    officer, client = signed_in
    word = "https://example.com/cctv/" + "0123456789" * 30
    tip = create_tip().tip
    db.session.add(ItemNote(item_id=tip.item.id, author_id=officer.id, body="N" + word))
    question = TipQuestion(tip_id=tip.id, asked_by_id=officer.id, text="Q" + word)
    db.session.add(question)
    db.session.flush()
    db.session.add(TipFollowUp(tip_id=tip.id, question_id=question.id, text="A" + word))
    db.session.commit()

    text, _images = _pdf_text(client.get(f"/staff/items/{tip.item.reference}/case-file.pdf", headers=EN).data)

    lines = text.splitlines()
    assert max(len(line) for line in lines) < 150  # an A4 line holds about 90 characters
    # All of each is printed, over several lines (the page's running header may come between two).
    printed = "".join(line for line in lines if line.isdigit() or "example.com" in line)
    assert printed.count(word) == 3


def test_rare_chinese_characters_are_drawn_with_a_font_that_has_them(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    """Names and places may hold characters of the CJK extensions beyond the Basic Multilingual
    Plane (GB 18030-2022 asks systems that handle names to show them), which Noto Sans CJK SC
    lacks: they were drawn as empty boxes. BabelStone Han (fonts-babelstone-han) draws them."""
    officer, client = signed_in
    rare = "𠀀𪚥𫟼"  # U+20000, U+2A6A5 (extension B), U+2B7FC (extension D)
    item = create_tip().tip.item
    db.session.add(ItemNote(item_id=item.id, author_id=officer.id, body=f"嫌疑人叫王{rare}"))
    db.session.commit()

    reader = pypdf.PdfReader(io.BytesIO(client.get(f"/staff/items/{item.reference}/case-file.pdf", headers=ZH).data))

    fonts = {str(font.get_object()["/BaseFont"]).split("+")[-1]
             for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert "BabelStone-Han" in fonts
    assert rare in "".join(page.extract_text() for page in reader.pages)


def test_a_history_longer_than_the_print_limit_says_that_the_audit_log_holds_the_rest(  # type: ignore[no-untyped-def]
        app: Flask, signed_in, monkeypatch) -> None:
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)
    monkeypatch.setattr(case_file, "HISTORY_LIMIT", 2)  # the lead has more changes than that

    page = text_of(client.get(f"/staff/items/{case.reference}/case-file", headers=EN))

    assert "Only the first 2 changes are printed here; the audit log holds them all." in page
    whole = text_of(client.get(f"/staff/items/{case.reference}/case-file", headers=ZH))
    assert "这里只打印了前2条变动，审计日志中有全部记录。" in whole


def test_history_names_who_was_shown_the_full_contact_details_and_why_but_not_the_details(  # type: ignore[no-untyped-def]
        app: Flask, signed_in) -> None:
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)
    item = db.session.get(IntakeItem, case.item_id)
    assert item is not None
    items.reveal_contact(item, reason="需要回电核实地点", actor_id=officer.id)
    db.session.commit()
    assert client.get(f"/staff/items/{case.reference}", headers=ZH).status_code == 200  # a pure view

    page = text_of(client.get(f"/staff/items/{case.reference}/case-file", headers=ZH))
    history = page[page.index("办理经过"):]

    assert "写明理由后查看了完整联系方式" in history
    assert "原因：需要回电核实地点" in history
    assert officer.username in history
    assert CONTACT_NAME not in page and CONTACT_PHONE not in page.replace(" ", "")
    assert "查看了此事项" not in history  # pure views stay out


def test_history_keeps_a_change_made_by_the_tipster(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    _officer, client = signed_in
    send(app.test_client(), "举报 南通汽车站有个小女孩一直在哭，被一个男的拉着走")
    item = db.session.scalar(select(IntakeItem))
    assert item is not None and item.tip is not None
    mark_urgent(item.tip)
    db.session.commit()

    page = text_of(client.get(f"/staff/items/{item.reference}/case-file", headers=EN))
    history = page[page.index("History"):]

    assert "Changed the priority" in history and "Public" in history


def test_a_pdf_attachment_is_marked_attached_separately(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    officer, client = signed_in
    case = create_case(app.config["SETTINGS"].tip_photo_dir, officer.id)

    zh = text_of(client.get(f"/staff/items/{case.reference}/case-file", headers=ZH))
    en = text_of(client.get(f"/staff/items/{case.reference}/case-file", headers=EN))

    assert f"{PDF_ATTACHMENT} · PDF" in zh and "另附" in zh[zh.index(PDF_ATTACHMENT):]
    assert "attached separately" in en[en.index(PDF_ATTACHMENT):]
    assert "另附" not in zh[zh.index(IMAGE_ATTACHMENT):zh.index(PDF_ATTACHMENT)]  # an image is printed, not attached


def test_sms_messages_print_compactly_with_time_direction_and_number_each_on_one_line(app: Flask, signed_in) -> None:  # type: ignore[no-untyped-def]
    _officer, client = signed_in
    sms_client = app.test_client()
    send(sms_client, "举报 南通汽车站有个小女孩一直在哭，被一个男的拉着走")
    for number in range(9):
        send(sms_client, f"补充第{number + 1}条：他们往售票厅方向走了")
    reference = db.session.scalar(select(IntakeItem.reference))

    html = client.get(f"/staff/items/{reference}/case-file", headers=ZH).get_data(as_text=True)
    reader = pypdf.PdfReader(io.BytesIO(client.get(f"/staff/items/{reference}/case-file.pdf", headers=ZH).data))

    # On the page: a list, the time and the masked number never broken across lines.
    assert '<ol class="case-file-sms">' in html and "收发情况" not in html
    assert html.count('<span class="case-file-nowrap">') == 20  # 10 received, 10 replies
    assert html.count('<span class="case-file-nowrap staff-reference">••• •••• 8000</span>') == 20
    # In the PDF: each message's first line holds its whole date, its direction and its number.
    pages = [page.extract_text() for page in reader.pages]
    heads = [line for page in pages for line in page.splitlines() if line.rstrip().endswith("8000") and "联系人" not in line]
    assert len(heads) == 20 and all(re.search(r"\d{4}年\d{1,2}月\d{1,2}日（星期.）(上|下)午\d{1,2}:\d\d", line) for line in heads)
    assert all("已受理" in line or "已作为回复发出" in line for line in heads)
    # Twenty messages take less than one page.
    assert len([page for page in pages if "8000" in page]) <= 2
