"""The outbox: every SMS the portal sends on its own initiative is queued here first.

`queue_message` adds a row to the caller's transaction, so the message exists exactly when the
event that caused it (a booking, a staff question) is committed. The worker
(`portal.core.outbox.worker`, run by `flask --app wsgi worker`) delivers due messages later.
"""

from __future__ import annotations

from datetime import datetime

from portal.core.extensions import db
from portal.core.models import OutboundMessage, OutboundStatus, utcnow
from portal.core.security.crypto import phone_hash


def queue_message(
    to_phone: str,
    body: str,
    purpose: str,
    *,
    item_id: int | None = None,
    not_before: datetime | None = None,
) -> OutboundMessage:
    """Queue an SMS in the current transaction (the caller commits).

    `to_phone`: E.164 (`+8613800138000`). `body`: the whole text, already in the recipient's
    language. `purpose`: a short code such as `booking_confirmation`. `not_before`: UTC instant
    before which the worker will not send it (default: now).
    """
    message = OutboundMessage(
        to_phone=to_phone,
        to_phone_hash=phone_hash(to_phone),
        body=body,
        purpose=purpose,
        item_id=item_id,
        status=OutboundStatus.QUEUED,
        not_before=not_before or utcnow(),
    )
    db.session.add(message)
    return message
