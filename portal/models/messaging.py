"""SMS messages: what arrived (stored once per provider message id) and the outbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.base import UTCDateTime, utcnow
from portal.security.crypto import EncryptedText


class InboundMessage(db.Model):
    """An SMS received through the provider's webhook. `provider_message_id` (Twilio's
    MessageSid) is unique, so a second delivery of the same message stores nothing."""

    __tablename__ = "inbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_phone: Mapped[str | None] = mapped_column(EncryptedText)
    from_phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    to_number: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The intake item this message created or belongs to (a tip, or an item of its own).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("intake_item.id", ondelete="SET NULL"), index=True)

    item = relationship("IntakeItem")


class OutboundStatus(str, enum.Enum):
    """queued → sending → sent; a send that certainly failed goes back to queued (retry) or to
    failed; one whose outcome is unknown stays `unknown` and is never resent automatically."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"
    # An immediate reply that went back inside the webhook's TwiML answer.
    REPLIED = "replied"
    # No longer wanted when it fell due (a reminder for a booking since cancelled or moved).
    WITHDRAWN = "withdrawn"


class OutboundMessage(db.Model):
    """An SMS the portal sends: written in the same transaction as the event that causes it,
    delivered later by the worker (`portal.outbox`)."""

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_phone: Mapped[str | None] = mapped_column(EncryptedText)
    to_phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("intake_item.id", ondelete="SET NULL"), index=True)
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default=OutboundStatus.QUEUED.value)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_outbound_message_due", "status", "not_before"),)
