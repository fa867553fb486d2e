"""The child process of `portal.core.pdf.render_pdf`: an HTML document on standard input, its PDF
on standard output (docs/pdf.md).

Run as `python -m portal.core.pdf_worker [--base-url URL]`. It imports WeasyPrint, which the web
process never does. Only `data:` URLs are read (the document's own images); every other URL, on
the network or on disk, is refused, and WeasyPrint leaves that image or style out and says so on
standard error. Exit status 0 with the PDF written, anything else on failure (the parent reads
it as `PdfFailed('failed')`).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher


class InlineOnlyFetcher(URLFetcher):
    """WeasyPrint's URL fetcher, reading `data:` URLs only."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> Any:
        """The resource at a `data:` URL; ValueError for any other (WeasyPrint warns and goes on)."""
        if not url.lower().startswith("data:"):
            raise ValueError(f"refused: only data: URLs are read, not {url[:80]!r}")
        return super().fetch(url, headers)


def make_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of `html`, laid out by WeasyPrint, tagged for screen readers (PDF/UA-1)."""
    document = HTML(string=html, base_url=base_url, url_fetcher=InlineOnlyFetcher())
    return document.write_pdf(pdf_variant="pdf/ua-1")


def main(argv: list[str] | None = None) -> int:
    """Read the HTML from standard input, write its PDF to standard output; the exit status."""
    parser = argparse.ArgumentParser(prog="python -m portal.core.pdf_worker")
    parser.add_argument("--base-url", default=None)
    args = parser.parse_args(argv)
    html = sys.stdin.buffer.read().decode("utf-8")
    sys.stdout.buffer.write(make_pdf(html, args.base_url))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
