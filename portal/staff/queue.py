"""The staff queue: which intake items an account may see, filtered, in which order, page by page.

One query over `intake_item`, in one of two orders, paged by key (the last row's sort key and
id), never by offset, so that page 100 costs what page 1 costs with a million items:

- "needs attention" (the default, ATTENTION): urgent items first, then those the tipster replied
  to, then the rest by feedback deadline, soonest (overdue) first, items without a deadline
  after them (oldest first), closed items last; the index `ix_intake_item_attention` holds the
  key (`portal.core.models.intake.ATTENTION_BAND_SQL`).
- "most urgent, then oldest" (PRIORITY): priority, then received time, then id; the default view
  (open items) and the overdue filter use the partial indexes `ix_intake_item_open_queue` and
  `ix_intake_item_open_due`.

Sampling bookings (ItemKind.APPOINTMENT) are handled in the sampling views, so they are left out
of the queue unless the "kind" filter asks for them (or for every kind) or the search is their
reference number; sampling-site staff, who see nothing else, always get them. What an account may see depends on its role: a
working-group member sees their group's items, sampling-site staff see only the appointments at
their own sites, every other role sees all.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, false, literal_column, select, text, true, tuple_
from sqlalchemy.orm import joinedload

from portal.core import clock
from portal.core.extensions import db
from portal.core.models import Appointment, IntakeItem, ItemKind, ItemStatus, Slot, StaffUser, staff_site
from portal.core.models.intake import ATTENTION_BAND_SQL, ATTENTION_TIME_SQL
from portal.core.models.base import UTCDateTime
from portal.core.permissions import Role
from portal.core.query_args import in_day_range, in_int_range
from portal.core.search import matching_items
from portal.core.security.references import normalise_reference

PAGE_SIZE = 50
QUEUE_LIMIT = PAGE_SIZE
OPEN, ALL = "open", "all"
ATTENTION, PRIORITY = "attention", "priority"
ORDERS = (ATTENTION, PRIORITY)
_CURSOR_MARK = {ATTENTION: "a", PRIORITY: "p"}

# The two parts of the "needs attention" key, as the index `ix_intake_item_attention` has them.
ATTENTION_BAND: ColumnElement[int] = literal_column(f"({ATTENTION_BAND_SQL})", Integer())
ATTENTION_TIME: ColumnElement[datetime] = literal_column(ATTENTION_TIME_SQL, UTCDateTime())

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
    `kind`: an ItemKind value, "all", or None (default: every kind but sampling bookings, which
    the sampling views handle; site staff, who see only bookings, get them).
    `order`: ATTENTION (default, "needs attention") or PRIORITY ("most urgent, then oldest").
    `region`: an administrative-division code prefix (digits) or words found in the place.
    `text`: words found in a tip's description or an SMS message (Chinese works: trigrams), or a
    whole reference number (any case, spacing or width), which finds that item whatever the kind
    and status filters say.
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
    order: str = ATTENTION
    extra: list[ColumnElement[bool]] = field(default_factory=list)

    def clauses(self, user: StaffUser, now: datetime) -> list[ColumnElement[bool]]:
        """The WHERE clauses for these filters, for `user` (for "my items") at `now` (UTC)."""
        found: list[ColumnElement[bool]] = [visible_items_filter(user)]
        # A whole reference names one item: it is found whatever its kind (a sampling booking
        # too) and status, as long as the account may see it.
        reference = normalise_reference(self.text) if self.text else None
        if reference is None:
            found += self._kind_and_status(user)
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
            found.append(IntakeItem.reference == reference if reference else matching_items(self.text))
        found += self.extra
        return found

    def _kind_and_status(self, user: StaffUser) -> list[ColumnElement[bool]]:
        """The clauses of the kind and status filters (bookings left out unless asked for)."""
        found: list[ColumnElement[bool]] = []
        if self.status == OPEN:
            found.append(IS_OPEN)  # type: ignore[arg-type]  # a text() clause
        elif self.status != ALL:
            found.append(IntakeItem.status == self.status)
        if self.kind and self.kind != ALL:
            found.append(IntakeItem.kind == self.kind)
        elif not self.kind and user.role != Role.SITE_STAFF:
            found.append(IntakeItem.kind != ItemKind.APPOINTMENT)
        return found


def filtered_query(user: StaffUser, filters: QueueFilters, now: datetime | None = None) -> Select:
    """SELECT IntakeItem (with its working group, owner and tip) for the filters, in the order
    `filters.order` names, unpaged."""
    now = now or clock.now()
    return (
        select(IntakeItem)
        .options(joinedload(IntakeItem.working_group), joinedload(IntakeItem.assigned_to),
                 joinedload(IntakeItem.tip))
        .where(and_(*filters.clauses(user, now)))
        .order_by(*sort_key(filters.order))
    )


def sort_key(order: str) -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    """The three columns an order sorts by (and pages on): (int, UTC time, id)."""
    if order == PRIORITY:
        return IntakeItem.priority, IntakeItem.received_at, IntakeItem.id  # type: ignore[return-value]
    return ATTENTION_BAND, ATTENTION_TIME, IntakeItem.id  # type: ignore[return-value]


def encode_cursor(order: str, key: tuple[int, datetime, int]) -> str:
    """The key of the page after a row whose sort key (`sort_key(order)`) is `key`, URL-safe."""
    number, when, item_id = key
    raw = f"{_CURSOR_MARK[order]}|{int(number)}|{when.isoformat()}|{item_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, order: str = PRIORITY) -> tuple[int, datetime, int] | None:
    """The sort key (int, UTC time, id) in a cursor made for `order`, or None for a missing,
    damaged or out-of-range one, or one made for the other order (a key of three parts, from
    before there were two orders, is a PRIORITY key)."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        parts = raw.split("|")
        mark = parts.pop(0) if len(parts) == 4 else _CURSOR_MARK[PRIORITY]
        if mark != _CURSOR_MARK.get(order):
            return None
        priority, received, item_id = parts
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
               size: int | None = None, now: datetime | None = None) -> QueuePage:
    """The page of items after the cursor `after` (first page without one), in `filters.order`.

    `size`: rows per page (default PAGE_SIZE). One query (the sort key is read with the rows, so
    the cursor is the database's own key)."""
    size = size or PAGE_SIZE
    filters = filters or QueueFilters()
    columns = sort_key(filters.order)
    query = filtered_query(user, filters, now).add_columns(*columns)
    key = decode_cursor(after, filters.order)
    if key is not None:
        number, when, item_id = key
        query = query.where(
            tuple_(*columns)
            > tuple_(bindparam("after_key", number, type_=Integer()),
                     bindparam("after_time", when, type_=UTCDateTime()),
                     bindparam("after_id", item_id, type_=Integer()))
        )
    rows = list(db.session.execute(query.limit(size + 1)).unique())
    next_cursor = None
    if len(rows) > size:
        _item, number, when, item_id = rows[size - 1]
        next_cursor = encode_cursor(filters.order, (number, when, item_id))
    return QueuePage(items=[row[0] for row in rows[:size]], next_cursor=next_cursor)


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
