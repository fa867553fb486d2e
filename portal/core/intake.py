"""Creating intake items: the one place that allocates reference numbers and deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import Channel, IntakeItem, ItemKind, ItemStatus, Priority, utcnow
from portal.core.security.references import new_reference, normalise_reference

_REFERENCE_ATTEMPTS = 10


def unused_reference() -> str:
    """Return a reference number no intake item has yet.

    With 30^8 possible references a clash is rare; the unique index is the real guarantee.
    Raises RuntimeError if ten random references in a row are taken (a sign of a broken RNG).
    """
    for _ in range(_REFERENCE_ATTEMPTS):
        candidate = new_reference()
        if db.session.scalar(select(IntakeItem.id).where(IntakeItem.reference == candidate)) is None:
            return candidate
    raise RuntimeError("could not find an unused reference number")


def new_item(
    kind: ItemKind,
    channel: Channel,
    *,
    priority: Priority = Priority.NORMAL,
    deadline_days: int | None = None,
    region_text: str | None = None,
    received_at: datetime | None = None,
    reference: str | None = None,
) -> IntakeItem:
    """Create (and add to the session, uncommitted) a new intake item with a fresh reference.

    `deadline_days`: the feedback deadline in days after receipt (None: no deadline, as for
    sampling appointments). `received_at`: a UTC instant, default now. `reference`: one already
    taken from `unused_reference()` (so that a caller can read before its write transaction).
    """
    received = received_at or utcnow()
    item = IntakeItem(
        reference=reference or unused_reference(),
        kind=kind,
        channel=channel,
        status=ItemStatus.NEW,
        priority=priority,
        received_at=received,
        feedback_due_at=received + timedelta(days=deadline_days) if deadline_days is not None else None,
        region_text=region_text,
    )
    db.session.add(item)
    return item


def find_by_reference(text: str) -> IntakeItem | None:
    """Return the item whose reference matches what a person typed (any case, spacing, width), or None."""
    reference = normalise_reference(text)
    if reference is None:
        return None
    return db.session.scalar(select(IntakeItem).where(IntakeItem.reference == reference))


def close_finished_appointment(item_id: int) -> None:
    """Close the queue item of a sampling appointment that needs nothing more from the queue
    (cancelled, checked in, walked in, or not come): status `closed`, `closed_at` now (UTC), no
    outcome (outcomes are for leads). Its own status stays on the appointment. The caller commits."""
    db.session.execute(
        update(IntakeItem)
        .where(IntakeItem.id == item_id, IntakeItem.status != ItemStatus.CLOSED)
        .values(status=ItemStatus.CLOSED, closed_at=clock.now())
        .execution_options(synchronize_session="fetch")
    )
