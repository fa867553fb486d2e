"""Helpers for tests: reading pages the way a person and a checker would, and serving the app on a
real socket."""

from __future__ import annotations

import html

import re
import threading
from collections import Counter
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Callable, Iterator

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve `app` with Werkzeug's threaded server on a free port of 127.0.0.1 for the duration of
    the block; yields its base URL (`http://127.0.0.1:PORT`). Each request runs in its own thread,
    app context and database session, as in production."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.h1_count = 0
        self.title = ""
        self.html_lang: str | None = None
        self.forms: list[dict] = []
        self.inputs: dict[str, str] = {}
        self._in_title = False
        self._form: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "id" in a and a["id"]:
            self.ids.append(a["id"])
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "h1":
            self.h1_count += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action"), "fields": {}}
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select") and a.get("name"):
            if self._form is not None:
                self._form["fields"][a["name"]] = a.get("value") or ""
            self.inputs[a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse_page(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    return parser


def check_page(response: TestResponse) -> _PageParser:
    """Assert the basics every HTML page must have: a title, one h1, <html lang>, unique ids,
    and a CSRF token in every POST form. Returns the parsed page."""
    html = response.get_data(as_text=True)
    page = parse_page(html)
    assert page.title.strip(), "page has no <title>"
    assert page.h1_count == 1, f"page has {page.h1_count} <h1> elements"
    assert page.html_lang in ("zh-CN", "en"), f"<html lang> is {page.html_lang!r}"
    duplicates = [i for i, n in Counter(page.ids).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for form in page.forms:
        if form["method"] == "post":
            assert "csrf_token" in form["fields"], f"POST form to {form['action']} has no CSRF token"
    return page


def get_page(client: FlaskClient, url: str, **kwargs: object) -> tuple[TestResponse, _PageParser]:
    """GET an HTML page, check it (see `check_page`), and return the response and the parsed page."""
    response = client.get(url, **kwargs)
    assert response.status_code == 200, f"GET {url} gave {response.status_code}"
    return response, check_page(response)


def csrf_token(html: str) -> str:
    """The CSRF token in a page's first form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token in page"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict, **kwargs: object) -> TestResponse:
    """GET `url` for its CSRF token, then POST `data` to it like a browser would."""
    page = client.get(url, **kwargs)
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), **data}
    return client.post(url, data=form, **kwargs)


def text_of(response: TestResponse) -> str:
    """The page's text as a reader sees it (for "the page says ..." checks): tags removed, character
    references such as &#34; read as the characters they stand for, whitespace collapsed."""
    page = response.get_data(as_text=True)
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def run_together(count: int, work: Callable[[int], object]) -> None:
    """Run `work(0)` … `work(count - 1)` in `count` threads released at the same instant (a
    barrier), and wait for all of them: two desks or browsers pressing a button at once."""
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        work(index)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
