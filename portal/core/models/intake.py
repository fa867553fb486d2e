"""The intake queue: one row per thing staff triage, whatever its kind.

`IntakeItem` holds everything the queue sorts and filters on, so that the queue is one indexed
query over one table. What is specific to a kind lives in its own table, one-to-one with the
item: `Tip`, `Appointment` (sampling), or `InboundMessage` for an SMS that became neither.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models.base import IntValueEnum, UTCDateTime, utcnow, value_enum
from portal.core.security.crypto import EncryptedText


class ItemKind(enum.StrEnum):
    TIP = "tip"
    APPOINTMENT = "appointment"
    SMS_MESSAGE = "sms_message"


class Channel(enum.StrEnum):
    WEB = "web"
    SMS = "sms"
    STAFF = "staff"


class ItemStatus(enum.StrEnum):
    """Triage workflow: new → triaged → assigned → verifying → closed."""

    NEW = "new"
    TRIAGED = "triaged"
    ASSIGNED = "assigned"
    VERIFYING = "verifying"
    CLOSED = "closed"


class Outcome(enum.StrEnum):
    """Why an item was closed (recorded with every move to `closed`)."""

    CONFIRMED_LEAD = "confirmed_lead"  # forwarded as a confirmed lead
    CHILD_FOUND = "child_found"
    NOT_SUBSTANTIATED = "not_substantiated"
    DUPLICATE = "duplicate"
    SPAM = "spam"


class Priority(enum.IntEnum):
    """Lower sorts first: the queue is ordered by priority, then by received time."""

    URGENT = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3


class RegionSource(enum.StrEnum):
    """Who set an item's `region_code`: the tipster's answer, the portal reading the tip's words
    (portal.core.place_names), or staff on the item page."""

    TIPSTER = "tipster"
    RECOGNISED = "recognised"
    STAFF = "staff"


class TipCategory(enum.StrEnum):
    ABDUCTED_OR_TRAFFICKED = "abducted_or_trafficked"
    BEGGING_OR_EXPLOITED = "begging_or_exploited"
    UNKNOWN_ORIGIN_OR_ADOPTION = "unknown_origin_or_adoption"
    KNOWN_MISSING_CHILD = "known_missing_child"
    ADULT_ABDUCTED_AS_CHILD = "adult_abducted_as_child"
    OTHER = "other"


# The "needs attention" order of the staff queue (portal.staff.queue), as SQL so that one index
# serves it on both databases: a band (0 urgent, 1 tipster replied, 2 with a feedback deadline,
# 3 without one, 4 closed), then the deadline (the received time when there is none), then id.
# The band depends on nothing but the row, so it can be indexed; "nearly due" needs no band of its
# own: within a band the soonest deadline (an overdue one first) comes first. The index on this
# key, `ix_intake_item_attention`, is made by migration 0016 in SQL, outside the models (PostgreSQL
# rewrites an indexed expression, so Alembic cannot compare it: `portal.core.search.include_object`).
ATTENTION_BAND_SQL = (
    "CASE WHEN intake_item.status = 'closed' THEN 4 WHEN intake_item.priority = 0 THEN 0"
    " WHEN intake_item.tipster_replied_at IS NOT NULL THEN 1"
    " WHEN intake_item.feedback_due_at IS NOT NULL THEN 2 ELSE 3 END"
)
ATTENTION_TIME_SQL = "COALESCE(intake_item.feedback_due_at, intake_item.received_at)"


class IntakeItem(db.Model):
    __tablename__ = "intake_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    kind: Mapped[ItemKind] = mapped_column(value_enum(ItemKind, 20))
    channel: Mapped[Channel] = mapped_column(value_enum(Channel, 10))
    status: Mapped[ItemStatus] = mapped_column(value_enum(ItemStatus, 20), default=ItemStatus.NEW)
    priority: Mapped[Priority] = mapped_column(IntValueEnum(Priority), default=Priority.NORMAL)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    feedback_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Administrative-division code (GB/T 2260) when known, plus the place as given.
    region_code: Mapped[str | None] = mapped_column(String(12))
    region_text: Mapped[str | None] = mapped_column(String(500))
    region_source: Mapped[RegionSource | None] = mapped_column(value_enum(RegionSource, 12))
    working_group_id: Mapped[int | None] = mapped_column(ForeignKey("working_group.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Triage workflow (portal.triage.workflow): set on closing, cleared on reopening.
    outcome: Mapped[Outcome | None] = mapped_column(value_enum(Outcome, 30))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "One lead, one file, one working group": numbered when a lead is accepted.
    case_file_number: Mapped[str | None] = mapped_column(String(20))
    # No foreign-key constraints on these two: SQLite can add such a column to a filled table
    # only by rebuilding it, and rebuilding `intake_item` would cascade-delete its tips. Staff
    # accounts and items are never deleted (switched off, erased), so the ids stay valid.
    assigned_to_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # A duplicate merged into another item keeps its own row and history and points here.
    merged_into_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # Set by the retention command when the personal details were erased (the figures stay).
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Tipster replied": when the tipster last sent something (an answer to a question, or later
    # information) that no staff member has seen yet; cleared when someone who may see the item
    # opens its page (portal.tips.replies). The queue shows it as a marker and filters on it.
    tipster_replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    working_group = relationship("WorkingGroup")
    assigned_to = relationship(
        "StaffUser", primaryjoin="foreign(IntakeItem.assigned_to_id) == StaffUser.id", viewonly=True
    )
    tip: Mapped["Tip | None"] = relationship(back_populates="item", uselist=False)
    appointment = relationship("Appointment", back_populates="item", uselist=False)

    __table_args__ = (
        # The default queue order, and the same order within one status.
        Index("ix_intake_item_queue", "priority", "received_at"),
        Index("ix_intake_item_status_queue", "status", "priority", "received_at"),
        Index("ix_intake_item_feedback_due_at", "feedback_due_at"),
        Index("ix_intake_item_group_queue", "working_group_id", "priority", "received_at"),
        Index("ix_intake_item_kind", "kind"),
        Index("uq_intake_item_case_file_number", "case_file_number", unique=True),
        # The queue's default view (open items by priority then age, key-set paged) and the
        # overdue filter read only open items: partial indexes keep both small and fast.
        Index(
            "ix_intake_item_open_queue", "priority", "received_at", "id",
            sqlite_where=text("status <> 'closed'"), postgresql_where=text("status <> 'closed'"),
        ),
        Index(
            "ix_intake_item_open_due", "feedback_due_at",
            sqlite_where=text("status <> 'closed'"), postgresql_where=text("status <> 'closed'"),
        ),
    )



class Tip(db.Model):
    """A lead from the public. Anonymous unless the tipster chose to leave contact details."""

    __tablename__ = "tip"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"), unique=True)
    category: Mapped[TipCategory] = mapped_column(value_enum(TipCategory, 40))
    description: Mapped[str] = mapped_column(Text)
    place: Mapped[str | None] = mapped_column(String(500))
    seen_when: Mapped[str | None] = mapped_column(String(200))
    # The tipster's answer to "Is a child in danger right now?": None while not answered yet (an
    # SMS tip before its sender answers the question), else True or False.
    child_in_danger: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    contact_name: Mapped[str | None] = mapped_column(EncryptedText)
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText)
    contact_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    may_contact_by_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    # HMAC-SHA256 of the follow-up code; the plain code is never stored for long.
    follow_up_code_hash: Mapped[str] = mapped_column(String(64))
    # The plain code, encrypted, only so that a refresh or print of the confirmation shows it;
    # cleared by the worker after FOLLOW_UP_CODE_DISPLAY_MINUTES.
    follow_up_code_display: Mapped[str | None] = mapped_column(EncryptedText)
    follow_up_code_display_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # HMAC of the web form's one-time submission id: two concurrent posts of the same form
    # (a double click) hit this unique index and produce one tip.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # When, as answered on the web journey: the local date as far as the tipster knew it, as
    # EDTF (2026-11-03, 2026-11, 2026, 202X, 2026~: portal.core.partial_dates), its first day
    # (for sorting and date ranges; not the day itself unless seen_date is one), and a rough
    # time of day.
    seen_date: Mapped[str | None] = mapped_column(String(20))
    seen_on: Mapped[date | None] = mapped_column(Date)
    seen_time: Mapped[str | None] = mapped_column(String(20))
    # Who was seen; every answer optional.
    child_age: Mapped[str | None] = mapped_column(String(100))
    child_sex: Mapped[str | None] = mapped_column(String(10))
    child_height: Mapped[str | None] = mapped_column(String(100))
    child_clothing: Mapped[str | None] = mapped_column(Text)
    child_marks: Mapped[str | None] = mapped_column(Text)
    child_language: Mapped[str | None] = mapped_column(String(200))
    adults_description: Mapped[str | None] = mapped_column(Text)
    vehicle_description: Mapped[str | None] = mapped_column(String(500))
    # Upper case, without spaces or separators, so staff can search for it.
    vehicle_plate: Mapped[str | None] = mapped_column(String(20), index=True)
    # The language the tipster used ('zh' or 'en'), for messages sent to them later.
    language: Mapped[str | None] = mapped_column(String(5))

    item: Mapped[IntakeItem] = relationship(back_populates="tip")
