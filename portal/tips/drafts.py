"""Server-side drafts of the tip journey, found through a random id in their own cookie.

The answers given so far live in a `TipDraft` row, not in the session: they survive a refresh,
the back button, a lost or deleted session cookie and an expired CSRF token, and switching
language. The cookie (`tip_draft`, HttpOnly, SameSite=Lax, path /tips) holds 192 random bits; the
row holds only their HMAC, so neither the page nor the database lets anyone else open a draft.
A draft lives TIP_DRAFT_HOURS after its last change, then the worker deletes it and its photos.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import after_this_request, current_app, g, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from portal.extensions import db
from portal.models import TipDraft, utcnow
from portal.security.crypto import lookup_hash

DRAFT_COOKIE = "tip_draft"
_PURPOSE = "tip-draft"


def _hours() -> int:
    return int(current_app.config["SETTINGS"].tip_draft_hours)


def _token_from_cookie() -> str | None:
    token = request.cookies.get(DRAFT_COOKIE, "")
    return token if 20 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum() else None


def draft_token() -> str | None:
    """This browser's draft id (from the cookie, or the one just made in this request), or None."""
    return g.get("tip_draft_token") or _token_from_cookie()


def current_draft(now: datetime | None = None) -> TipDraft | None:
    """The visitor's unexpired draft, or None (no cookie, unknown id, or expired)."""
    token = draft_token()
    if token is None:
        return None
    draft = db.session.scalar(select(TipDraft).where(TipDraft.key_hash == lookup_hash(token, _PURPOSE)))
    if draft is None or draft.expires_at <= (now or utcnow()):
        return None
    return draft


def start_draft(now: datetime | None = None) -> TipDraft:
    """A new empty draft for this browser (added to the session, uncommitted); sets its cookie on the response."""
    token = secrets.token_urlsafe(24)
    g.tip_draft_token = token
    now = now or utcnow()
    draft = TipDraft(
        key_hash=lookup_hash(token, _PURPOSE),
        answers=json.dumps({}),
        created_at=now,
        expires_at=now + timedelta(hours=_hours()),
    )
    db.session.add(draft)
    max_age = _hours() * 3600
    secure = current_app.config["SESSION_COOKIE_SECURE"]

    @after_this_request
    def _set_cookie(response: Response) -> Response:
        response.set_cookie(
            DRAFT_COOKIE, token, max_age=max_age, path="/tips", httponly=True, samesite="Lax", secure=secure
        )
        return response

    return draft


def open_draft() -> TipDraft:
    """The visitor's draft still being filled in, or a new one (after expiry or a sent report)."""
    draft = current_draft()
    if draft is None or draft.tip_id is not None:
        draft = start_draft()
    return draft


def answers_of(draft: TipDraft | None) -> dict[str, Any]:
    """The draft's answers as a dict (empty for None or an unreadable draft)."""
    if draft is None or not draft.answers:
        return {}
    try:
        value = json.loads(draft.answers)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def save_answers(draft: TipDraft, updates: dict[str, Any], remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """Merge `updates` into the draft's answers, drop the keys in `remove`, and keep the draft
    another TIP_DRAFT_HOURS. Returns the new answers. The caller commits."""
    answers = answers_of(draft)
    answers.update(updates)
    for key in remove:
        answers.pop(key, None)
    draft.answers = json.dumps(answers, ensure_ascii=False)
    draft.expires_at = utcnow() + timedelta(hours=_hours())
    return answers


def draft_submission_id() -> str | None:
    """The id that makes sending this draft idempotent: the draft's own secret (never in a page)."""
    token = draft_token()
    return f"draft:{token}" if token else None
