"""Following up a tip anonymously: the progress check with its lockout, staff questions, and the
tipster's answers.

A reference number is locked for FOLLOW_UP_LOCK_MINUTES after FOLLOW_UP_MAX_FAILURES wrong
follow-up codes *from one trier*: the channel says who is trying (on the web an HMAC of the
client address, by SMS the sending number's hash), and the lock holds for that trier only. So a
stranger who knows only a reference locks themselves out, never the real tipster on another
address or phone (docs/threat-model.md#reading-someone-elses-tip-or-booking says what this
trades). Wrong codes are counted per reference *as typed*, whether or not a tip has that
reference, in rows that hold only an HMAC of reference and trier together: a locked reference
and one that does not exist behave identically, and the table cannot be read as a list of
references.

Each try is counted *before* its code is checked (`claim_attempt`), by one INSERT … ON CONFLICT
DO UPDATE … RETURNING (`failures = failures + 1` in the database, never read, changed in Python
and written back), and the decision is made from the count the database returns: however many
tries arrive at once, at most FOLLOW_UP_MAX_FAILURES per lock window are ever checked against
the code's hash (until a right code clears the count); the rest are answered LOCKED unchecked. On PostgreSQL the statement holds the
row until the caller commits, so tries of one reference wait for each other; on SQLite the
database's single writer does the same. A right code then clears the count (`clear_guard`).

The same counter serves other keys that need a failures lock without an HTTP request to
rate-limit: the SMS hotline counts each sending number's failed progress checks with it
(`portal.hotline.flows.status`), taking the count back when the check succeeds (`take_back`).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BindParameter, bindparam, case, delete, null, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import FollowUpGuard, IntakeItem, Tip, TipFollowUp, TipPhoto, TipQuestion, utcnow
from portal.core.models.base import UTCDateTime
from portal.core.security.crypto import lookup_hash
from portal.core.security.references import normalise_reference
from portal.tips.replies import mark_replied
from portal.tips.service import find_tip_for_follow_up

_GUARD_PURPOSE = "follow-up-guard"


class LookupOutcome(str, enum.Enum):
    FOUND = "found"
    NOT_FOUND = "not_found"  # unknown reference or wrong code: one outcome, on purpose
    LOCKED = "locked"  # too many wrong codes for this reference (or for this non-existent one)


# A wrong code is answered with a warning when this many tries or fewer are left before the lock,
# on the web and by SMS.
WARN_WHEN_TRIES_LEFT = 2


@dataclass(frozen=True)
class LookupResult:
    """The outcome of a progress check; `tip` only when FOUND."""

    outcome: LookupOutcome
    tip: Tip | None = None
    # NOT_FOUND only: how many more wrong codes this trier may send for this reference before it
    # is locked (the same for an existing reference and an unknown one).
    tries_left: int | None = None


def _guard_key(reference_text: str, trier: str) -> str:
    reference = normalise_reference(reference_text)
    if reference is None:
        reference = re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", reference_text or "").upper())
    return lookup_hash(f"{reference}|{trier}", _GUARD_PURPOSE)


def check_follow_up(
    reference_text: str,
    code_text: str,
    *,
    trier: str,
    max_failures: int,
    lock_minutes: int,
    now: datetime | None = None,
) -> LookupResult:
    """Check a typed reference number and follow-up code, counting wrong codes per reference and trier.

    `trier` names who is trying, opaquely (an HMAC of the client address on the web, the sending
    number's lookup hash by SMS); it is only ever hashed together with the reference.
    `max_failures` wrong codes within `lock_minutes` from one trier lock the reference for that
    trier for `lock_minutes` (UTC clock). While locked, even the right code gives LOCKED, and the
    code is not checked; other triers are not affected. The try is counted before the check
    (`claim_attempt`); a right code clears the count. A NOT_FOUND result says how many tries are
    left (`LookupResult.tries_left`), whether or not the reference exists. Writes to the session;
    the caller commits (until then, on PostgreSQL, other tries of the same reference and trier wait).
    """
    now = now or utcnow()
    key = _guard_key(reference_text, trier)
    attempt = claim_attempt(key, max_failures=max_failures, lock_minutes=lock_minutes, now=now)
    if not attempt.may_check:
        return LookupResult(LookupOutcome.LOCKED)
    tip = find_tip_for_follow_up(reference_text, code_text)
    if tip is not None:
        clear_guard(key)
        return LookupResult(LookupOutcome.FOUND, tip)
    if attempt.locks_if_wrong:
        return LookupResult(LookupOutcome.LOCKED)
    return LookupResult(LookupOutcome.NOT_FOUND, tries_left=max_failures - attempt.number)


@dataclass(frozen=True)
class Attempt:
    """One try counted against a guard key by `claim_attempt`, before its answer is checked.

    `number`: the count the database returned after adding this try (1 for the first try of a
    window; more than `max_failures` once the key is locked). `max_failures`: the limit it was
    counted against.
    """

    key: str
    number: int
    max_failures: int

    @property
    def may_check(self) -> bool:
        """True when this try may be checked: one of the first `max_failures` of its window."""
        return self.number <= self.max_failures

    @property
    def locks_if_wrong(self) -> bool:
        """True when this try was the last allowed one: the key is locked unless it was right."""
        return self.number >= self.max_failures


def _at(moment: datetime) -> BindParameter[datetime]:
    return bindparam(None, moment, type_=UTCDateTime())


def is_locked(key: str, now: datetime) -> bool:
    """True while the guard row `key` (an HMAC, 64 hex characters) is locked at UTC `now`.

    A read, for answering early; `claim_attempt` is the check that holds under concurrency.
    """
    locked_until = db.session.scalar(select(FollowUpGuard.locked_until).where(FollowUpGuard.reference_hash == key))
    return locked_until is not None and locked_until > now


def claim_attempt(key: str, *, max_failures: int, lock_minutes: int, now: datetime) -> Attempt:
    """Count one try against the guard row `key` (an HMAC, 64 hex characters) before it is checked.

    One atomic statement (INSERT … ON CONFLICT DO UPDATE … RETURNING, PostgreSQL and SQLite):
    a locked key (until some UTC time after `now`) keeps its lock and returns a number above
    `max_failures`; a lock that has run out, or a first try at or before `now - lock_minutes`,
    starts a new window at `now` with this try as number 1; otherwise the count goes up by one.
    The try numbered `max_failures` locks the key for `lock_minutes` from `now` at once, so a
    parallel try sees the lock; a right answer then takes it away (`clear_guard`, `take_back`).
    Writes to the session (the caller commits; the row stays locked for other transactions
    until then). Returns the Attempt; check its answer only when `Attempt.may_check`.
    """
    window = timedelta(minutes=lock_minutes)
    guard = FollowUpGuard.__table__.c
    lock = _at(now + window)
    lock_on_first = lock if max_failures <= 1 else null()
    locked = guard.locked_until.is_not(None) & (guard.locked_until > _at(now))
    # Tested only when not locked: a lock that has run out, or a window that has.
    restart = guard.locked_until.is_not(None) | (guard.first_failure_at <= _at(now - window))
    counted = guard.failures + 1
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(FollowUpGuard.__table__)
        .values(reference_hash=key, failures=1, first_failure_at=now,
                locked_until=now + window if max_failures <= 1 else None)
        .on_conflict_do_update(
            index_elements=[guard.reference_hash],
            set_={
                "failures": case(
                    (locked, case((guard.failures >= max_failures, counted), else_=max_failures + 1)),
                    (restart, 1),
                    else_=counted,
                ),
                "first_failure_at": case((locked, guard.first_failure_at), (restart, _at(now)),
                                         else_=guard.first_failure_at),
                "locked_until": case((locked, guard.locked_until), (restart, lock_on_first),
                                     (counted >= max_failures, lock), else_=null()),
            },
        )
        .returning(guard.failures)
    )
    number = db.session.execute(statement).scalar_one()
    return Attempt(key=key, number=int(number), max_failures=max_failures)


def take_back(attempt: Attempt) -> None:
    """Uncount a checked try whose answer was right, where a right answer must not clear the
    earlier failures (the SMS sender's count): the count goes down by one, and the lock this try
    set, if it was the last allowed one, is lifted. Call it in the transaction that claimed the
    try (which still holds the row). Writes to the session; the caller commits."""
    guard = FollowUpGuard.__table__.c
    db.session.execute(
        update(FollowUpGuard.__table__)
        .where(guard.reference_hash == attempt.key, guard.failures > 0)
        .values(failures=guard.failures - 1,
                locked_until=case((guard.failures - 1 < attempt.max_failures, null()), else_=guard.locked_until))
    )


def clear_guard(key: str) -> None:
    """Forget the count of the guard row `key` (a right follow-up code). Writes to the session."""
    db.session.execute(delete(FollowUpGuard.__table__).where(FollowUpGuard.__table__.c.reference_hash == key))


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
    return result.rowcount or 0  # type: ignore[attr-defined]  # CursorResult


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

    An answer (`question_id` one of this tip's questions) marks that question answered
    (`TipQuestion.answered_at`, the first answer's time); a `question_id` that is not one of this
    tip's questions is treated as no question (later information). Either way the item is
    flagged "tipster replied" and its owner told (`portal.tips.replies.mark_replied`). `now`:
    aware UTC, default the current time.
    """
    now = now or clock.now()
    if question_id is not None:
        question = db.session.get(TipQuestion, question_id)
        if question is None or question.tip_id != tip.id:
            question_id = None
        elif question.answered_at is None:
            question.answered_at = now
    follow_up = TipFollowUp(tip_id=tip.id, question_id=question_id, text=text or None, received_at=now)
    db.session.add(follow_up)
    mark_replied(tip.item, now)
    db.session.flush()
    return follow_up


def merged_into(item: IntakeItem) -> IntakeItem:
    """The item whose progress a tipster sees for `item`: the item itself, or, when staff merged
    it into another report of the same event, the item it was merged into (following a chain of
    merges, at most 10 steps)."""
    followed = item
    for _step in range(10):
        if followed.merged_into_id is None:
            break
        target = db.session.get(IntakeItem, followed.merged_into_id)
        if target is None:
            break
        followed = target
    return followed
