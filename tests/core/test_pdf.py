"""PDFs made in a child process (portal.core.pdf): Chinese text that a reader can extract, images
only from data: URIs (nothing fetched from the network or the disk), failures and timeouts as
PdfFailed, a child without the portal's secrets, and the CSS the running header is written with."""

from __future__ import annotations

import io
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Iterator

import pypdf
import pytest

from portal.core import pdf
from tests.support.tips import jpeg_bytes


def _document(body: str, style: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>档案</title>'
            f"<style>html {{ font-family: 'Noto Sans CJK SC'; }} {style}</style></head><body>{body}</body></html>")


def _read(data: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text, len({image.data for page in reader.pages for image in page.images})


@pytest.fixture
def web_server() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that answers every GET with a PNG and lists the paths asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()
            self.wfile.write(jpeg_bytes())

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()
        thread.join(5)


def test_chinese_text_comes_out_of_the_pdf_as_written() -> None:
    data = pdf.render_pdf(_document("<h1>档案TY-7K3M-9Q2P</h1><p>举报人所述：火车站有小孩乞讨</p>"), timeout_seconds=30)

    text, _images = _read(data)
    assert data.startswith(b"%PDF-")
    assert "档案TY-7K3M-9Q2P" in text and "举报人所述：火车站有小孩乞讨" in text
    assert "weasyprint" not in sys.modules


def test_only_data_uri_images_are_read_never_the_network_or_a_file(tmp_path: Path, web_server) -> None:  # type: ignore[no-untyped-def]
    base, asked = web_server
    on_disk = tmp_path / "secret.jpg"
    on_disk.write_bytes(jpeg_bytes((40, 30)))
    body = (f'<img alt="inline" src="{pdf.data_uri(jpeg_bytes((64, 48)), "image/jpeg")}">'
            f'<img alt="web" src="{base}/photo.jpg"><img alt="disk" src="file://{on_disk}">'
            f'<img alt="relative" src="photo.jpg">')

    data = pdf.render_pdf(_document(body, style=f'body {{ background: url("{base}/background.jpg"); }}'),
                          timeout_seconds=30, base_url=base + "/")

    _text, images = _read(data)
    assert images == 1
    assert asked == []


def test_a_worker_that_fails_or_writes_no_pdf_raises_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    for program in ("import sys; sys.exit(3)", "print('<html>not a pdf</html>')"):
        monkeypatch.setattr(pdf, "WORKER_COMMAND", (sys.executable, "-c", program))
        with pytest.raises(pdf.PdfFailed) as failure:
            pdf.render_pdf(_document("<p>x</p>"), timeout_seconds=30)
        assert failure.value.reason == "failed"


def test_a_worker_that_takes_too_long_is_stopped_and_raises_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "WORKER_COMMAND", (sys.executable, "-c", "import time; time.sleep(60)"))

    with pytest.raises(pdf.PdfFailed) as failure:
        pdf.render_pdf(_document("<p>x</p>"), timeout_seconds=0.5)

    assert failure.value.reason == "timeout"


def test_the_child_gets_no_secrets_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://user:password@db/portal")
    program = "import os, sys; sys.stdout.write('%PDF-' + ','.join(sorted(os.environ)))"
    monkeypatch.setattr(pdf, "WORKER_COMMAND", (sys.executable, "-c", program))

    names = pdf.render_pdf("<p>x</p>", timeout_seconds=30).decode()[len("%PDF-"):].split(",")

    assert "SECRET_KEY" not in names and "DATABASE_URL" not in names
    assert set(names) <= set(pdf.CHILD_ENVIRONMENT) | {"LC_CTYPE"}  # Python may set LC_CTYPE itself


def test_text_in_the_page_margins_is_quoted_so_it_cannot_end_the_css_or_the_style_element() -> None:
    assert pdf.css_string('档案 "A"\\</style>') == '"档案 \\22 A\\22 \\5c \\3c /style\\3e "'
    words = "第" + pdf.PAGE_MARK + "页，共" + pdf.PAGES_MARK + "页"
    assert pdf.page_number_content(words) == '"第" counter(page) "页，共" counter(pages) "页"'
    english = "Page " + pdf.PAGE_MARK + " of " + pdf.PAGES_MARK
    assert pdf.page_number_content(english) == '"Page " counter(page) " of " counter(pages)'


def test_document_css_puts_the_running_header_and_page_numbers_in_the_margins(tmp_path: Path) -> None:
    (tmp_path / "page.css").write_text("h1 { color: red; }", encoding="utf-8")

    css = pdf.document_css(str(tmp_path), ["page.css"], header_left="档案TY-1", header_right="内部资料",
                           page_words="Page " + pdf.PAGE_MARK + " of " + pdf.PAGES_MARK)

    assert css.startswith("h1 { color: red; }")
    assert '@top-left { content: "档案TY-1"; }' in css and '@top-right { content: "内部资料"; }' in css
    assert '@bottom-right { content: "Page " counter(page) " of " counter(pages); }' in css
