"""Telling the officers on duty about an urgent tip at once, and the banner until someone acts.

An urgent tip queues one SMS per number in DUTY_PHONE_NUMBERS through the outbox (in the same
transaction as the tip, so the alert exists exactly when the tip does) and raises an alert. The
SMS carries only the reference number (docs/writing.md#nothing-personal-in-a-message).

Every staff page shows the banner: one line per urgent item that nobody has in hand yet
(`in_banner`), with why it is urgent and how long it has waited. A line goes as soon as an
officer acknowledges the alert ("I'll handle it"), a named person owns the item, or the item is
no longer urgent: accepted, being verified or closed (portal.triage.workflow), merged into
another item, or its priority lowered. Who acknowledged, and when, stays on the item page
(`acknowledgement`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import ColumnElement, and_, func, select, update

from portal.core import audit, clock
from portal.core.extensions import db
from portal.core.models import IntakeItem, ItemStatus, Priority, StaffUser, Tip, UrgentAlert, as_utc
from portal.core.outbox import queue_message

DUTY_ALERT_PURPOSE = "duty_alert"
# Lines the banner shows; the rest are counted ("and 2 more urgent items") and found in the queue.
BANNER_LINES = 3
# An urgent item waits for someone while it is new or sorted (triaged). Accepting it (assigned)
# gives it a working group and a case file; verifying and closing come after.
_WAITING = (ItemStatus.NEW, ItemStatus.TRIAGED)


class UrgencyReason(enum.StrEnum):
    """Why an item is urgent, as the banner says it."""

    CHILD_IN_DANGER = "child_in_danger"  # the tipster answered yes to "Is a child in danger right now?"
    DANGER_WORD = "danger_word"  # a danger word in an SMS whose sender answered no
    # a danger word in an SMS whose sender has not answered the question yet
    DANGER_WORD_NOT_ANSWERED = "danger_word_not_answered"
    OTHER = "other"  # an alert kept from before the reason was recorded


@dataclass(frozen=True)
class BannerLine:
    """One urgent item in the banner. `received_at`: UTC; `minutes_waiting`: whole minutes since
    then (never negative); `danger_word` is set only when `reason` is DANGER_WORD or DANGER_WORD_NOT_ANSWERED."""

    alert_id: int
    item_id: int
    reference: str
    reason: UrgencyReason
    danger_word: str | None
    received_at: datetime
    minutes_waiting: int

    @property
    def waited(self) -> timedelta:
        """How long the item has waited, in whole minutes."""
        return timedelta(minutes=self.minutes_waiting)


@dataclass(frozen=True)
class Banner:
    """The banner of one staff member: the first `BANNER_LINES` lines, oldest first, and `total`,
    the number of urgent items in the banner that the viewer may see (`more` are not shown).
    `latest_alert_id`: the highest alert id among them (0 for none): what a page drawn with this
    banner has seen, so that the staff pages' live alerts can tell which alerts came after
    (`raised_after`)."""

    lines: list[BannerLine]
    total: int
    latest_alert_id: int = 0

    @property
    def more(self) -> int:
        """Urgent items in the banner beyond the lines shown."""
        return self.total - len(self.lines)


def alert_duty_officers(item: IntakeItem, *, danger_word: str | None = None) -> UrgentAlert | None:
    """If `item` is urgent: raise its alert and queue an SMS to each duty number (caller commits).

    `item` must be flushed (have an id). `danger_word`: the word that made it urgent (an SMS
    whose sender has not said a child is in danger), kept for the banner. Returns the alert, or
    None for an item that is not urgent.
    """
    if item.priority != Priority.URGENT:
        return None
    # One alert row per item: an item made urgent again (a new danger word after staff lowered
    # its priority) re-opens its alert, unacknowledged, rather than adding a second.
    alert = db.session.scalars(select(UrgentAlert).where(UrgentAlert.item_id == item.id)).first()
    if alert is None:
        alert = UrgentAlert(item_id=item.id, raised_at=clock.now(), danger_word=danger_word)
        db.session.add(alert)
    else:
        alert.raised_at, alert.acknowledged_at, alert.acknowledged_by_id = clock.now(), None, None
        alert.danger_word = danger_word
    with force_locale("zh"):
        body = _("Tuanyuan Portal: urgent tip %(reference)s. A child may be in danger now. Open the staff console at once.",
                 reference=item.reference)
    for number in current_app.config["SETTINGS"].duty_phone_numbers:
        queue_message(number, body, DUTY_ALERT_PURPOSE, item_id=item.id)
    return alert


def in_banner() -> ColumnElement[bool]:
    """The one definition of "in the banner": a WHERE clause on UrgentAlert joined to its
    IntakeItem. An alert is in it while nobody has acknowledged it, its item is still urgent,
    new or triaged (not accepted, verifying or closed), owned by nobody (`assigned_to_id`) and
    not merged into another item."""
    return and_(
        UrgentAlert.acknowledged_at.is_(None),
        IntakeItem.priority == Priority.URGENT,
        IntakeItem.status.in_(_WAITING),
        IntakeItem.assigned_to_id.is_(None),
        IntakeItem.merged_into_id.is_(None),
    )


def _banner_rows(visible_filter: ColumnElement[bool], newest_first: bool, limit: int,
                 after_alert_id: int = 0) -> list[Any]:
    """Rows of the alerts in the banner that `visible_filter` lets the viewer see, with an id
    above `after_alert_id`: (alert id, item id, danger word, reference, received at, the tip's
    "child in danger", how many rows in all, the highest alert id in all). One query; the last
    two are window functions, read before the LIMIT."""
    order = (UrgentAlert.id.desc(),) if newest_first else (IntakeItem.received_at, IntakeItem.id)
    query = (
        select(UrgentAlert.id, UrgentAlert.item_id, UrgentAlert.danger_word, IntakeItem.reference,
               IntakeItem.received_at, Tip.child_in_danger, func.count().over(), func.max(UrgentAlert.id).over())
        .join(IntakeItem, IntakeItem.id == UrgentAlert.item_id)
        .outerjoin(Tip, Tip.item_id == IntakeItem.id)
        .where(in_banner(), visible_filter)
        .order_by(*order)
        .limit(limit)
    )
    if after_alert_id:
        query = query.where(UrgentAlert.id > after_alert_id)
    return list(db.session.execute(query).all())


def _line(row: Any, now: datetime) -> BannerLine:
    alert_id, item_id, danger_word, reference, received_at, child_in_danger = row[:6]
    if child_in_danger:
        reason, danger_word = UrgencyReason.CHILD_IN_DANGER, None
    elif not danger_word:
        reason = UrgencyReason.OTHER
    else:
        # None: the sender has not answered "Is a child in danger right now?" yet; False: no.
        reason = UrgencyReason.DANGER_WORD_NOT_ANSWERED if child_in_danger is None else UrgencyReason.DANGER_WORD
    received_at = as_utc(received_at)
    return BannerLine(alert_id=alert_id, item_id=item_id, reference=reference, reason=reason,
                      danger_word=danger_word, received_at=received_at,
                      minutes_waiting=max(0, int((now - received_at).total_seconds() // 60)))


def banner(visible_filter: ColumnElement[bool], now: datetime, limit: int = BANNER_LINES) -> Banner:
    """The banner for a viewer who may see the items `visible_filter` (a WHERE clause on
    IntakeItem) keeps: at most `limit` lines, longest waiting first, and how many there are in
    all. One query (the total is a window count). `now`: UTC, for the minutes waited."""
    rows = _banner_rows(visible_filter, newest_first=False, limit=limit)
    return Banner(lines=[_line(row, now) for row in rows], total=rows[0][-2] if rows else 0,
                  latest_alert_id=rows[0][-1] if rows else 0)


def raised_after(visible_filter: ColumnElement[bool], after_alert_id: int, now: datetime,
                 limit: int = BANNER_LINES) -> Banner:
    """The alerts in the banner for a viewer who may see the items `visible_filter` keeps whose
    id is above `after_alert_id` (alerts raised after a page was drawn: ids only grow; an alert
    re-opened by a new danger word keeps its id, so it returns to the banner without counting
    here), newest first, at most `limit` of them, with how many in all. One query, reading the alerts by
    primary key from `after_alert_id` up. `now`: UTC, for the minutes waited."""
    rows = _banner_rows(visible_filter, newest_first=True, limit=limit, after_alert_id=after_alert_id)
    return Banner(lines=[_line(row, now) for row in rows], total=rows[0][-2] if rows else 0,
                  latest_alert_id=rows[0][-1] if rows else after_alert_id)


@dataclass(frozen=True)
class Acknowledgement:
    """Who acknowledged an item's urgent alert (`username`, None if the account is gone) and
    when (`acknowledged_at`, UTC)."""

    username: str | None
    acknowledged_at: datetime


def acknowledgement(item_id: int) -> Acknowledgement | None:
    """Who acknowledged the urgent alert of item `item_id`, and when; None when it has no alert or
    nobody has acknowledged it (yet, or since it was re-opened by a new danger word)."""
    row = db.session.execute(
        select(StaffUser.username, UrgentAlert.acknowledged_at)
        .outerjoin(StaffUser, StaffUser.id == UrgentAlert.acknowledged_by_id)
        .where(UrgentAlert.item_id == item_id, UrgentAlert.acknowledged_at.is_not(None))
    ).first()
    if row is None or row.acknowledged_at is None:
        return None
    return Acknowledgement(username=row.username, acknowledged_at=as_utc(row.acknowledged_at))


def acknowledge(alert_id: int, user: StaffUser) -> bool:
    """Mark an alert as taken in hand by `user` (once: a second click changes nothing). Audited."""
    done = db.session.execute(
        update(UrgentAlert)
        .where(UrgentAlert.id == alert_id, UrgentAlert.acknowledged_at.is_(None))
        .values(acknowledged_at=clock.now(), acknowledged_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult
        return False
    item_id = db.session.scalar(select(UrgentAlert.item_id).where(UrgentAlert.id == alert_id))
    audit.record("acknowledge_alert", actor_id=user.id, item_id=item_id)
    return True
