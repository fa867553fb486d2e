"""Where a phone number's conversation with the hotline stands: the `Conversation` a flow sees, and
the `SmsConversation` row it is kept in between messages. Knows the database, not the flows.

A conversation is one `SmsConversation` row per phone number (by lookup hash): the flow under way
(tip, book, status, cancel, help, or the menu), the question it waits on (`step`), its answers so
far (`data`, JSON, stored encrypted with the row), the staff item its messages join and the
language it is held in. It expires after SMS_CONVERSATION_IDLE_MINUTES without a message; the row
is kept, without its answers, for EXPIRED_MARKER_HOURS, so the number's next message can still say
"your earlier conversation ended".

The dispatcher (`portal.hotline.dispatch`) loads the row for each message (`load`), hands a flow
the `Conversation`, and stores what the flow left (`save`) in the request's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.core.extensions import db
from portal.core.models import SmsConversation, as_utc

# An expired conversation's row is kept, without its answers, this long: the number's next
# message can still say "your earlier conversation ended".
EXPIRED_MARKER_HOURS = 24


@dataclass
class Conversation:
    """A flow's view of the conversation row: change `step`, `data` and `item_id` freely.

    `flow`: the flow's name (`portal.hotline.dispatch.FLOWS`). `step`: the question the next
    message answers. `data`: the flow's answers so far (JSON-serialisable). `item_id`: the staff
    item the conversation's messages join. `language`: "zh" or "en", the language it is held in.
    """

    flow: str
    step: str = "start"
    data: dict[str, Any] = field(default_factory=dict)
    item_id: int | None = None
    language: str = "zh"
    ended: bool = False
    # The row this came from (None for a new conversation).
    row_id: int | None = None

    def goto(self, step: str) -> None:
        """Wait for the answer to `step`'s question next."""
        self.step = step
        self.ended = False

    def end(self) -> None:
        """The conversation is over: the number's next message starts afresh (no expiry note)."""
        self.ended = True


def load(phone_hash: str) -> SmsConversation | None:
    """The number's conversation row, or None."""
    return db.session.scalars(select(SmsConversation).where(SmsConversation.phone_hash == phone_hash)).first()


def is_expired(row: SmsConversation, now: datetime, idle_minutes: int) -> bool:
    """True when the conversation has had no message for `idle_minutes` (UTC `now`)."""
    return as_utc(row.updated_at) <= now - timedelta(minutes=idle_minutes)


def from_row(row: SmsConversation) -> Conversation:
    """The conversation stored in `row` (unreadable or non-dict data reads as no answers)."""
    try:
        data = json.loads(row.data) if row.data else {}
    except ValueError:
        data = {}
    return Conversation(flow=row.flow, step=row.step, data=data if isinstance(data, dict) else {},
                        item_id=row.item_id, language=row.language or "zh", row_id=row.id)


def forget(phone_hash: str) -> None:
    """End the number's conversation, if any (after an opt-out, say), in the current transaction."""
    db.session.execute(delete(SmsConversation).where(SmsConversation.phone_hash == phone_hash)
                       .execution_options(synchronize_session=False))


def save(phone_hash: str, conversation: Conversation, now: datetime) -> None:
    """Store where the conversation is (or delete it when it ended), in the current transaction."""
    if conversation.ended:
        forget(phone_hash)
        return
    values = {
        "flow": conversation.flow,
        "step": conversation.step,
        "language": conversation.language,
        "data": json.dumps(conversation.data, ensure_ascii=False),
        "item_id": conversation.item_id,
        "updated_at": now,
    }
    statement = (update(SmsConversation).where(SmsConversation.phone_hash == phone_hash).values(**values)
                 .execution_options(synchronize_session=False))
    if db.session.execute(statement).rowcount:  # type: ignore[attr-defined]  # CursorResult
        return
    try:
        # Two first messages from one number at once both find no row: the unique phone_hash lets
        # one insert win; the other, rolled back to its savepoint, updates the winner's row.
        with db.session.begin_nested():
            db.session.add(SmsConversation(phone_hash=phone_hash, started_at=now, **values))
    except IntegrityError:
        db.session.execute(statement)


def forget_idle_conversations(now: datetime) -> None:
    """Worker job (listed in `portal.jobs`): clear the answers (a booking's name and
    identity number, encrypted) of every conversation idle for SMS_CONVERSATION_IDLE_MINUTES, and
    delete rows idle for EXPIRED_MARKER_HOURS. `now`: UTC. Commits."""
    idle = current_app.config["SETTINGS"].sms_conversation_idle_minutes
    db.session.execute(update(SmsConversation)
                       .where(SmsConversation.updated_at <= now - timedelta(minutes=idle),
                              SmsConversation.data.is_not(None))
                       .values(data=None).execution_options(synchronize_session=False))
    db.session.execute(delete(SmsConversation)
                       .where(SmsConversation.updated_at <= now - timedelta(hours=EXPIRED_MARKER_HOURS))
                       .execution_options(synchronize_session=False))
    db.session.commit()
