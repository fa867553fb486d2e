"""Following up a tip anonymously: the progress check with its lockout, staff questions, and the
tipster's answers.

A reference number is locked for FOLLOW_UP_LOCK_MINUTES after FOLLOW_UP_MAX_FAILURES wrong
follow-up codes. Wrong codes are counted per reference *as typed*, whether or not a tip has that
reference, in rows that hold only an HMAC of it: a locked reference and one that does not exist
behave identically, and the table cannot be read as a list of references.

The same counter (`is_locked`, `count_failure`) serves other keys that need a failures lock
without an HTTP request to rate-limit: the SMS hotline counts each sending number's failed
progress checks with it (`portal.sms.flows.status`).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import FollowUpGuard, Tip, TipFollowUp, TipPhoto, TipQuestion, utcnow
from portal.security.crypto import lookup_hash
from portal.security.references import normalise_reference
from portal.tips.service import find_tip_for_follow_up

_GUARD_PURPOSE = "follow-up-guard"


class LookupOutcome(str, enum.Enum):
    FOUND = "found"
    NOT_FOUND = "not_found"  # unknown reference or wrong code: one outcome, on purpose
    LOCKED = "locked"  # too many wrong codes for this reference (or for this non-existent one)


@dataclass(frozen=True)
class LookupResult:
    """The outcome of a progress check; `tip` only when FOUND."""

    outcome: LookupOutcome
    tip: Tip | None = None


def _guard_key(reference_text: str) -> str:
    reference = normalise_reference(reference_text)
    if reference is None:
        reference = re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", reference_text or "").upper())
    return lookup_hash(reference, _GUARD_PURPOSE)


def check_follow_up(
    reference_text: str,
    code_text: str,
    *,
    max_failures: int,
    lock_minutes: int,
    now: datetime | None = None,
) -> LookupResult:
    """Check a typed reference number and follow-up code, counting wrong codes per reference.

    `max_failures` wrong codes within `lock_minutes` lock the reference for `lock_minutes`
    (UTC clock). While locked, even the right code gives LOCKED. A right code clears the count.
    Writes to the session; the caller commits.
    """
    now = now or utcnow()
    key = _guard_key(reference_text)
    if is_locked(key, now):
        return LookupResult(LookupOutcome.LOCKED)
    tip = find_tip_for_follow_up(reference_text, code_text)
    if tip is not None:
        guard = _guard(key)
        if guard is not None:
            db.session.delete(guard)
        return LookupResult(LookupOutcome.FOUND, tip)
    if count_failure(key, max_failures=max_failures, lock_minutes=lock_minutes, now=now):
        return LookupResult(LookupOutcome.LOCKED)
    return LookupResult(LookupOutcome.NOT_FOUND)


def _guard(key: str) -> FollowUpGuard | None:
    return db.session.scalar(select(FollowUpGuard).where(FollowUpGuard.reference_hash == key))


def is_locked(key: str, now: datetime) -> bool:
    """True while the guard row `key` (an HMAC, 64 hex characters) is locked at UTC `now`."""
    guard = _guard(key)
    return guard is not None and guard.locked_until is not None and guard.locked_until > now


def count_failure(key: str, *, max_failures: int, lock_minutes: int, now: datetime) -> bool:
    """Count one failure against the guard row `key` (an HMAC, 64 hex characters); return True
    when the key is now locked.

    `max_failures` failures within `lock_minutes` (counted from the first, UTC `now`) lock the key
    for `lock_minutes`; a lock that has run out, or failures older than that, start the count
    again. Writes to the session; the caller commits.
    """
    window = timedelta(minutes=lock_minutes)
    guard = _guard(key)
    if guard is None:
        guard = _new_guard(key, now)
    elif guard.locked_until is not None or guard.first_failure_at <= now - window:
        # A lock that has run out, or old failures: start counting again.
        guard.failures, guard.first_failure_at, guard.locked_until = 0, now, None
    guard.failures += 1
    if guard.failures >= max_failures:
        guard.locked_until = now + window
        return True
    return False


def _new_guard(key: str, now: datetime) -> FollowUpGuard:
    savepoint = db.session.begin_nested()
    guard = FollowUpGuard(reference_hash=key, failures=0, first_failure_at=now)
    db.session.add(guard)
    try:
        savepoint.commit()
    except IntegrityError:
        # Another request counted a failure for the same reference at the same moment.
        savepoint.rollback()
        guard = db.session.scalar(select(FollowUpGuard).where(FollowUpGuard.reference_hash == key))
        assert guard is not None
    return guard


def forget_old_guards(now: datetime, keep_hours: int = 24) -> int:
    """Delete guard rows not locked and with no failure in the last `keep_hours` hours; return how many."""
    result = db.session.execute(
        delete(FollowUpGuard)
        .where(
            FollowUpGuard.first_failure_at < now - timedelta(hours=keep_hours),
            (FollowUpGuard.locked_until.is_(None)) | (FollowUpGuard.locked_until < now),
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class Conversation:
    """A tip's questions from staff, each with the tipster's answers, and what the tipster added unasked."""

    questions: list[tuple[TipQuestion, list[TipFollowUp]]]
    additions: list[TipFollowUp]
    photos: list[TipPhoto]


def conversation(tip: Tip) -> Conversation:
    """Questions (oldest first) with their answers, unprompted additions, and every photo of the tip."""
    questions = db.session.scalars(
        select(TipQuestion).where(TipQuestion.tip_id == tip.id).order_by(TipQuestion.asked_at, TipQuestion.id)
    ).all()
    follow_ups = db.session.scalars(
        select(TipFollowUp).where(TipFollowUp.tip_id == tip.id).order_by(TipFollowUp.received_at, TipFollowUp.id)
    ).all()
    photos = db.session.scalars(select(TipPhoto).where(TipPhoto.tip_id == tip.id).order_by(TipPhoto.id)).all()
    answered: dict[int, list[TipFollowUp]] = {}
    additions: list[TipFollowUp] = []
    for follow_up in follow_ups:
        if follow_up.question_id is not None:
            answered.setdefault(follow_up.question_id, []).append(follow_up)
        else:
            additions.append(follow_up)
    return Conversation(
        questions=[(question, answered.get(question.id, [])) for question in questions],
        additions=additions,
        photos=list(photos),
    )


def add_follow_up(tip: Tip, *, text: str | None, question_id: int | None, now: datetime | None = None) -> TipFollowUp:
    """Record what the tipster sent through /tips/status (the caller attaches photos and commits).

    A `question_id` that is not one of this tip's questions is treated as no question.
    """
    if question_id is not None:
        question = db.session.get(TipQuestion, question_id)
        if question is None or question.tip_id != tip.id:
            question_id = None
    follow_up = TipFollowUp(tip_id=tip.id, question_id=question_id, text=text or None, received_at=now or utcnow())
    db.session.add(follow_up)
    db.session.flush()
    return follow_up
