"""Staff accounts, working groups and the audit trail."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models.base import UTCDateTime, utcnow, value_enum
from portal.core.permissions import Role
from portal.core.security.crypto import EncryptedText

staff_site = Table(
    "staff_site",
    db.metadata,
    Column("staff_user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sampling_site.id", ondelete="CASCADE"), primary_key=True),
)


class WorkingGroup(db.Model):
    """A team responsible for verifying leads (工作专班): one lead, one file, one working group."""

    __tablename__ = "working_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class StaffUser(UserMixin, db.Model):
    """A police staff account; `role` (a `portal.core.permissions.Role`) says what it may do."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(value_enum(Role, 30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    working_group_id: Mapped[int | None] = mapped_column(ForeignKey("working_group.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor sign-in (RFC 6238 TOTP). The secret is encrypted at rest; `totp_enrolled_at` is
    # set once the person has proved their authenticator works. The last accepted time step is
    # kept so that one code cannot be used twice (RFC 6238 section 5.2).
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Every session carries the generation it was signed in under; raising it ("sign out
    # everywhere", a password reset, switching the account off) ends every older session.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The mobile number the person wants duty messages on (E.164, set on their account page),
    # for example "the tipster replied" on an item they are responsible for. Optional; encrypted.
    duty_phone: Mapped[str | None] = mapped_column(EncryptedText)

    working_group: Mapped[WorkingGroup | None] = relationship()
    sites = relationship("SamplingSite", secondary=staff_site)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        """Whether the account may sign in (Flask-Login refuses inactive accounts)."""
        return self.active


class AuditEvent(db.Model):
    """Who did what to which item, and when. Append-only.

    Never holds personal values: `fields` names the fields touched, and `changes` carries before
    and after values only for the non-personal fields in `portal.core.audit.NON_PERSONAL_FIELDS`,
    so that erasing an item's personal data really erases it.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    actor_kind: Mapped[str] = mapped_column(String(10), default="staff")  # staff, public, system
    action: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("intake_item.id", ondelete="SET NULL"))
    fields: Mapped[list] = mapped_column(JSON, default=list)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_event_item", "item_id", "occurred_at"),)

    listed_items: Mapped[list["AuditEventItem"]] = relationship(cascade="all", passive_deletes=True)


class AuditEventItem(db.Model):
    """One item a list-view audit event names in `changes["numbers"]["items"]` (a page of the
    queue, a sampling day list), kept again as a row so that the audit log's filter by item finds
    the event through an index on both SQLite and PostgreSQL, rather than by reading the JSON of
    every event. Written with the event by `portal.core.audit.record`; append-only like it."""

    __tablename__ = "audit_event_item"

    # (item_id, audit_event_id): the primary key is the index "events that listed item X, newest first".
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"), primary_key=True)
    audit_event_id: Mapped[int] = mapped_column(ForeignKey("audit_event.id", ondelete="CASCADE"), primary_key=True)


class LoginThrottle(db.Model):
    """Failed sign-ins counted per account name and per client address (both as HMACs).

    `scope` is "account" or "address"; `key_hash` an HMAC of the lower-cased username or of the
    address, so that no address or mistyped name is stored. See `portal.staff.throttle`.
    """

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))
    key_hash: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("scope", "key_hash", name="uq_login_throttle_scope_key"),)


class StaffSession(db.Model):
    """One signed-in browser session of a staff account, so that signing out ends it on the server.

    The session cookie carries a random token; only its HMAC is kept here. Every staff request
    needs its row: "Sign out" deletes the row, so a copy of the cookie stops working at once.
    ("Sign out everywhere" also raises the account's `session_generation`; see `portal.staff.auth`.)
    """

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UrgentAlert(db.Model):
    """An urgent tip the officers on duty have been told about; a line of the banner until it is
    acknowledged, owned or no longer urgent (portal.triage.alerts.banner)."""

    __tablename__ = "urgent_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"), unique=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    # The danger word that made the tip urgent when its sender had not said a child is in danger
    # (an SMS: portal.hotline.danger), as spelt in the word lists; None otherwise.
    danger_word: Mapped[str | None] = mapped_column(String(40))

    item = relationship("IntakeItem")


class ItemNote(db.Model):
    """An internal note on an item, for staff only. The text may hold personal data: encrypted."""

    __tablename__ = "item_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    body: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("StaffUser")


class ItemLink(db.Model):
    """Two items staff decided are about the same thing (stored once, lower id first)."""

    __tablename__ = "item_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"))
    other_item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("item_id", "other_item_id", name="uq_item_link_pair"),)


class Redaction(db.Model):
    """What staff removed from an item, and why: a passage wherever it appeared (`field` "passage";
    the passage itself is kept nowhere) or a contact detail blanked whole (`field` its name). The
    reason is encrypted (it may quote)."""

    __tablename__ = "redaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(EncryptedText)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseFileCounter(db.Model):
    """The last case file number given out in a year (numbers are `YYYY-NNNNN`, never reused)."""

    __tablename__ = "case_file_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
