"""The answers of a booking in progress, kept between the pages of the journey.

They live server-side in a `SamplingDraft` row (portal.drafts: found through a random id in the
`sampling_draft` cookie, answers encrypted, deleted by the worker SAMPLING_DRAFT_HOURS after the
last change), not in the session cookie: a long answer ("What do you remember", up to 2,000
characters) would push the session cookie past the browser's 4 KB and be dropped silently.
Nothing is written to the appointment tables until the booking is made, and nothing typed is
lost when the last places are taken meanwhile.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

from portal.drafts import DraftStore
from portal.extensions import db
from portal.models import SamplingDraft

DRAFT_COOKIE = "sampling_draft"


def _hours() -> int:
    return int(current_app.config["SETTINGS"].sampling_draft_hours)


STORE: DraftStore[SamplingDraft] = DraftStore(
    SamplingDraft, cookie=DRAFT_COOKIE, path="/sampling", purpose="sampling-draft", hours=_hours
)


def load() -> dict[str, Any]:
    """The draft's answers ({} when none, expired, or unreadable)."""
    return STORE.answers_of(STORE.current())


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
