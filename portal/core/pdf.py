"""PDF documents, made from HTML in a child process (docs/pdf.md).

WeasyPrint lays out HTML and CSS as printed pages, so a PDF and its print page are drawn from the
same Jinja template. Importing and running it costs a process more than 100 MB, and a web worker
must stay under 150 MB, so the web process never imports it: `render_pdf` starts
`python -m portal.core.pdf_worker`, writes the HTML to its standard input and reads the PDF from
its standard output. The child's memory goes back to the system when it exits.

Everything a document shows is in its HTML: styles in a `<style>` element (`document_css`),
images as `data:` URIs (`data_uri`). The worker refuses every other URL (no network, no file
read), so text from the public that reached the page (escaped by Jinja anyway) can make it fetch
nothing. Chinese is set in Noto Sans CJK SC (Debian's fonts-noto-cjk, which
scripts/ensure-pdf-deps.sh installs with the pango libraries WeasyPrint needs).

This module knows no Flask request and imports nothing heavy: the channels call it to turn their
own templates into PDFs (the case file in `portal.staff.case_file_views`; later the ranking
bulletin and posters).
"""

from __future__ import annotations

import base64
import os
import subprocess  # noqa: S404 - the one child process, started with a fixed command, no shell
import sys
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from markupsafe import Markup

WORKER_MODULE = "portal.core.pdf_worker"
# The child's command; a test points it at a program that fails or hangs.
WORKER_COMMAND: tuple[str, ...] = (sys.executable, "-m", WORKER_MODULE)
# Where `python -m portal…` finds the package: the directory that holds portal/.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The child gets these environment variables and no others: it needs fonts, a place for
# fontconfig's cache and a language, never the portal's keys or database address.
CHILD_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "XDG_CACHE_HOME", "FONTCONFIG_FILE", "FONTCONFIG_PATH")
# The end of the child's error output kept in a PdfFailed (for the log).
ERROR_TAIL_CHARS = 2000


class PdfFailed(RuntimeError):
    """The child process gave no PDF.

    `reason`: 'timeout' (stopped after the time allowed) or 'failed' (it could not start, exited
    with an error, or wrote something that is not a PDF). `detail`: the end of its error output,
    for the log; never shown to the reader.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def render_pdf(html: str, *, timeout_seconds: float, base_url: str | None = None) -> bytes:
    """The PDF of `html` (a whole document, UTF-8 when encoded), made by the worker process.

    `timeout_seconds`: wall-clock seconds the child may take before it is killed.
    `base_url`: the address relative links in the document are read against (the links stay
    links in the PDF; nothing is fetched from it). Returns the PDF's bytes.
    Raises PdfFailed ('timeout' or 'failed'). Blocks the calling thread while the child runs.
    """
    command = list(WORKER_COMMAND)
    if base_url:
        command += ["--base-url", base_url]
    environment = {name: os.environ[name] for name in CHILD_ENVIRONMENT if name in os.environ}
    try:
        done = subprocess.run(  # noqa: S603 - a fixed command; the HTML goes through stdin, not the arguments
            command, input=html.encode("utf-8"), capture_output=True, timeout=timeout_seconds,
            cwd=PROJECT_ROOT, env=environment, check=False,
        )
    except subprocess.TimeoutExpired as exc:  # run() has killed the child and waited for it
        raise PdfFailed("timeout", _tail(exc.stderr)) from exc
    except OSError as exc:  # the interpreter could not be started
        raise PdfFailed("failed", str(exc)) from exc
    if done.returncode != 0 or not done.stdout.startswith(b"%PDF-"):
        raise PdfFailed("failed", f"exit status {done.returncode}; {_tail(done.stderr)}")
    return done.stdout


def _tail(output: bytes | str | None) -> str:
    if not output:
        return ""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    return text[-ERROR_TAIL_CHARS:]


def data_uri(data: bytes, mimetype: str) -> str:
    """`data` as a `data:` URI (base64), for an image the PDF worker may show."""
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


def css_string(text: str) -> str:
    """`text` as a quoted CSS string (for `content:` in a page's margin boxes): backslashes,
    quotes, line ends and `<` escaped, so neither the CSS nor the `<style>` element can be ended."""
    escaped = []
    for char in text:
        if char in '\\"<>' or char in "\n\r\f" or ord(char) < 0x20:
            escaped.append(f"\\{ord(char):x} ")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


PAGE_MARK, PAGES_MARK = "\x00page\x00", "\x00pages\x00"


def page_number_content(words: str) -> str:
    """A CSS `content` value for "page N of M" from a translated sentence that holds PAGE_MARK
    and PAGES_MARK where the numbers go ("Page {PAGE_MARK} of {PAGES_MARK}", "第{PAGE_MARK}页，共{PAGES_MARK}页"):
    its words as CSS strings around `counter(page)` and `counter(pages)`."""
    parts: list[str] = []
    for piece in words.split(PAGES_MARK):
        if parts:
            parts.append("counter(pages)")
        for index, text in enumerate(piece.split(PAGE_MARK)):
            if index:
                parts.append("counter(page)")
            if text:
                parts.append(css_string(text))
    return " ".join(parts) or '""'


@lru_cache(maxsize=16)
def _read_css(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def document_css(static_folder: str, stylesheets: Iterable[str], *, header_left: str = "", header_right: str = "",
                 page_words: str = "") -> Markup:
    """The styles of a PDF document, for its `<style>` element: each of `stylesheets` (paths under
    `static_folder`, such as "css/pdf.css"; read once per process) followed by the running
    header (`header_left`, `header_right`: plain text) and the page numbers (`page_words`, see
    `page_number_content`) in the page's margins. Raises FileNotFoundError for a missing sheet."""
    sheets = [_read_css(str(Path(static_folder) / name)) for name in stylesheets]
    margins = []
    if header_left:
        margins.append(f"@top-left {{ content: {css_string(header_left)}; }}")
    if header_right:
        margins.append(f"@top-right {{ content: {css_string(header_right)}; }}")
    if page_words:
        margins.append(f"@bottom-right {{ content: {page_number_content(page_words)}; }}")
    if margins:
        sheets.append("@page { " + " ".join(margins) + " }")
    # Our own files and text escaped by css_string: nothing here can end the <style> element.
    return Markup("\n".join(sheets).replace("</", "<\\/"))  # noqa: S704 - see the line above
