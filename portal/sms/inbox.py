"""Receiving one SMS: store it once, act on it, record the reply. Knows the database, not Flask requests.

Everything a message causes (the stored message, a tip and its intake item, the record of the
reply) is committed in one transaction, before the webhook answers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.forms import InvalidMobileNumber, normalise_mobile
from portal.intake import new_item
from portal.models import Channel, InboundMessage, ItemKind, OutboundMessage, OutboundStatus, TipCategory, utcnow
from portal.security.crypto import phone_hash
from portal.sms import replies
from portal.sms.hotline import ReplyKind, decide, language_of
from portal.sms.provider import InboundSms
from portal.tips import service as tips

if TYPE_CHECKING:
    from portal.config import Settings

logger = logging.getLogger(__name__)

REPLY_PURPOSE = "hotline_reply"


class DuplicateMessage(Exception):
    """This provider message id is already stored: a redelivery. Nothing was changed."""


def sender_phone(raw: str) -> str:
    """The sender in E.164 when it is a valid mobile number, else the provider's string as given
    (a landline, a short code or a foreign number we cannot check is still kept)."""
    try:
        return normalise_mobile(raw)
    except InvalidMobileNumber:
        return raw.strip()


def _store_inbound(sms: InboundSms, phone: str, language: str) -> InboundMessage:
    """Insert the message and flush, so a second delivery fails here, before anything else is made.

    Relies on the unique index on provider_message_id: two deliveries at the same instant both
    pass any "does it exist?" check, but only one insert can succeed. Raises DuplicateMessage
    (after rolling back) for the other.
    """
    message = InboundMessage(
        provider_message_id=sms.provider_message_id,
        from_phone=phone or None,
        from_phone_hash=phone_hash(phone),
        to_number=sms.to[:32] or None,
        body=sms.body,
        language=language,
    )
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise DuplicateMessage(sms.provider_message_id) from exc
    return message


def _record_reply(inbound: InboundMessage, phone: str, stored_body: str) -> None:
    db.session.add(
        OutboundMessage(
            to_phone=phone or None,
            to_phone_hash=phone_hash(phone),
            body=stored_body,
            purpose=REPLY_PURPOSE,
            item_id=inbound.item_id,
            in_reply_to_id=inbound.id,
            status=OutboundStatus.REPLIED.value,
            sent_at=utcnow(),
        )
    )


def receive(sms: InboundSms, settings: "Settings") -> str:
    """Store `sms`, create what it asks for, record the reply, commit; return the reply text.

    An opt-out word (STOP, 退订, …) alone is stored without an item and answered with nothing
    (the empty string). A tip keyword with text creates a tip (channel SMS, category OTHER, the rest of the text as
    its description, the feedback deadline from settings). Anything else becomes an intake item
    of kind SMS_MESSAGE, so staff read it. Raises DuplicateMessage for a redelivered message
    (nothing stored). Any other exception leaves the session dirty: the caller rolls back.
    """
    decision = decide(sms.body)
    phone = sender_phone(sms.from_phone)
    inbound = _store_inbound(sms, phone, decision.language)

    if decision.kind is ReplyKind.OPT_OUT:
        # Kept (the provider honours the opt-out itself; recording it is the SMS issue's work),
        # but answered with nothing: a menu after "STOP" would be exactly the wrong reply.
        db.session.commit()
        logger.info("SMS %s stored as an opt-out word", sms.provider_message_id)
        return ""
    if decision.kind is ReplyKind.TIP:
        receipt = tips.create_tip(
            channel=Channel.SMS,
            category=TipCategory.OTHER,
            description=decision.description,
            deadline_days=settings.feedback_deadline_days,
            display_minutes=0,  # the reply carries the code; no page will show it again
        )
        inbound.item_id = receipt.tip.item_id
        reply = replies.tip_received(receipt.reference, receipt.follow_up_code, decision.language)
        stored_reply = replies.tip_received(receipt.reference, replies.REDACTED_CODE, decision.language)
    else:
        item = new_item(ItemKind.SMS_MESSAGE, Channel.SMS, deadline_days=settings.feedback_deadline_days)
        db.session.flush()
        inbound.item_id = item.id
        if decision.kind is ReplyKind.TIP_WITHOUT_TEXT:
            reply = replies.tip_needs_text(decision.language)
        else:
            reply = replies.menu(decision.language)
        stored_reply = reply

    _record_reply(inbound, phone, stored_reply)
    db.session.commit()
    logger.info("SMS %s stored as %s (item %s)", sms.provider_message_id, decision.kind.value, inbound.item_id)
    return reply


def keep_after_error(sms: InboundSms, settings: "Settings") -> str:
    """After `receive` failed: store the bare message as an SMS_MESSAGE item in a fresh transaction.

    Returns the reply text: "we have your message" when it was stored (or already was), "please
    send it again" when it could not be. Never raises.
    """
    language = language_of(sms.body)
    try:
        db.session.rollback()
        phone = sender_phone(sms.from_phone)
        inbound = _store_inbound(sms, phone, language)
        item = new_item(ItemKind.SMS_MESSAGE, Channel.SMS, deadline_days=settings.feedback_deadline_days)
        db.session.flush()
        inbound.item_id = item.id
        reply = replies.kept_after_error(language)
        _record_reply(inbound, phone, reply)
        db.session.commit()
        return reply
    except DuplicateMessage:
        return replies.kept_after_error(language)
    except Exception as exc:  # noqa: BLE001 - the webhook must still answer
        db.session.rollback()
        logger.error("could not keep SMS %s after an error: %s", sms.provider_message_id, type(exc).__name__)
        return replies.not_kept_after_error(language)
