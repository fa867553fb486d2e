"""Redirects that can only lead to this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str) -> str:
    """Return `target` if it is a path on this site (no scheme, no host), else `fallback`.

    Keeps redirects after a language switch from sending people to another site. Browsers drop
    tabs and newlines from URLs and read a backslash as a slash, so `/\t/evil.example` would
    become `//evil.example`: any whitespace, control character or backslash is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
