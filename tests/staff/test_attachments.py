"""Attachments on the staff item page: a PDF with scripts and an embedded file is stored
rewritten without them, a photo without its metadata; files are listed on the item page and only
ever sent as audited downloads, to accounts that may see the item; a file refused says why on the
item page, in both languages; erasing the item's personal details erases its files."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pikepdf
import pytest
from flask import Flask
from PIL import Image
from PIL.ExifTags import IFD, Base
from sqlalchemy import select
from werkzeug.test import TestResponse

from portal.core.extensions import db
from portal.core.models import AuditEvent, CaseAttachment, IntakeItem, WorkingGroup
from portal.core.permissions import Role
from portal.triage.attachments import add_attachment, attachment_bytes, attachments_for
from portal.triage.redaction import erase_personal_data
from tests.support.factories import create_staff, create_tip
from tests.support.helpers import check_page, csrf_token, text_of
from tests.support.pdfs import EMBEDDED_BYTES, PAGE_TEXT, SCRIPT, hostile_pdf, page_text, password_pdf, plain_pdf
from tests.support.staff import browser, control_clock, sign_in
from tests.support.tips import EN, ZH, errors_on, jpeg_bytes


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "stored"


@pytest.fixture
def app_settings(files: Path) -> dict[str, object]:
    return {"tip_photo_dir": str(files)}


def _signed_in(app: Flask, role: Role = Role.TRIAGE_OFFICER, **attrs: object):  # type: ignore[no-untyped-def]
    user = create_staff(role, username=f"{role.value}-{len(attrs)}", **attrs)
    db.session.commit()
    client = browser(app)
    assert sign_in(client, user.username).status_code == 303
    return client, user


def _item(group: WorkingGroup | None = None) -> IntakeItem:
    item = create_tip().tip.item
    item.working_group_id = group.id if group else None
    db.session.commit()
    return item


def _upload(client, reference: str, name: str, content: bytes, headers: dict | None = None) -> TestResponse:  # type: ignore[no-untyped-def]
    page = client.get(f"/staff/items/{reference}", headers=headers)
    token = csrf_token(page.get_data(as_text=True))
    return client.post(f"/staff/items/{reference}/attachments", headers=headers,
                       data={"csrf_token": token, "attachment": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def _camera_jpeg() -> bytes:
    exif = Image.Exif()
    exif[Base.Make], exif[Base.BodySerialNumber] = "Hikvision", "SN-CCTV-0042"
    exif[IFD.GPSInfo] = {1: "N", 2: (32.0, 5.0, 10.5), 3: "E", 4: (121.0, 10.0, 2.0)}
    return jpeg_bytes(exif=exif)


def test_a_pdf_with_scripts_and_an_embedded_file_is_stored_without_them(app: Flask, files: Path) -> None:
    client, officer = _signed_in(app)
    item = _item()

    response = _upload(client, item.reference, "笔录 王五.pdf", hostile_pdf(), EN)

    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/items/{item.reference}#attachments")
    row = db.session.scalar(select(CaseAttachment))
    assert (row.item_id, row.kind, row.original_name, row.uploaded_by_id) == (item.id, "pdf", "笔录 王五.pdf", officer.id)
    stored = files / row.stored_name
    data = stored.read_bytes()
    assert row.byte_size == len(data) and stored.name.endswith(".pdf") and "王五" not in stored.name
    with pikepdf.open(stored) as pdf:
        assert "/OpenAction" not in pdf.Root and "/AcroForm" not in pdf.Root
        assert "/JavaScript" not in pdf.Root.get("/Names", {}) and list(pdf.attachments) == []
    assert SCRIPT.encode() not in data and EMBEDDED_BYTES not in data and PAGE_TEXT in page_text(data)
    # The officer is told what was taken out; the audit event counts it, by kind, in numbers only.
    page = client.get(f"/staff/items/{item.reference}", headers=EN)
    assert "笔录 王五.pdf is attached. Removed from the PDF: scripts" in text_of(page)
    [added] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "attachment_added"))
    numbers = added.changes["numbers"]
    assert added.item_id == item.id and added.actor_id == officer.id and numbers["attachment_id"] == row.id
    assert {"javascript", "open_action", "embedded_files", "forms"} <= set(numbers["removed"])
    assert "王五" not in repr(added.changes)


def test_a_photo_attachment_is_stored_without_its_camera_details_or_location(app: Flask, files: Path) -> None:
    client, _officer = _signed_in(app)
    item = _item()
    original = _camera_jpeg()
    assert b"Hikvision" in original

    assert _upload(client, item.reference, "CCTV 2026-03-01.png", original).status_code == 303

    [stored] = list(files.iterdir())
    data = stored.read_bytes()
    assert b"Hikvision" not in data and b"SN-CCTV" not in data and b"Exif" not in data
    image = Image.open(stored)
    assert image.format == "JPEG" and dict(image.getexif()) == {} and image.getexif().get_ifd(IFD.GPSInfo) == {}
    assert db.session.scalar(select(CaseAttachment.kind)) == "image"


def test_the_item_page_lists_each_file_with_its_kind_size_who_and_when(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    control_clock(monkeypatch, datetime(2026, 3, 20, 4, 0, tzinfo=timezone.utc))
    client, officer = _signed_in(app)
    item = _item()
    _upload(client, item.reference, "statement.pdf", plain_pdf())
    row = db.session.scalar(select(CaseAttachment))

    size = row.byte_size
    assert size < 1024
    for headers, words in ((EN, ["statement.pdf", "PDF", f"{size} bytes", officer.username, "Friday 20 March 2026"]),
                           (ZH, ["statement.pdf", "PDF", f"{size}字节", officer.username, "2026年3月20日"])):
        page = client.get(f"/staff/items/{item.reference}", headers=headers)
        check_page(page)
        section = text_of(page).split("Attachments" if headers is EN else "附件", 1)[1]
        assert all(word in section for word in words), words
        assert f'href="/staff/items/{item.reference}/attachments/{row.id}"' in page.get_data(as_text=True)
    # The page view names the attachments among the fields shown (a file name may name a person).
    view = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "view_item")).all()[-1]
    assert "attachments" in view.fields


def test_a_download_is_an_audited_attachment_never_shown_inline(app: Flask, files: Path) -> None:
    client, officer = _signed_in(app)
    item = _item()
    _upload(client, item.reference, "笔录.pdf", hostile_pdf())
    row = db.session.scalar(select(CaseAttachment))
    reader, reader_user = _signed_in(app, Role.SUPERVISOR)

    response = reader.get(f"/staff/items/{item.reference}/attachments/{row.id}")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''%E7%AC%94%E5%BD%95.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response.headers["Cache-Control"]
    assert response.data == (files / row.stored_name).read_bytes() == attachment_bytes(row)
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "download_attachment"))
    assert (event.actor_id, event.item_id, event.changes["numbers"]) == (reader_user.id, item.id, {"attachment_id": row.id})
    # A supervisor may read the item and its files, but the page offers no form to attach one.
    page = reader.get(f"/staff/items/{item.reference}")
    assert 'action="/staff/items/%s/attachments' % item.reference not in page.get_data(as_text=True)


def test_a_file_named_only_in_chinese_downloads_under_the_reference_for_programs_that_read_plain_names(  # type: ignore[no-untyped-def]
        app: Flask, files: Path) -> None:
    """Browsers read the name from `filename*` (RFC 6266, UTF-8); programs that read only the plain
    `filename` (curl -OJ, older download managers) got ".pdf", a hidden file with no name. They get
    the item's reference and the attachment's number instead."""
    client, _officer = _signed_in(app)
    item = _item()
    _upload(client, item.reference, "询问笔录.pdf", plain_pdf())
    row = db.session.scalar(select(CaseAttachment))

    disposition = client.get(f"/staff/items/{item.reference}/attachments/{row.id}").headers["Content-Disposition"]

    assert disposition == (f"attachment; filename={item.reference}-{row.id}.pdf; "
                           "filename*=UTF-8''%E8%AF%A2%E9%97%AE%E7%AC%94%E5%BD%95.pdf")


def test_an_attachment_of_an_item_the_account_may_not_see_is_404(app: Flask) -> None:
    mine, theirs = WorkingGroup(name="第一专班"), WorkingGroup(name="第二专班")
    db.session.add_all([mine, theirs])
    db.session.commit()
    hidden = _item(theirs)
    officer, _user = _signed_in(app)
    _upload(officer, hidden.reference, "still.jpg", jpeg_bytes())
    row = db.session.scalar(select(CaseAttachment))
    member, _member_user = _signed_in(app, Role.GROUP_MEMBER, working_group_id=mine.id)

    assert member.get(f"/staff/items/{hidden.reference}/attachments/{row.id}").status_code == 404
    token = csrf_token(member.get("/staff/queue").get_data(as_text=True))
    refused = member.post(f"/staff/items/{hidden.reference}/attachments", content_type="multipart/form-data",
                          data={"csrf_token": token, "attachment": (io.BytesIO(jpeg_bytes()), "mine.jpg")})
    assert refused.status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "download_attachment")) is None
    assert len(db.session.scalars(select(CaseAttachment)).all()) == 1


def test_an_attachment_id_of_another_item_is_404_even_when_both_are_visible(app: Flask) -> None:
    client, _user = _signed_in(app)
    first, second = _item(), _item()
    _upload(client, second.reference, "still.jpg", jpeg_bytes())
    row = db.session.scalar(select(CaseAttachment))

    assert client.get(f"/staff/items/{first.reference}/attachments/{row.id}").status_code == 404
    assert client.get(f"/staff/items/{second.reference}/attachments/{row.id}").status_code == 200
    assert client.get(f"/staff/items/{second.reference}/attachments/{row.id + 1}").status_code == 404


@pytest.mark.parametrize(("headers", "words"), [
    (EN, "still.jpg is too large. Attach a file smaller than 2 KB."),
    (ZH, "still.jpg太大。请添加小于2 KB的文件。"),
], ids=["en", "zh"])
def test_a_file_over_the_limit_is_refused_in_words_on_the_item_page(app: Flask, files: Path, headers, words) -> None:  # type: ignore[no-untyped-def]
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], attachment_max_bytes=2048)
    client, _user = _signed_in(app)
    item = _item()

    response = _upload(client, item.reference, "still.jpg", jpeg_bytes((400, 300)) + b"\0" * 4096, headers)

    assert response.status_code == 400 and errors_on(response) == [words]
    check_page(response)  # the whole item page, with its error summary
    assert f'href="#{"attachment"}"' in response.get_data(as_text=True)
    assert db.session.scalar(select(CaseAttachment)) is None and not (files.exists() and any(files.iterdir()))


def test_a_post_larger_than_the_request_limit_goes_back_to_the_item_page_with_the_reason(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    client, _user = _signed_in(app)
    item = _item()

    response = _upload(client, item.reference, "huge.pdf", b"%PDF-1.7\n" + b"0" * 60_000, EN)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/items/{item.reference}#attachments")
    page = client.get(f"/staff/items/{item.reference}", headers=EN)
    assert page.status_code == 200 and "The file was too large, so nothing was attached. Attach a file smaller than 10 MB." in text_of(page)
    assert db.session.scalar(select(CaseAttachment)) is None


@pytest.mark.parametrize(("name", "content", "headers", "words"), [
    ("statement.pdf", b"<html><script>alert(1)</script></html>", EN,
     "statement.pdf is not a photo or a PDF. Attach a JPG, PNG, WEBP or GIF photo, or a PDF."),
    ("statement.pdf", b"<html><script>alert(1)</script></html>", ZH,
     "statement.pdf不是照片，也不是PDF。请添加JPG、PNG、WEBP或GIF格式的照片，或者PDF文件。"),
    ("locked.pdf", password_pdf(), EN,
     "locked.pdf is protected by a password. Save it again without the password, then attach it."),
    ("broken.pdf", b"%PDF-1.7\nbroken", ZH,
     "broken.pdf无法作为PDF读取，可能已损坏。请另存或打印为新的PDF，再添加。"),
    ("", b"", EN, "Choose a photo or a PDF to attach"),
], ids=["not-a-file-we-take-en", "not-a-file-we-take-zh", "password", "damaged-pdf-zh", "no-file"])
def test_a_file_that_cannot_be_kept_gets_a_clear_error_and_nothing_is_stored(  # type: ignore[no-untyped-def]
        app: Flask, files: Path, name, content, headers, words) -> None:
    client, _user = _signed_in(app)
    item = _item()

    response = _upload(client, item.reference, name, content, headers)

    assert response.status_code == 400 and errors_on(response) == [words]
    check_page(response)
    assert db.session.scalar(select(CaseAttachment)) is None and not (files.exists() and any(files.iterdir()))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attachment_added")) is None


def test_erasing_an_items_personal_details_removes_its_files_and_rows(app: Flask, files: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 3, 20, 4, 0, tzinfo=timezone.utc)
    control_clock(monkeypatch, now)
    officer = create_staff(Role.TRIAGE_OFFICER)
    spam, kept = _item(), _item()
    for item in (spam, kept):
        add_attachment(item, file_name="still.jpg", raw=jpeg_bytes(), actor_id=officer.id)
        add_attachment(item, file_name="statement.pdf", raw=plain_pdf(), actor_id=officer.id)
    spam.status, spam.outcome, spam.closed_at = "closed", "spam", now - timedelta(days=100)
    db.session.commit()
    spam_files = [files / row.stored_name for row in attachments_for(spam)]
    kept_files = [files / row.stored_name for row in attachments_for(kept)]
    assert all(path.is_file() for path in spam_files + kept_files)

    result = app.test_cli_runner().invoke(args=["retention", "--days", "90"])

    assert result.exit_code == 0 and "1 item(s)" in result.output
    db.session.expire_all()
    assert not any(path.exists() for path in spam_files) and all(path.is_file() for path in kept_files)
    assert attachments_for(db.session.get(IntakeItem, spam.id)) == [] and len(attachments_for(kept)) == 2
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "erase_personal_data"))
    assert event.item_id == spam.id and "attachments" in event.fields


@pytest.mark.parametrize(("headers", "message"), [
    (EN, "This item's personal details were erased, so nothing more can be attached to it."),
    (ZH, "本条的个人信息已删除，不能再添加附件。"),
])
def test_nothing_can_be_attached_to_an_item_whose_personal_details_were_erased(  # type: ignore[no-untyped-def]
        app: Flask, files: Path, headers: dict, message: str) -> None:
    """Retention erases an item's details once and never visits it again: a file attached after
    that would be kept for ever, so the item page refuses it and does not offer the form."""
    client, _user = _signed_in(app)
    item = _item()
    item.status, item.outcome = "closed", "spam"
    erase_personal_data(item)
    db.session.commit()
    assert 'name="attachment"' not in client.get(f"/staff/items/{item.reference}", headers=headers).get_data(as_text=True)
    token = csrf_token(client.get("/staff/queue").get_data(as_text=True))

    response = client.post(f"/staff/items/{item.reference}/attachments", headers=headers, content_type="multipart/form-data",
                           data={"csrf_token": token, "attachment": (io.BytesIO(jpeg_bytes()), "still.jpg")})

    assert response.status_code == 400 and message in text_of(response)
    assert db.session.scalars(select(CaseAttachment)).all() == []
    assert not files.exists() or list(files.iterdir()) == []


def test_removing_a_passage_removes_it_from_the_names_of_attached_files(app: Flask) -> None:
    client, _user = _signed_in(app)
    item = _item()
    _upload(client, item.reference, "张三的陈述.pdf", plain_pdf())
    row = db.session.scalar(select(CaseAttachment))
    token = csrf_token(client.get(f"/staff/items/{item.reference}").get_data(as_text=True))

    removed = client.post(f"/staff/items/{item.reference}/redact-passage", headers=EN, data={
        "csrf_token": token, "passage": "张三", "passage_reason_kind": "identifies_tipster", "passage_reason": ""})

    assert removed.status_code == 303
    db.session.expire_all()
    assert "张三" not in db.session.get(CaseAttachment, row.id).original_name
    page = client.get(f"/staff/items/{item.reference}", headers=EN)
    text = text_of(page)
    assert "[removed] passage removed by staff 的陈述.pdf" in text and "张三" not in text
    download = client.get(f"/staff/items/{item.reference}/attachments/{row.id}", headers=EN)
    assert download.status_code == 200 and "%E5%BC%A0%E4%B8%89" not in download.headers["Content-Disposition"]
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "redact_passage"))
    assert event.changes["numbers"]["found"] == {"attachment_names": 1}


def _dated_camera_jpeg(offset: str | None) -> bytes:
    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model] = "Hikvision", "DS-2CD2143"
    exif[IFD.GPSInfo] = {1: "N", 2: (32.0, 5.0, 10.5), 3: "E", 4: (121.0, 10.0, 2.0)}
    exif[IFD.Exif] = {Base.DateTimeOriginal: "2026:03:01 14:22:05"} | (
        {Base.OffsetTimeOriginal: offset} if offset else {})
    return jpeg_bytes(exif=exif)


def test_a_photo_keeps_the_hash_of_the_upload_and_its_capture_time_but_no_exif(app: Flask, files: Path) -> None:
    client, _officer = _signed_in(app)
    item = _item()
    original = _dated_camera_jpeg("+08:00")

    assert _upload(client, item.reference, "CCTV.jpg", original).status_code == 303

    row = db.session.scalar(select(CaseAttachment))
    assert row.original_sha256 == hashlib.sha256(original).hexdigest() != row.sha256
    assert row.taken_at == "2026-03-01 14:22:05 +08:00"  # the camera's local time, with its offset
    data = (files / row.stored_name).read_bytes()
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    image = Image.open(files / row.stored_name)
    assert dict(image.getexif()) == {} and b"Exif" not in data and b"Hikvision" not in data
    for headers, words in ((EN, ["Original SHA-256 (as uploaded): " + row.original_sha256,
                                 "Cleaned SHA-256 (the file kept): " + row.sha256,
                                 "Taken at 2026-03-01 14:22:05 +08:00 (the camera's clock)"]),
                           (ZH, ["原始文件的SHA-256（上传时）：" + row.original_sha256,
                                 "清理后文件的SHA-256（保存的文件）：" + row.sha256,
                                 "拍摄时间：2026-03-01 14:22:05 +08:00（相机时钟）"])):
        page = text_of(client.get(f"/staff/items/{item.reference}", headers=headers))
        assert all(word in page for word in words), words
        case_file = text_of(client.get(f"/staff/items/{item.reference}/case-file", headers=headers))
        assert all(word in case_file for word in words), words


def test_a_capture_time_without_an_offset_is_kept_as_the_cameras_clock_and_says_the_zone_is_unknown(  # type: ignore[no-untyped-def]
        app: Flask) -> None:
    client, _officer = _signed_in(app)
    item = _item()

    assert _upload(client, item.reference, "CCTV.jpg", _dated_camera_jpeg(None)).status_code == 303

    assert db.session.scalar(select(CaseAttachment.taken_at)) == "2026-03-01 14:22:05"
    page = text_of(client.get(f"/staff/items/{item.reference}", headers=EN))
    assert "Taken at 2026-03-01 14:22:05 (the camera's clock; its time zone is not recorded)" in page


def test_a_pdf_keeps_the_hash_of_the_upload_and_has_no_capture_time(app: Flask) -> None:
    client, _officer = _signed_in(app)
    item = _item()
    original = hostile_pdf()

    assert _upload(client, item.reference, "statement.pdf", original).status_code == 303

    row = db.session.scalar(select(CaseAttachment))
    assert row.original_sha256 == hashlib.sha256(original).hexdigest() != row.sha256
    assert row.taken_at is None
