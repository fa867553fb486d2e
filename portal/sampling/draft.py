"""The answers of a booking in progress, kept between the pages of the journey.

They live in the visitor's session cookie, encrypted with the portal's data keys (names and
identity numbers must not sit readable in a cookie), so nothing is written to the database until
the booking is made, and nothing typed is lost when the last places are taken meanwhile.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken
from flask import session

from portal.security.crypto import decrypt, encrypt

DRAFT_KEY = "sampling_draft"


def load() -> dict[str, Any]:
    """The draft's answers ({} when none, or when it cannot be read any more)."""
    token = session.get(DRAFT_KEY)
    if not isinstance(token, str):
        return {}
    try:
        value = json.loads(decrypt(token))
    except (InvalidToken, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def save(answers: dict[str, Any]) -> None:
    """Replace the draft with `answers` (JSON-serialisable)."""
    session[DRAFT_KEY] = encrypt(json.dumps(answers, ensure_ascii=False, separators=(",", ":")))


def update(**values: Any) -> dict[str, Any]:
    """Merge `values` into the draft and return it."""
    answers = load()
    answers.update(values)
    save(answers)
    return answers


def clear() -> None:
    """Forget the draft (after booking)."""
    session.pop(DRAFT_KEY, None)
