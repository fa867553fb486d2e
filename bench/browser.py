"""A small HTTP client for the benchmark's set-up steps (sign-in, fetching forms), with its own cookies.

Not `requests`' cookie jar: the portal runs with production settings, so its cookies are
`Secure`, and a jar would not send them back over the plain http of 127.0.0.1. A real TLS proxy
would; here the benchmark plays both browser and proxy, and sends X-Forwarded-For and
X-Forwarded-Proto as the proxy would.
"""

from __future__ import annotations

import http.client
import re
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

USER_AGENT = "tuanyuan-bench"
# The portal's public host name as the proxy passes it on (X-Forwarded-Host); see bench/prepare.py.
PUBLIC_HOST = "portal.bench.invalid"


@dataclass
class Page:
    """One response: status code, headers (lower-case names; Set-Cookie folded away) and text."""

    status: int
    headers: dict[str, str]
    text: str


@dataclass
class Browser:
    """One visitor: a cookie store, a client address and a user agent, against one server."""

    base_url: str
    client_address: str = "10.255.0.1"
    user_agent: str = USER_AGENT
    cookies: dict[str, str] = field(default_factory=dict)

    def cookie_header(self) -> str:
        """The Cookie header this browser would send."""
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Page:
        """Send one request (no redirects followed) and keep the cookies it sets."""
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {
            "User-Agent": self.user_agent,
            "X-Forwarded-For": self.client_address,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": PUBLIC_HOST,
        }
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            # A browser posting a form from one of our pages (Flask-WTF checks it on https).
            headers["Referer"] = f"https://{PUBLIC_HOST}{path}"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for raw in response.msg.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(raw)
                for name, morsel in jar.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            headers_out = {k.lower(): v for k, v in response.getheaders() if k.lower() != "set-cookie"}
            return Page(response.status, headers_out, text)
        finally:
            conn.close()

    def get(self, path: str) -> Page:
        """GET `path`."""
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> Page:
        """POST `form` (url-encoded) to `path`."""
        return self.request("POST", path, form)


_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')


def form_inputs(html: str) -> list[dict[str, str]]:
    """Every <input> of a page as a dict of its attributes (values unescaped)."""
    return [
        {name.lower(): unescape(value) for name, value in _ATTRIBUTE.findall(tag)} for tag in _INPUT.findall(html)
    ]


def hidden_fields(html: str) -> dict[str, str]:
    """The page's hidden inputs (CSRF token, submission id, ...) by name."""
    return {i["name"]: i.get("value", "") for i in form_inputs(html) if i.get("type") == "hidden" and "name" in i}


def local_path(location: str) -> str:
    """The path and query of a redirect's Location (absolute or relative)."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")
