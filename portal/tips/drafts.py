"""Server-side drafts of the tip journey, found through a random id in their own cookie (the
mechanism, shared with the sampling journey, is `portal.core.drafts.DraftStore`).

The answers given so far live in a `TipDraft` row, not in the session: they survive a refresh,
the back button, a lost or deleted session cookie and an expired CSRF token, and switching
language. The cookie (`tip_draft`, HttpOnly, SameSite=Lax, path /) holds 192 random bits; the
row holds only their HMAC, so neither the page nor the database lets anyone else open a draft.
A draft lives TIP_DRAFT_HOURS after its last change, then the worker deletes it and its photos;
"Exit this page" deletes it at once (`forget_draft`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app

from portal.core.drafts import DraftStore
from portal.core.extensions import db
from portal.core.models import TipDraft
from portal.core.photos import delete_photo_file
from portal.tips.service import stop_showing_follow_up_code

DRAFT_COOKIE = "tip_draft"
_PURPOSE = "tip-draft"


def _hours() -> int:
    return int(current_app.config["SETTINGS"].tip_draft_hours)


# The cookie was path /tips until "Exit this page" (/exit) needed to receive it.
STORE: DraftStore[TipDraft] = DraftStore(TipDraft, cookie=DRAFT_COOKIE, purpose=_PURPOSE, hours=_hours,
                                         former_paths=("/tips",))


def draft_token() -> str | None:
    """This browser's draft id (from the cookie, or the one just made in this request), or None."""
    return STORE.token()


def current_draft(now: datetime | None = None) -> TipDraft | None:
    """The visitor's unexpired draft, or None (no cookie, unknown id, or expired)."""
    return STORE.current(now)


def start_draft(now: datetime | None = None) -> TipDraft:
    """A new empty draft for this browser (added to the session, uncommitted); sets its cookie on the response."""
    return STORE.start(now)


def open_draft() -> TipDraft:
    """The visitor's draft still being filled in, or a new one (after expiry or a sent report)."""
    draft = current_draft()
    if draft is None or draft.tip_id is not None:
        draft = start_draft()
    return draft


def draft_in_progress() -> bool:
    """Whether this browser has a tip draft being filled in (unexpired, not sent): the answers a
    question page after the first builds on."""
    draft = current_draft()
    return draft is not None and draft.tip_id is None


def answers_of(draft: TipDraft | None) -> dict[str, Any]:
    """The draft's answers as a dict (empty for None or an unreadable draft)."""
    return STORE.answers_of(draft)


def save_answers(draft: TipDraft, updates: dict[str, Any], remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """Merge `updates` into the draft's answers, drop the keys in `remove`, and keep the draft
    another TIP_DRAFT_HOURS. Returns the new answers. The caller commits."""
    return STORE.save_answers(draft, updates, remove)


def draft_submission_id() -> str | None:
    """The id that makes sending this draft idempotent: the draft's own secret (never in a page)."""
    token = draft_token()
    return f"draft:{token}" if token else None


def forget_draft() -> None:
    """Forget this browser's tip draft ("Exit this page"; a forgetter of `portal.core.forgetting`).

    The `tip_draft` cookie is deleted. A draft still being filled in goes with its answers and its
    photos (rows and files); a sent one goes too, and the tip it sent stops showing its follow-up
    code (`stop_showing_follow_up_code`): the report itself is the police's and stays. The caller
    commits.
    """
    draft = STORE.forget()
    if draft is None:
        return
    if draft.tip is not None:
        stop_showing_follow_up_code(draft.tip)
    folder = current_app.config["SETTINGS"].tip_photo_dir
    for photo in list(draft.photos):
        if photo.tip_id is None:
            delete_photo_file(folder, photo.stored_name)
            db.session.delete(photo)
        else:
            photo.draft_id = None
    db.session.delete(draft)
