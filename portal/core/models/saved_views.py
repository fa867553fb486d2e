"""Saved views of the staff queue: its filters kept under a name (portal.staff.saved_views)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models.base import UTCDateTime, utcnow

SAVED_VIEW_NAME_MAX = 80  # characters


class SavedView(db.Model):
    """The queue's filters saved by a staff member under a name, for themselves or shared with a
    working group.

    `query` is a query string of the queue's filters (`status=closed&priority=0`) holding only
    keys and values the queue's filter form accepts: cleaned when saved and again whenever it is
    used (`portal.staff.saved_views.clean_query`). `shared_with_group_id`: the working group whose
    members see the view too; None for a personal view. Names are unique per owner.
    """

    __tablename__ = "saved_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(SAVED_VIEW_NAME_MAX))
    query: Mapped[str] = mapped_column(Text, default="")
    shared_with_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_group.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner = relationship("StaffUser")
    shared_with_group = relationship("WorkingGroup")

    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_saved_view_owner_name"),)
