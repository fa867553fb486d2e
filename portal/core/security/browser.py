"""A random secret per browser session, for recognising a browser's own earlier submission.

The secret lives only in the (signed) session cookie; what is stored with a tip or booking is
its HMAC, so nobody reading the page or the database can forge "the same browser".
"""

from __future__ import annotations

import secrets

from flask import session

from portal.core.security.crypto import lookup_hash

_SESSION_KEY = "browser_secret"


def browser_secret() -> str:
    """This browser session's secret (created on first use; 128 random bits, url-safe text)."""
    secret = session.get(_SESSION_KEY)
    if not isinstance(secret, str) or len(secret) < 16:
        secret = secrets.token_urlsafe(16)
        session[_SESSION_KEY] = secret
    return secret


def browser_key(purpose: str) -> str:
    """HMAC-SHA256 (hex) of this browser's secret for `purpose`: safe to store with a submission."""
    return lookup_hash(browser_secret(), purpose)


def forget_browser_secret() -> None:
    """Drop this browser session's secret ("Exit this page"): its later submissions are no longer
    recognised as this browser's earlier ones. A forgetter of `portal.core.forgetting`."""
    session.pop(_SESSION_KEY, None)
