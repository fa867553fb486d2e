"""Redirects that can only lead to this site."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urlsplit

# `%2e` is a dot to a browser resolving `..` in a path (WHATWG URL standard, "single-dot/double-dot segment").
_ENCODED_DOT = re.compile("%2e", re.IGNORECASE)


def safe_next(target: str | None, fallback: str) -> str:
    """Return `target` if it is a path on this site (no scheme, no host), else `fallback`.

    Keeps redirects after a language switch from sending people to another site. Browsers drop
    tabs and newlines from URLs and read a backslash as a slash, so `/\t/evil.example` would
    become `//evil.example`: any whitespace, control character or backslash is refused. Dot
    segments are resolved (`/staff/../../evil` is `/evil`, `%2e` counts as a dot), so callers
    that accept only paths under a prefix check the path the browser will really open.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return _resolve_dots(target, parts.path)


def _resolve_dots(target: str, path: str) -> str:
    """`target` with `.` and `..` segments of its path resolved as the browser would resolve them,
    so that a check on the returned path (`/staff/…`) holds for where the browser really goes."""
    decoded = _ENCODED_DOT.sub(".", path)
    segments = decoded.split("/")
    if "." not in segments and ".." not in segments:
        return target
    resolved = posixpath.normpath(decoded)
    if resolved.startswith("//"):
        resolved = "/" + resolved.lstrip("/")
    if decoded.endswith("/") and resolved != "/":
        resolved += "/"
    return resolved + target[len(path):]
