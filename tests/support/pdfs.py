"""PDFs built for tests with pikepdf: a plain one, and a hostile one carrying everything
`portal.core.attachments.clean_pdf` must take out (scripts, open and additional actions, a
launch action, a javascript: link, an embedded file, a file-attachment annotation, a form with a
filled-in field, XFA)."""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
from pikepdf import Array, Dictionary, Name, String

PAGE_TEXT = "Witness statement"  # drawn on the page (Helvetica), kept by cleaning
FIELD_TEXT = "Zhang San"  # the filled-in form field's value, drawn by its appearance stream
EMBEDDED_NAME = "payload.exe"
EMBEDDED_BYTES = b"MZ\x90\x00 pretend program"
SCRIPT = "app.alert('opened');"


def _page(pdf: pikepdf.Pdf) -> pikepdf.Page:
    pdf.add_blank_page(page_size=(300, 200))
    page = pdf.pages[-1]
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
    page.obj.Contents = pdf.make_stream(f"BT /F1 14 Tf 20 150 Td ({PAGE_TEXT}) Tj ET".encode())
    return page


def _save(pdf: pikepdf.Pdf, **options: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, **options)  # type: ignore[arg-type]
    return out.getvalue()


def plain_pdf() -> bytes:
    """A one-page PDF with PAGE_TEXT and nothing active."""
    with pikepdf.new() as pdf:
        _page(pdf)
        return _save(pdf)


def password_pdf(password: str = "secret") -> bytes:
    """A one-page PDF that needs `password` to open (AES-256)."""
    with pikepdf.new() as pdf:
        _page(pdf)
        return _save(pdf, encryption=pikepdf.Encryption(user=password, owner=password, R=6))


def hostile_pdf() -> bytes:
    """A one-page PDF with PAGE_TEXT that carries: JavaScript as the /OpenAction and in the
    /Names /JavaScript tree; page and document additional actions (/AA) running JavaScript; a
    link annotation with a javascript: URI and one with a Launch action; an embedded file
    (EMBEDDED_NAME) in /Names /EmbeddedFiles and a FileAttachment annotation holding it; and an
    /AcroForm with XFA and one text field, filled in with FIELD_TEXT (an appearance stream),
    whose widget runs JavaScript on focus."""
    with pikepdf.new() as pdf:
        page = _page(pdf)
        script = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(SCRIPT)))
        pdf.Root.OpenAction = script
        named = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String("this.exportDataObject({cName: 'x'});")))
        pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), named])))
        pdf.Root.AA = Dictionary(WC=Dictionary(S=Name.JavaScript, JS=String(SCRIPT)))
        page.obj.AA = Dictionary(O=Dictionary(S=Name.JavaScript, JS=String(SCRIPT)))

        spec = pikepdf.AttachedFileSpec(pdf, EMBEDDED_BYTES, filename=EMBEDDED_NAME, mime_type="application/octet-stream")
        pdf.attachments[EMBEDDED_NAME] = spec
        file_annot = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.FileAttachment, Rect=Array([250, 150, 270, 170]), FS=spec.obj,
            Contents=String("open me")))
        js_link = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=Array([20, 140, 200, 170]), Border=Array([0, 0, 0]),
            A=Dictionary(S=Name.URI, URI=String("javascript:alert(1)"))))
        launch_link = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=Array([20, 100, 200, 130]), Border=Array([0, 0, 0]),
            A=Dictionary(S=Name.Launch, F=String("C:\\Windows\\System32\\calc.exe"))))

        appearance = pdf.make_stream(
            f"/Tx BMC BT /F1 12 Tf 2 6 Td ({FIELD_TEXT}) Tj ET EMC".encode(),
            Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 180, 24]),
            Resources=Dictionary(Font=Dictionary(F1=page.obj.Resources.Font.F1)))
        widget = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("name"), V=String(FIELD_TEXT),
            Rect=Array([20, 40, 200, 64]), F=4, P=page.obj, AP=Dictionary(N=appearance),
            DA=String("/F1 12 Tf 0 g"), AA=Dictionary(Fo=Dictionary(S=Name.JavaScript, JS=String(SCRIPT)))))
        xfa = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'><script>app.alert(1)</script></xdp:xdp>")
        pdf.Root.AcroForm = Dictionary(Fields=Array([widget]), XFA=xfa, DA=String("/F1 12 Tf 0 g"),
                                       DR=Dictionary(Font=Dictionary(F1=page.obj.Resources.Font.F1)))
        page.obj.Annots = Array([file_annot, js_link, launch_link, widget])
        return _save(pdf)


def object_stream_bomb(megabytes: int) -> bytes:
    """A one-page PDF whose page refers to an object kept in a compressed object stream (ISO
    32000-1, 7.5.7) that unpacks to `megabytes` MiB of spaces: about a thousandth of that on disk.
    Reading the object means unpacking the whole stream (a decompression bomb)."""
    packer = zlib.compressobj(9)
    data = packer.compress(b"4 0 << /Type /Padding >>")
    megabyte = b" " * (1024 * 1024)
    data += b"".join(packer.compress(megabyte) for _ in range(megabytes)) + packer.flush()
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n")
    offsets = {}
    for number, body in enumerate((b"<< /Type /Catalog /Pages 2 0 R >>",
                                   b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                   b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Padding 4 0 R >>"), start=1):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    offsets[5] = out.tell()
    out.write(b"5 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(data))
    out.write(data + b"\nendstream\nendobj\n")
    xref = out.tell()
    # A cross-reference stream (7.5.8): object 4 is the first object of object stream 5.
    rows = [struct.pack(">BIH", 0, 0, 65535)] + [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3)]
    rows += [struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, offsets[5], 0), struct.pack(">BIH", 1, xref, 0)]
    table = b"".join(rows)
    out.write(b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table))
    out.write(table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def page_text(data: bytes) -> str:
    """Every text-showing operand of every page's content and its form XObjects, decoded as
    Latin-1: enough to see which words a page still draws (the test PDFs use plain strings)."""
    words: list[str] = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages:
            streams = [page]
            xobjects = page.obj.get("/Resources", Dictionary()).get("/XObject", Dictionary())
            streams += [xobjects[key] for key in xobjects.keys()]
            for stream in streams:
                for operands, operator in pikepdf.parse_content_stream(stream):
                    if str(operator) in ("Tj", "'", '"'):
                        words.append(bytes(operands[-1]).decode("latin-1"))
    return " ".join(words)
