"""Telling the officers on duty about an urgent tip at once, and the banner until someone acts.

An urgent tip queues one SMS per number in DUTY_PHONE_NUMBERS through the outbox (in the same
transaction as the tip, so the alert exists exactly when the tip does) and raises an alert
that every staff page shows as a banner until an officer acknowledges it. The SMS carries only
the reference number (docs/writing.md#nothing-personal-in-a-message).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select, update

from portal.core import audit, clock
from portal.core.extensions import db
from portal.core.models import IntakeItem, Priority, StaffUser, UrgentAlert
from portal.core.outbox import queue_message

DUTY_ALERT_PURPOSE = "duty_alert"


def alert_duty_officers(item: IntakeItem) -> UrgentAlert | None:
    """If `item` is urgent: raise its alert and queue an SMS to each duty number (caller commits).

    `item` must be flushed (have an id). Returns the alert, or None for an item that is not urgent.
    """
    if item.priority != Priority.URGENT:
        return None
    # One alert row per item: an item made urgent again (a new danger word after staff lowered
    # its priority) re-opens its alert, unacknowledged, rather than adding a second.
    alert = db.session.scalars(select(UrgentAlert).where(UrgentAlert.item_id == item.id)).first()
    if alert is None:
        alert = UrgentAlert(item_id=item.id, raised_at=clock.now())
        db.session.add(alert)
    else:
        alert.raised_at, alert.acknowledged_at, alert.acknowledged_by_id = clock.now(), None, None
    with force_locale("zh"):
        body = _("Tuanyuan Portal: urgent tip %(reference)s. A child may be in danger now. Open the staff console at once.",
                 reference=item.reference)
    for number in current_app.config["SETTINGS"].duty_phone_numbers:
        queue_message(number, body, DUTY_ALERT_PURPOSE, item_id=item.id)
    return alert


def open_alerts(visible_filter, limit: int = 5) -> list[tuple[UrgentAlert, str]]:  # type: ignore[no-untyped-def]
    """Unacknowledged alerts on items the viewer may see (a WHERE clause on IntakeItem), oldest
    first, with each item's reference; at most `limit`."""
    rows = db.session.execute(
        select(UrgentAlert, IntakeItem.reference)
        .join(IntakeItem, IntakeItem.id == UrgentAlert.item_id)
        .where(UrgentAlert.acknowledged_at.is_(None), visible_filter)
        .order_by(UrgentAlert.raised_at)
        .limit(limit)
    ).all()
    return [(alert, reference) for alert, reference in rows]


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
