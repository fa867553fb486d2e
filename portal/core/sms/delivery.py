"""Delivery reports: what the provider's status callback says became of a message the portal sent.

Knows the database, not Flask requests. Each report moves the message's `delivery_status` forward
only (queued → sending → sent → delivered / undelivered / failed / canceled): the provider's
callbacks can arrive out of order, and a late "sent" must not hide an earlier "delivered". The
check and the change are one conditional UPDATE, so two callbacks racing for one message cannot
move it backwards either.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select, update

from portal.core.extensions import db
from portal.core.models import OutboundMessage
from portal.core.sms import optout
from portal.core.sms.provider import DeliveryReport

logger = logging.getLogger(__name__)


def record_delivery_report(report: DeliveryReport, now: datetime) -> bool:
    """Record `report` on the outbound message(s) with its provider message id, and commit.

    `now`: the UTC time the report arrived (stored as `delivery_updated_at`). Returns True when a
    message's delivery status changed; False for an unknown message id, a status that is not a
    delivery stage, or one that would move the message backwards (nothing is changed then).
    A report that the recipient opted out (Twilio error 21610) records the number as opted out,
    whatever its status. Database errors are raised (the caller rolls back).
    """
    changed = 0
    if report.status is not None:
        changed = db.session.execute(  # type: ignore[attr-defined]  # CursorResult
            update(OutboundMessage)
            .where(
                OutboundMessage.provider_message_id == report.provider_message_id,
                or_(OutboundMessage.delivery_status.is_(None),
                    OutboundMessage.delivery_status.in_([s.value for s in report.status.supersedes()])),
            )
            .values(delivery_status=report.status.value, delivery_error_code=report.error_code,
                    delivery_updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    if report.recipient_opted_out:
        recipients = db.session.scalars(
            select(OutboundMessage.to_phone_hash).where(OutboundMessage.provider_message_id == report.provider_message_id)
        )
        for phone_hash in set(recipients):
            optout.opt_out(phone_hash, source=optout.PROVIDER)
    db.session.commit()
    logger.info("delivery report for %s: %s (%s)", report.provider_message_id,
                report.status.value if report.status else "not a delivery stage",
                "recorded" if changed else "no change")
    return bool(changed)
