"""Staff accounts, working groups and the audit trail."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow

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
    """A police staff account. `role` is a `portal.permissions.Role` value."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    working_group_id: Mapped[int | None] = mapped_column(ForeignKey("working_group.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    working_group: Mapped[WorkingGroup | None] = relationship()
    sites = relationship("SamplingSite", secondary=staff_site)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        """Whether the account may sign in (Flask-Login refuses inactive accounts)."""
        return self.active


class AuditEvent(db.Model):
    """Who did what to which item, and when. Append-only.

    Never holds personal values: `fields` names the fields touched, and `changes` carries before
    and after values only for the non-personal fields in `portal.audit.NON_PERSONAL_FIELDS`,
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
