"""Cleaning files staff attach to an item (portal.core.attachments), without the app: a hostile
PDF is rewritten without its scripts, actions, embedded file and form but keeps its page and the
form's value; a photo loses its metadata; anything else is refused for a reason the page can say."""

from __future__ import annotations

import io
import resource

import pikepdf
import pytest
from PIL import Image
from PIL.ExifTags import IFD, Base

from portal.core.attachments import (
    IMAGE, MAX_NAME_LENGTH, PDF, AttachmentRefused, active_content, clean_attachment, clean_pdf, download_name,
    exif_taken_at, safe_file_name,
)
from tests.support.pdfs import (
    EMBEDDED_BYTES, EMBEDDED_NAME, FIELD_TEXT, PAGE_TEXT, SCRIPT, hostile_pdf, object_stream_bomb, page_text,
    password_pdf, plain_pdf,
)
from tests.support.tips import jpeg_bytes

LIMIT = 10 * 1024 * 1024


def test_a_hostile_pdf_comes_out_without_scripts_actions_embedded_files_or_forms() -> None:
    raw = hostile_pdf()
    with pikepdf.open(io.BytesIO(raw)) as original:  # the test PDF really carries all of it
        assert "/OpenAction" in original.Root and "/JavaScript" in original.Root.Names
        assert list(original.attachments) == [EMBEDDED_NAME] and "/AcroForm" in original.Root

    cleaned = clean_attachment(raw, max_bytes=LIMIT)

    assert cleaned.kind == PDF
    assert set(cleaned.removed) == {"javascript", "open_action", "additional_actions", "external_actions",
                                    "embedded_files", "forms"}
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        root = pdf.Root
        assert "/OpenAction" not in root and "/AA" not in root and "/AcroForm" not in root
        assert "/JavaScript" not in root.get("/Names", {}) and "/EmbeddedFiles" not in root.get("/Names", {})
        assert list(pdf.attachments) == []
        page = pdf.pages[0].obj
        assert "/AA" not in page
        annotations = list(page.get("/Annots", []))
        # The two links stay as inert boxes; the file attachment and the form field are gone.
        assert [str(a.Subtype) for a in annotations] == ["/Link", "/Link"]
        assert all("/A" not in a and "/AA" not in a for a in annotations)
        assert active_content(pdf) == {}
    # Nothing of the script, the program or the XFA is left anywhere in the bytes.
    for leftover in (SCRIPT.encode(), b"exportDataObject", EMBEDDED_BYTES, EMBEDDED_NAME.encode(), b"calc.exe",
                     b"javascript:", b"xdp"):
        assert leftover not in cleaned.data, leftover
    # The page still says what it said, and the filled-in field is drawn on it.
    assert PAGE_TEXT in page_text(cleaned.data) and FIELD_TEXT in page_text(cleaned.data)


def test_a_plain_pdf_keeps_its_page_and_reports_nothing_removed() -> None:
    cleaned = clean_pdf(plain_pdf(), max_bytes=LIMIT)
    assert cleaned.removed == {} and page_text(cleaned.data) == PAGE_TEXT


def test_cleaning_the_same_pdf_twice_gives_the_same_bytes() -> None:
    raw = hostile_pdf()
    assert clean_pdf(raw, max_bytes=LIMIT).data == clean_pdf(raw, max_bytes=LIMIT).data


def test_an_action_where_no_reader_looks_for_one_is_refused_rather_than_kept() -> None:
    """The rewritten file is searched again, object by object: a Launch action the cleaning does
    not remove (here under a key of the catalog no specification defines) refuses the file."""
    with pikepdf.open(io.BytesIO(plain_pdf())) as pdf:
        pdf.Root["/Extra"] = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("calc.exe"))
        out = io.BytesIO()
        pdf.save(out)
    with pytest.raises(AttachmentRefused) as refused:
        clean_pdf(out.getvalue(), max_bytes=LIMIT)
    assert refused.value.reason == "not_cleanable"


