"""The staff queue: which intake items an account may see, in which order.

One query over `intake_item`, ordered by priority then received time (oldest first), using the
`ix_intake_item_queue` / `ix_intake_item_group_queue` indexes. What an account may see depends on
its role: a working-group member sees their group's items, sampling-site staff see only the
appointments at their own sites, every other role sees everything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, false, select, true

from portal.extensions import db
from portal.models import Appointment, IntakeItem, ItemKind, ItemStatus, Slot, StaffUser, staff_site
from portal.permissions import Role
from portal.security.references import normalise_reference

QUEUE_LIMIT = 100  # key-set paging comes later; the newest urgent items are always on this page

_SEE_EVERYTHING = frozenset({Role.ADMIN.value, Role.TRIAGE_OFFICER.value, Role.SUPERVISOR.value})


def visible_items_filter(user: StaffUser) -> ColumnElement[bool]:
    """A WHERE clause on IntakeItem that keeps only the items `user` may see.

    Unknown roles, a group member without a group and site staff without sites see nothing.
    """
    if user.role in _SEE_EVERYTHING:
        return true()
    if user.role == Role.GROUP_MEMBER.value:
        if user.working_group_id is None:
            return false()
        return IntakeItem.working_group_id == user.working_group_id
    if user.role == Role.SITE_STAFF.value:
        at_my_sites = (
            select(Appointment.item_id)
            .join(Slot, Slot.id == Appointment.slot_id)
            .join(staff_site, staff_site.c.site_id == Slot.site_id)
            .where(staff_site.c.staff_user_id == user.id)
        )
        return (IntakeItem.kind == ItemKind.APPOINTMENT.value) & IntakeItem.id.in_(at_my_sites)
    return false()


def queue_items(user: StaffUser, limit: int = QUEUE_LIMIT) -> list[IntakeItem]:
    """The first `limit` items `user` may see: most urgent first, then oldest first (UTC received time)."""
    query = (
        select(IntakeItem)
        .where(visible_items_filter(user))
        .order_by(IntakeItem.priority, IntakeItem.received_at, IntakeItem.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def find_visible_item(user: StaffUser, reference_text: str) -> IntakeItem | None:
    """The item with this reference (as typed: any case or spacing) if `user` may see it, else None.

    Not found and not allowed give the same None, so an account cannot learn which references exist.
    """
    reference = normalise_reference(reference_text)
    if reference is None:
        return None
    return db.session.scalar(
        select(IntakeItem).where(IntakeItem.reference == reference, visible_items_filter(user))
    )


def is_overdue(item: IntakeItem, now: datetime) -> bool:
    """True when an open item's feedback deadline (UTC) has passed at `now` (aware UTC)."""
    return (
        item.feedback_due_at is not None
        and item.status != ItemStatus.CLOSED.value
        and item.feedback_due_at < now
    )
