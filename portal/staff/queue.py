"""The staff queue: which intake items an account may see, filtered, in which order, page by page.

One query over `intake_item`, ordered by priority, then received time (oldest first), then id,
and paged by key (the last row's priority, time and id), never by offset, so that page 100 costs
what page 1 costs with a million items. The default view (open items) and the overdue filter
use the partial indexes `ix_intake_item_open_queue` and `ix_intake_item_open_due`. What an
account may see depends on its role: a working-group member sees their group's items,
sampling-site staff see only the appointments at their own sites, every other role sees all.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, false, select, text, true, tuple_
from sqlalchemy.orm import joinedload

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import Appointment, IntakeItem, ItemKind, ItemStatus, Slot, StaffUser, staff_site
from portal.core.models.base import UTCDateTime
from portal.core.permissions import Role
from portal.core.query_args import in_day_range, in_int_range
from portal.core.search import matching_items
from portal.core.security.references import normalise_reference

PAGE_SIZE = 50
QUEUE_LIMIT = PAGE_SIZE
OPEN, ALL = "open", "all"
NOBODY = "nobody"  # the owner filter's value for items nobody owns

_SEE_EVERYTHING = frozenset({Role.ADMIN, Role.TRIAGE_OFFICER, Role.SUPERVISOR})
# Written as SQL text, not a bound parameter, so that PostgreSQL can prove the query matches
# the partial indexes' predicate `status <> 'closed'`.
IS_OPEN = text("intake_item.status <> 'closed'")


def visible_items_filter(user: StaffUser) -> ColumnElement[bool]:
    """A WHERE clause on IntakeItem that keeps only the items `user` may see.

    Unknown roles, a group member without a group and site staff without sites see nothing.
    """
    if user.role in _SEE_EVERYTHING:
        return true()
    if user.role == Role.GROUP_MEMBER:
        if user.working_group_id is None:
            return false()
        return IntakeItem.working_group_id == user.working_group_id
    if user.role == Role.SITE_STAFF:
        at_my_sites = (
            select(Appointment.item_id)
            .join(Slot, Slot.id == Appointment.slot_id)
            .join(staff_site, staff_site.c.site_id == Slot.site_id)
            .where(staff_site.c.staff_user_id == user.id)
        )
        return (IntakeItem.kind == ItemKind.APPOINTMENT) & IntakeItem.id.in_(at_my_sites)
    return false()


@dataclass
class QueueFilters:
    """What the queue is narrowed to. Dates are local calendar days (SITE_TIMEZONE), inclusive.

    `status`: "open" (default: everything not closed), "all", or an ItemStatus value.
    `region`: an administrative-division code prefix (digits) or words found in the place.
    `text`: words found in a tip's description or an SMS message (Chinese works: trigrams).
    """

    kind: str | None = None
    status: str = OPEN
    priority: int | None = None
    channel: str | None = None
    region: str | None = None
    working_group_id: int | None = None
    # "My items": the items the signed-in person owns (`IntakeItem.assigned_to_id`).
    mine: bool = False
    # One person's items (an account id), or NOBODY for the items nobody owns (the workload page links here).
    owner: int | str | None = None
    overdue: bool = False
    # Only items flagged "tipster replied" that nobody has opened since (portal.tips.replies).
    replied: bool = False
    received_from: date | None = None
    received_to: date | None = None
    text: str | None = None
    timezone: str = "Asia/Shanghai"
    extra: list[ColumnElement[bool]] = field(default_factory=list)

    def clauses(self, user: StaffUser, now: datetime) -> list[ColumnElement[bool]]:
        """The WHERE clauses for these filters, for `user` (for "my items") at `now` (UTC)."""
        found: list[ColumnElement[bool]] = [visible_items_filter(user)]
        if self.status == OPEN:
            found.append(IS_OPEN)  # type: ignore[arg-type]  # a text() clause
        elif self.status != ALL:
            found.append(IntakeItem.status == self.status)
        if self.kind:
            found.append(IntakeItem.kind == self.kind)
        if self.priority is not None:
            found.append(IntakeItem.priority == self.priority)
        if self.channel:
            found.append(IntakeItem.channel == self.channel)
        if self.working_group_id is not None:
            found.append(IntakeItem.working_group_id == self.working_group_id)
        if self.mine:
            found.append(IntakeItem.assigned_to_id == user.id)
        if self.owner == NOBODY:
            found.append(IntakeItem.assigned_to_id.is_(None))
        elif isinstance(self.owner, int):
            found.append(IntakeItem.assigned_to_id == self.owner)
        if self.overdue:
            found += [IS_OPEN, IntakeItem.feedback_due_at < bindparam("overdue_now", now, type_=UTCDateTime())]  # type: ignore[list-item]  # a text() clause
        if self.replied:
            found.append(IntakeItem.tipster_replied_at.is_not(None))
        zone = ZoneInfo(self.timezone)
        if self.received_from is not None:
            start = datetime.combine(self.received_from, time(0), tzinfo=zone)
            found.append(IntakeItem.received_at >= bindparam("received_from", start, type_=UTCDateTime()))
        if self.received_to is not None:
            end = datetime.combine(self.received_to + timedelta(days=1), time(0), tzinfo=zone)
            found.append(IntakeItem.received_at < bindparam("received_to", end, type_=UTCDateTime()))
        if self.region:
            region = self.region.strip()
            if region.isdigit():
                prefix = region.rstrip("0") or region
                found.append(IntakeItem.region_code.like(f"{prefix}%"))
            else:
                escaped = region.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                found.append(IntakeItem.region_text.ilike(f"%{escaped}%", escape="\\"))
        if self.text:
            reference = normalise_reference(self.text)
            found.append(IntakeItem.reference == reference if reference else matching_items(self.text))
        found += self.extra
        return found


def filtered_query(user: StaffUser, filters: QueueFilters, now: datetime | None = None) -> Select:
    """SELECT IntakeItem (with its working group) for the filters, in queue order, unpaged."""
    now = now or clock.now()
    return (
        select(IntakeItem)
        .options(joinedload(IntakeItem.working_group))
        .where(and_(*filters.clauses(user, now)))
        .order_by(IntakeItem.priority, IntakeItem.received_at, IntakeItem.id)
    )


def encode_cursor(item: IntakeItem) -> str:
    """The key of the page after `item`: its priority, received time and id, URL-safe."""
    raw = f"{item.priority}|{item.received_at.isoformat()}|{item.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[int, datetime, int] | None:
    """The (priority, received_at UTC, id) in a cursor, or None for a missing, damaged or out-of-range one."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        priority, received, item_id = raw.split("|")
        when = datetime.fromisoformat(received)
        if when.tzinfo is None or not in_day_range(when.date()):
            return None
        key = int(priority), when, int(item_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return None
    # A tampered key with numbers no column can hold is refused like any damaged key.
    return key if in_int_range(key[0]) and in_int_range(key[2]) else None


@dataclass
class QueuePage:
    """One page of the queue: its items and the cursor of the next page (None on the last)."""

    items: list[IntakeItem]
    next_cursor: str | None


def queue_page(user: StaffUser, filters: QueueFilters | None = None, after: str | None = None,
               size: int = PAGE_SIZE, now: datetime | None = None) -> QueuePage:
    """The page of items after the cursor `after` (first page without one). One query."""
    query = filtered_query(user, filters or QueueFilters(), now)
    key = decode_cursor(after)
    if key is not None:
        priority, received, item_id = key
        query = query.where(
            tuple_(IntakeItem.priority, IntakeItem.received_at, IntakeItem.id)
            > tuple_(bindparam("after_priority", priority, type_=Integer()),
                     bindparam("after_received", received, type_=UTCDateTime()),
                     bindparam("after_id", item_id, type_=Integer()))
        )
    rows = list(db.session.scalars(query.limit(size + 1)).unique())
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else None
    return QueuePage(items=rows[:size], next_cursor=next_cursor)


def queue_items(user: StaffUser, limit: int = QUEUE_LIMIT) -> list[IntakeItem]:
    """The first `limit` open items `user` may see: most urgent first, then oldest first."""
    return queue_page(user, size=limit).items


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
        and item.status != ItemStatus.CLOSED
        and item.feedback_due_at < now
    )