def test_references_to_other_files_are_removed_whatever_holds_them() -> None:
    """Besides GoToR and Launch, a PDF reaches another file through a thread action's /F (ISO
    32000-1, 12.6.4.7: "the file containing the thread"), a stream whose data is in an external
    file (7.3.8.2, /F) and a reference XObject (8.10.4, /Ref). A Windows share named there
    (\\\\host\\share) makes the viewer connect to it, sending the officer's network credentials."""
    share = "\\\\203.0.113.9\\share\\x.pdf"
    with pikepdf.open(io.BytesIO(plain_pdf())) as pdf:
        page = pdf.pages[0]
        thread = pikepdf.Dictionary(S=pikepdf.Name.Thread, F=pikepdf.String(share), D=0)
        page.obj.Annots = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=pikepdf.Array([0, 0, 50, 50]), A=thread))])
        outside = pdf.make_stream(b"", F=pikepdf.String(share))
        proxy = pdf.make_stream(b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=pikepdf.Array([0, 0, 9, 9]),
                                Ref=pikepdf.Dictionary(F=pikepdf.String(share), Page=0))
        page.obj.Resources.XObject = pikepdf.Dictionary(X1=proxy)
        page.obj.Contents = pikepdf.Array([page.obj.Contents, outside])
        out = io.BytesIO()
        pdf.save(out)
    assert out.getvalue().count(b"203.0.113.9") == 3

    cleaned = clean_attachment(out.getvalue(), max_bytes=LIMIT)

    assert b"203.0.113.9" not in cleaned.data
    assert cleaned.removed == {"external_actions": 3}
    assert page_text(cleaned.data) == PAGE_TEXT
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        assert active_content(pdf) == {}


def test_a_pdf_that_unpacks_to_a_gigabyte_costs_the_web_process_no_memory() -> None:
    """An object stream of a megabyte that unpacks to a gigabyte: qpdf unpacks a whole object
    stream to read one object of it, so the PDF is read in a child process whose memory is
    bounded; the web process that called does not grow, and the file is refused or kept without
    the padding, never a 500."""
    raw = object_stream_bomb(1024)
    assert len(raw) < 2 * 1024 * 1024
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    try:
        cleaned = clean_attachment(raw, max_bytes=LIMIT)
    except AttachmentRefused as refused:
        assert refused.reason == "not_pdf"
    else:
        assert cleaned.kind == PDF and len(cleaned.data) < 100_000

    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mib < 100


def test_a_pdf_that_needs_a_password_is_refused_as_encrypted() -> None:
    with pytest.raises(AttachmentRefused) as refused:
        clean_attachment(password_pdf(), max_bytes=LIMIT)
    assert refused.value.reason == "encrypted"


def test_a_pdf_with_only_an_owner_password_is_kept_unlocked() -> None:
    with pikepdf.open(io.BytesIO(plain_pdf())) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="", owner="owner-secret", R=6,
                                                    allow=pikepdf.Permissions(extract=False, print_highres=False)))
    cleaned = clean_pdf(out.getvalue(), max_bytes=LIMIT)
    with pikepdf.open(io.BytesIO(cleaned.data)) as pdf:
        assert not pdf.is_encrypted
    assert page_text(cleaned.data) == PAGE_TEXT


