"""Receiving one SMS: store it once, act on it, record the reply. Knows the database, not Flask requests.

The order, for every message (all in one transaction, committed before the webhook answers):

1. Store it (a second delivery of the same provider message id stops here: DuplicateMessage),
   with its MMS media URLs.
2. A burst (more than SMS_BURST_PER_MINUTE messages from the number within a minute) is kept and
   flagged for staff, and not answered.
3. An opt-out word as the whole message (STOP, 退订, TD, …) records the opt-out and ends any
   conversation; a START word (恢复, START) records the opt-in. Twilio confirms its own words
   itself; the hotline confirms 退订, TD and 恢复.
4. Everything else goes to the conversation dispatcher (`portal.sms.conversation`).
5. The reply is recorded in the outbox table, and withheld (recorded as opted out) when the
   number has opted out.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from stdnum.cn import ric

from portal import clock
from portal.extensions import db
from portal.forms import InvalidMobileNumber, normalise_mobile
from portal.intake import new_item
from portal.models import Channel, InboundMessage, ItemKind, OutboundMessage, OutboundStatus, SmsMedia
from portal.security.crypto import phone_hash
from portal.sms import conversation, optout, replies
from portal.sms.keywords import (
    TWILIO_ONLY_OPT_IN_WORDS,
    TWILIO_OPT_IN_WORDS,
    TWILIO_OPT_OUT_WORDS,
    Keyword,
    match,
    whole_word,
)
from portal.sms.provider import InboundSms

if TYPE_CHECKING:
    from datetime import datetime

    from portal.config import Settings

logger = logging.getLogger(__name__)

REPLY_PURPOSE = "hotline_reply"
# Opt-out and opt-in words that Twilio itself confirms to the sender; the others we confirm.
TWILIO_CONFIRMS = TWILIO_OPT_OUT_WORDS | TWILIO_OPT_IN_WORDS
# Messages of one burst within this many minutes are gathered in one item for staff.
BURST_ITEM_MINUTES = 10


class DuplicateMessage(Exception):
    """This provider message id is already stored: a redelivery. Nothing was changed."""


def sender_phone(raw: str) -> str:
    """The sender in E.164 when it is a valid mobile number, else the provider's string as given
    (a landline, a short code or a foreign number we cannot check is still kept)."""
    try:
        return normalise_mobile(raw)
    except InvalidMobileNumber:
        return raw.strip()


_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])[0-9０-９]{17}[0-9０-９XxＸｘ](?![0-9A-Za-z０-９Ａ-Ｚａ-ｚ])")
ID_NUMBER_PLACEHOLDER = "[identity number]"


def without_identity_numbers(text: str) -> str:
    """`text` with every valid resident identity number (GB 11643-1999, checked by python-stdnum,
    full-width digits too) replaced by "[identity number]": the message log is plain text, and an
    identity number is kept only encrypted, where it is used (a booking's attendee)."""
    def replace(found: re.Match[str]) -> str:
        return ID_NUMBER_PLACEHOLDER if ric.is_valid(unicodedata.normalize("NFKC", found.group(0))) else found.group(0)

    return _ID_NUMBER.sub(replace, text or "")


def _store_inbound(sms: InboundSms, phone: str, language: str, now: "datetime | None" = None) -> InboundMessage:
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
        body=without_identity_numbers(sms.body),
        language=language,
        received_at=now or clock.now(),
    )
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise DuplicateMessage(sms.provider_message_id) from exc
    return message


def _record_reply(inbound: InboundMessage, phone: str, stored_body: str, withheld: bool = False) -> None:
    db.session.add(
        OutboundMessage(
            to_phone=phone or None,
            to_phone_hash=phone_hash(phone),
            body=stored_body,
            purpose=REPLY_PURPOSE,
            item_id=inbound.item_id,
            in_reply_to_id=inbound.id,
            status=OutboundStatus.OPTED_OUT.value if withheld else OutboundStatus.REPLIED.value,
            sent_at=None if withheld else clock.now(),
            last_error="the number has opted out; not sent" if withheld else None,
        )
    )


def _keep_media(inbound: InboundMessage, urls: tuple[str, ...]) -> None:
    for url in urls:
        db.session.add(SmsMedia(inbound_message_id=inbound.id, url=url[:1000]))


