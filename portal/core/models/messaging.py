"""SMS messages: what arrived (stored once per provider message id) and the outbox."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.extensions import db
from portal.core.models.base import UTCDateTime, utcnow, value_enum
from portal.core.security.crypto import EncryptedText


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
    # One of a burst from this number (more than SMS_BURST_PER_MINUTE in a minute): kept, not answered.
    burst: Mapped[bool] = mapped_column(Boolean, default=False)
    # The hotline's answer as sent (a tip's follow-up code included), encrypted, kept for an hour
    # so that a repeated delivery of this message (the first answer lost: a worker that died, or
    # Twilio's 15-second timeout) gets the same answer; then erased (on read, and by the worker).
    answer: Mapped[str | None] = mapped_column(EncryptedText)
    answer_kept_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    item = relationship("IntakeItem")

    __table_args__ = (Index("ix_inbound_message_sender_time", "from_phone_hash", "received_at"),)


class OutboundStatus(enum.StrEnum):
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
    # Not handed to the provider: the recipient opted out (STOP, 退订, …) and has not opted back in.
    OPTED_OUT = "opted_out"


class OutboundMessage(db.Model):
    """An SMS the portal sends: written in the same transaction as the event that causes it,
    delivered later by the worker (`portal.core.outbox`)."""

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_phone: Mapped[str | None] = mapped_column(EncryptedText)
    to_phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("intake_item.id", ondelete="SET NULL"), index=True)
    in_reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_message.id", ondelete="SET NULL"))
    status: Mapped[OutboundStatus] = mapped_column(value_enum(OutboundStatus, 12), default=OutboundStatus.QUEUED)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the provider's status callback last said (Twilio: queued, sent, delivered, undelivered,
    # failed, …), its error code if any, and when it said it.
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    delivery_error_code: Mapped[int | None] = mapped_column(Integer)
    delivery_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbound_message_due", "status", "not_before"),
        Index("ix_outbound_message_provider_message_id", "provider_message_id"),
    )


class SmsConversation(db.Model):
    """Where one phone number is in a hotline conversation (a tip's questions, a booking, a
    cancellation, the menu). One row per number; `data` holds the answers so far as encrypted
    JSON (a booking's name and identity number pass through it). Forgotten after
    SMS_CONVERSATION_IDLE_MINUTES without a message, or when the conversation ends."""

    __tablename__ = "sms_conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    flow: Mapped[str] = mapped_column(String(20))
    step: Mapped[str] = mapped_column(String(30))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    data: Mapped[str | None] = mapped_column(EncryptedText)
    # The item the conversation is about (the tip being completed, the first message kept).
    item_id: Mapped[int | None] = mapped_column(ForeignKey("intake_item.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SmsOptOut(db.Model):
    """A number that asked for no more messages (STOP, 退订, TD, …, or Twilio error 21610).
    While `opted_out`, the outbox hands nothing to the provider for it; a START word (恢复, START)
    clears it. `source`: "keyword" or "provider" (21610)."""

    __tablename__ = "sms_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(20), default="keyword")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SmsMedia(db.Model):
    """A picture sent by MMS with a hotline message: its URL at the provider, then (once the
    worker has downloaded it with the account's credentials) the tip photo made from it.
    `status`: pending → stored, or failed (after MAX attempts, or not an image)."""

    __tablename__ = "sms_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_message_id: Mapped[int] = mapped_column(ForeignKey("inbound_message.id", ondelete="CASCADE"), index=True)
    tip_id: Mapped[int | None] = mapped_column(ForeignKey("tip.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(1000))
    content_type: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("tip_photo.id", ondelete="SET NULL"))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