@pytest.mark.parametrize("raw", [
    b"%PDF-1.7\nnot really a pdf at all",
    plain_pdf()[: len(plain_pdf()) // 3],
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
], ids=["header-only", "cut-short", "no-pages"])
def test_something_that_starts_like_a_pdf_but_is_not_one_is_refused_as_not_a_pdf(raw: bytes) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        clean_attachment(raw, max_bytes=LIMIT)
    assert refused.value.reason == "not_pdf"


@pytest.mark.parametrize("raw", [b"<html><script>alert(1)</script></html>", b"MZ\x90\x00 a program", b"hello"],
                         ids=["html", "program", "text"])
def test_a_file_that_is_neither_a_photo_nor_a_pdf_is_refused(raw: bytes) -> None:
    with pytest.raises(AttachmentRefused) as refused:
        clean_attachment(raw, max_bytes=LIMIT)
    assert refused.value.reason == "not_accepted"


def test_an_empty_or_too_large_file_is_refused_before_it_is_read() -> None:
    with pytest.raises(AttachmentRefused) as empty:
        clean_attachment(b"", max_bytes=LIMIT)
    with pytest.raises(AttachmentRefused) as large:
        clean_attachment(plain_pdf(), max_bytes=100)
    assert (empty.value.reason, large.value.reason) == ("empty", "too_large")


def test_a_photo_comes_out_as_a_jpeg_without_camera_details_or_location() -> None:
    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model], exif[Base.BodySerialNumber] = "Hikvision", "DS-2CD2143", "SN-CCTV-0042"
    exif[IFD.GPSInfo] = {1: "N", 2: (32.0, 5.0, 10.5), 3: "E", 4: (121.0, 10.0, 2.0)}
    original = jpeg_bytes(exif=exif)
    assert b"Hikvision" in original

    cleaned = clean_attachment(original, max_bytes=LIMIT)

    assert cleaned.kind == IMAGE and cleaned.removed == {}
    assert b"Hikvision" not in cleaned.data and b"SN-CCTV" not in cleaned.data and b"Exif" not in cleaned.data
    image = Image.open(io.BytesIO(cleaned.data))
    assert image.format == "JPEG" and dict(image.getexif()) == {} and image.getexif().get_ifd(IFD.GPSInfo) == {}


@pytest.mark.parametrize(("given", "kept"), [
    ("C:\\Users\\wang\\Desktop\\笔录 王五.pdf", "笔录 王五.pdf"),
    ("../../etc/passwd", "passwd"),
    ("still\u202egpj.exe", "stillgpj.exe"),  # a right-to-left override would show it as "stillexe.jpg"
    ("  a\tb\n c .  ", "a b c"),
    ("\x00\x07", ""),
    (None, ""),
])
def test_a_file_name_is_kept_without_folders_controls_or_direction_overrides(given: str | None, kept: str) -> None:
    assert safe_file_name(given) == kept


def test_a_long_file_name_is_cut_keeping_its_extension() -> None:
    name = safe_file_name("监控截图" * 100 + ".jpeg")
    assert len(name) == MAX_NAME_LENGTH and name.startswith("监控截图") and name.endswith(".jpeg")


def test_a_photo_downloads_as_jpg_and_a_nameless_file_under_the_fallback() -> None:
    assert download_name("CCTV still.PNG", IMAGE, "TY-1") == "CCTV still.jpg"
    assert download_name("笔录.pdf", PDF, "TY-1") == "笔录.pdf"
    assert download_name("", PDF, "TY-7K3M-9Q2P-3") == "TY-7K3M-9Q2P-3.pdf"


@pytest.mark.parametrize(("fields", "taken"), [
    ({Base.DateTimeOriginal: "2026:03:01 14:22:05", Base.OffsetTimeOriginal: "+08:00"}, "2026-03-01 14:22:05 +08:00"),
    ({Base.DateTimeOriginal: "2026:03:01 14:22:05"}, "2026-03-01 14:22:05"),
    ({Base.DateTimeOriginal: "2026:03:01 14:22:05", Base.OffsetTimeOriginal: "   :  "}, "2026-03-01 14:22:05"),
    ({Base.DateTimeOriginal: "0000:00:00 00:00:00"}, None),
    ({}, None),
])
def test_a_photos_capture_time_is_read_from_exif_before_cleaning(fields: dict[int, str], taken: str | None) -> None:
    exif = Image.Exif()
    exif[IFD.GPSInfo] = {1: "N", 2: (32.0, 5.0, 10.5), 3: "E", 4: (121.0, 10.0, 2.0)}
    if fields:
        exif[IFD.Exif] = fields

    cleaned = clean_attachment(jpeg_bytes(exif=exif), max_bytes=LIMIT)

    assert cleaned.taken_at == taken
    assert dict(Image.open(io.BytesIO(cleaned.data)).getexif()) == {}


def test_a_file_that_is_not_a_photo_has_no_capture_time() -> None:
    assert exif_taken_at(plain_pdf()) is None and exif_taken_at(b"not an image") is None
