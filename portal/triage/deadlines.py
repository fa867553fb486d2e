"""What "answered in time" means, for every kind of item: the one definition the reports use.

The campaign's rule: a lead is verified and answered within 7 days (反馈时限,
`IntakeItem.feedback_due_at`, FEEDBACK_DEADLINE_DAYS after receipt). Per kind of item:

- **A tip** is answered when the tipster is given *final* feedback (`TipFeedback.final`: a
  template that says how the report ended, not "still being checked"; `portal.tips.feedback`).
  In time ("met") when the first final feedback was given at or before the deadline; "missed"
  when it was given later, or when the deadline has passed without one, whether or not the item
  was closed. Closing a lead is not answering it: the tipster learns nothing from a status.
- **A merged duplicate** (merged into another item, or closed as a duplicate) is never counted,
  neither met nor missed: it was not verified on its own, and the item it was merged into
  carries the lead and its deadline.
- **An item closed as spam** is never counted either: it was not a lead, and nobody waits for
  an answer.
- **An SMS kept for staff** (`ItemKind.SMS_MESSAGE`: a text that became neither a tip nor a
  booking) has no status page to show feedback on: it is answered when it is closed, in time
  when closed at or before its deadline.
- **A sampling booking** has no feedback deadline and is never counted.

A deadline still ahead with no answer yet is neither met nor missed. Reports count each item by
the local month its deadline fell in (`portal.staff.stats`); the monthly ranking of units will
use the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ScalarSelect, func, select

from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemKind, Outcome, Tip, TipFeedback, as_utc

MET, MISSED = "met", "missed"
NOT_COUNTED_OUTCOMES = frozenset({Outcome.DUPLICATE, Outcome.SPAM})


def answer_result(
    *,
    kind: str,
    due: datetime | None,
    now: datetime,
    closed_at: datetime | None = None,
    outcome: str | None = None,
    merged_into_id: int | None = None,
    answered_at: datetime | None = None,
) -> str | None:
    """"met", "missed", or None (not counted, or deadline still ahead without an answer).

    All instants aware UTC. `kind`: the item's ItemKind value. `answered_at`: for a tip, when
    its first final feedback was given (None: never). See the module docstring for the rules.
    """
    if due is None or kind == ItemKind.APPOINTMENT:
        return None
    if merged_into_id is not None or outcome in NOT_COUNTED_OUTCOMES:
        return None
    answered = answered_at if kind == ItemKind.TIP else closed_at
    if answered is not None:
        return MET if answered <= due else MISSED
    return MISSED if due < now else None


@dataclass(frozen=True)
class DeadlineRow:
    """One item whose deadline falls in a period, with its result (`answer_result`)."""

    item_id: int
    due: datetime
    working_group_id: int | None
    result: str | None


def first_final_feedback_at() -> ScalarSelect[datetime]:
    """A correlated scalar subquery on IntakeItem: when its tip's first final feedback was given
    (aware UTC, or NULL)."""
    return (
        select(func.min(TipFeedback.given_at))
        .join(Tip, Tip.id == TipFeedback.tip_id)
        .where(Tip.item_id == IntakeItem.id, TipFeedback.final.is_(True))
        .correlate(IntakeItem)
        .scalar_subquery()
    )


def deadline_rows(start: datetime, end: datetime, now: datetime) -> list[DeadlineRow]:
    """Every item whose feedback deadline falls in [start, end) (aware instants), with its
    result at `now` (aware UTC). One query."""
    answered = first_final_feedback_at().label("answered_at")
    query = select(
        IntakeItem.id, IntakeItem.kind, IntakeItem.feedback_due_at, IntakeItem.closed_at, IntakeItem.outcome,
        IntakeItem.merged_into_id, IntakeItem.working_group_id, answered,
    ).where(IntakeItem.feedback_due_at >= start, IntakeItem.feedback_due_at < end)
    rows = []
    for item_id, kind, due, closed_at, outcome, merged_into_id, group_id, answered_at in db.session.execute(query):
        assert due is not None  # the WHERE clause above: a deadline in [start, end)
        result = answer_result(kind=kind, due=due, now=now, closed_at=closed_at, outcome=outcome,
                               merged_into_id=merged_into_id,
                               answered_at=as_utc(answered_at) if answered_at is not None else None)
        rows.append(DeadlineRow(item_id=item_id, due=due, working_group_id=group_id, result=result))
    return rows