def _is_burst(sender_hash: str, inbound: InboundMessage, now: "datetime", settings: "Settings") -> bool:
    earlier = db.session.scalar(
        select(func.count(InboundMessage.id)).where(
            InboundMessage.from_phone_hash == sender_hash,
            InboundMessage.received_at > now - timedelta(minutes=1),
            InboundMessage.id != inbound.id,
        )
    ) or 0
    return earlier >= settings.sms_burst_per_minute


def _burst_item(sender_hash: str, now: "datetime", settings: "Settings") -> int:
    """The item gathering this number's current burst (one item per burst, not one per message)."""
    item_id = db.session.scalar(
        select(InboundMessage.item_id).where(
            InboundMessage.from_phone_hash == sender_hash,
            InboundMessage.burst.is_(True),
            InboundMessage.item_id.is_not(None),
            InboundMessage.received_at > now - timedelta(minutes=BURST_ITEM_MINUTES),
        ).order_by(InboundMessage.id.desc()).limit(1)
    )
    if item_id is not None:
        return item_id
    item = new_item(ItemKind.SMS_MESSAGE, Channel.SMS, deadline_days=settings.feedback_deadline_days)
    db.session.flush()
    return item.id


def receive(sms: InboundSms, settings: "Settings") -> str:
    """Store `sms`, act on it, record the reply, commit; return the reply text ("" for none).

    See the module docstring for the order. Raises DuplicateMessage for a redelivered message
    (nothing stored). Any other exception leaves the session dirty: the caller rolls back and
    calls `keep_after_error`.
    """
    now = clock.now()
    phone = sender_phone(sms.from_phone)
    sender_hash = phone_hash(phone)
    # A reference, a code or a number says nothing about the sender's language: Chinese then.
    language = conversation.reply_language(sms.body, "zh")
    inbound = _store_inbound(sms, phone, language, now)
    _keep_media(inbound, sms.media_urls)

    found = match(sms.body)
    word = whole_word(sms.body)
    # Twilio acts on (and confirms) only its own words exactly as one word; "Ｓｔｏｐ" or "S T O P"
    # are opt-outs to the hotline alone, so the hotline confirms them itself.
    twilio_word = (sms.body or "").strip().upper() in TWILIO_CONFIRMS
    if found is not None and found.keyword is Keyword.OPT_OUT:
        optout.opt_out(sender_hash)
        conversation.forget(sender_hash)
        # TD is the Chinese carriers' opt-out word: whoever uses it reads Chinese.
        reply = "" if twilio_word else replies.opted_out("zh" if word == "TD" else language)
        if reply:
            _record_reply(inbound, phone, reply)
        db.session.commit()
        logger.info("SMS %s: opt-out recorded", sms.provider_message_id)
        return reply
    if (found is not None and found.keyword is Keyword.OPT_IN) or (
        word in TWILIO_ONLY_OPT_IN_WORDS and optout.is_opted_out(sender_hash)
    ):
        optout.opt_in(sender_hash)
        reply = "" if twilio_word else replies.opted_in(language)
        if reply:
            _record_reply(inbound, phone, reply)
        db.session.commit()
        logger.info("SMS %s: opt-in recorded", sms.provider_message_id)
        return reply

    if _is_burst(sender_hash, inbound, now, settings):
        inbound.burst = True
        inbound.item_id = _burst_item(sender_hash, now, settings)
        db.session.commit()
        logger.warning("SMS %s: part of a burst from one number; kept, not answered", sms.provider_message_id)
        return ""

    turn = conversation.Turn(
        inbound=inbound, phone=phone, phone_hash=sender_hash, text=sms.body, language=language,
        settings=settings, now=now, has_media=bool(sms.media_urls),
    )
    answer = conversation.handle(turn, found)
    withheld = optout.is_opted_out(sender_hash)
    _record_reply(inbound, phone, answer.stored_text, withheld=withheld)
    db.session.commit()
    logger.info("SMS %s handled (item %s)", sms.provider_message_id, inbound.item_id)
    return "" if withheld else answer.text


def keep_after_error(sms: InboundSms, settings: "Settings") -> str:
    """After `receive` failed: store the bare message as an SMS_MESSAGE item in a fresh transaction.

    Returns the reply text: "we have your message" when it was stored (or already was), "please
    send it again" when it could not be. Never raises.
    """
    language = conversation.reply_language(sms.body, "zh")
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
        # Another delivery of this message stored it and answered it: answer nothing more.
        return ""
    except Exception as exc:  # noqa: BLE001 - the webhook must still answer
        db.session.rollback()
        logger.error("could not keep SMS %s after an error: %s", sms.provider_message_id, type(exc).__name__)
        return replies.not_kept_after_error(language)
