"""The answers of a booking in progress, kept between the pages of the journey.

They live server-side in a `SamplingDraft` row (portal.core.drafts: found through a random id in the
`sampling_draft` cookie, answers encrypted, deleted by the worker SAMPLING_DRAFT_HOURS after the
last change, or at once by "Exit this page"), not in the session cookie: a long answer ("What do
you remember", up to 2,000 characters) would push the session cookie past the browser's 4 KB and
be dropped silently.
Nothing is written to the appointment tables until the booking is made, and nothing typed is
lost when the last places are taken meanwhile.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from portal.core.drafts import DraftStore
from portal.core.extensions import db
from portal.core.models import SamplingDraft

DRAFT_COOKIE = "sampling_draft"


def _hours() -> int:
    return int(current_app.config["SETTINGS"].sampling_draft_hours)


# The cookie was path /sampling until "Exit this page" (/exit) needed to receive it.
STORE: DraftStore[SamplingDraft] = DraftStore(
    SamplingDraft, cookie=DRAFT_COOKIE, purpose="sampling-draft", hours=_hours, former_paths=("/sampling",)
)


def load() -> dict[str, Any]:
    """The draft's answers ({} when none, expired, or unreadable)."""
    return STORE.answers_of(STORE.current())


def in_progress() -> bool:
    """Whether this browser has a booking under way: its first page answered (who is booking) and
    not booked yet; the answers every later page of the journey builds on."""
    return bool(load().get("role"))


def save(answers: dict[str, Any]) -> None:
    """Replace the draft with `answers` (JSON-serialisable) and commit; starts a draft (and its
    cookie) when this browser has none."""
    row = STORE.current() or STORE.start()
    STORE.save_answers(row, answers, replace=True)
    db.session.commit()


def update(**values: Any) -> dict[str, Any]:
    """Merge `values` into the draft, commit, and return the answers."""
    answers = load()
    answers.update(values)
    save(answers)
    return answers


def clear() -> None:
    """Forget the draft's answers (commits)."""
    row = STORE.current()
    if row is not None:
        db.session.delete(row)
        db.session.commit()


def forget() -> None:
    """Forget this browser's booking draft ("Exit this page"; a forgetter of
    `portal.core.forgetting`): the `sampling_draft` cookie is deleted and the row, with the names
    and identity numbers typed, expired or not. A booking already made stays. The caller commits."""
    row = STORE.forget()
    if row is not None:
        db.session.delete(row)
