"""Receiving one SMS: store it once, act on it, record the reply. Knows the database, not Flask requests.

`portal.hotline.views.inbound` calls `receive` with the provider's `InboundSms`. The order, for
every message (all in one transaction, committed before the webhook answers):

1. Read it once (`portal.hotline.incoming.read_incoming`): the sender normalised, the keyword,
   the language it is written in, and so on, in one `IncomingSms` that everything below reads.
2. Store it (a second delivery of the same provider message id stops here: DuplicateMessage, and
   the webhook answers it with `repeated_answer`), with its MMS media URLs, identity numbers in
   the text replaced by a placeholder.
3. An opt-out word as the whole message (STOP, 退订, TD, …) records the opt-out and ends any
   conversation; a START word (恢复, START) records the opt-in. Twilio confirms its own words
   itself; the hotline confirms 退订, TD and 恢复, in the message's own language.
4. A burst (more than SMS_BURST_PER_MINUTE messages from the number within a minute) is kept and
   flagged for staff, and not answered.
5. Everything else goes to the conversation dispatcher (`portal.hotline.dispatch.handle`), which
   picks the flow and the reply language and returns the reply.
6. The reply is recorded in the outbox table, and withheld (recorded as opted out) only when the
   provider itself blocks the number (it texted one of Twilio's own opt-out words: Twilio would
   refuse the reply anyway). After the hotline's own 退订 / TD the reply to the person's own
   message is still sent: it is not unsolicited. The answer as sent is kept on the stored message,
   encrypted, for ANSWER_KEPT_MINUTES, so that a repeated delivery gets it again.

When anything in 1-6 fails, the webhook calls `keep_after_error`, which starts again from the
provider's message in a fresh transaction and keeps it for staff.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from portal.core import clock
from portal.core.extensions import db
from portal.core.intake import new_item
from portal.core.models import (
    Channel, InboundMessage, ItemKind, OutboundMessage, OutboundStatus, SmsMedia, as_utc,
)
from portal.core.sms import optout
from portal.core.sms.provider import InboundSms
from portal.hotline import conversation, dispatch, replies
from portal.hotline.incoming import DEFAULT_LANGUAGE, IncomingSms, read_incoming
from portal.hotline.keywords import TWILIO_ONLY_OPT_IN_WORDS, Keyword
from portal.hotline.language import reply_language

if TYPE_CHECKING:
    from datetime import datetime

    from portal.core.config import Settings

logger = logging.getLogger(__name__)

REPLY_PURPOSE = "hotline_reply"
# Messages of one burst within this many minutes are gathered in one item for staff.
BURST_ITEM_MINUTES = 10
# How long the answer to a message is kept (encrypted) for a repeated delivery of that message:
# as long as the web confirmation keeps a follow-up code for a refresh.
ANSWER_KEPT_MINUTES = 60


class DuplicateMessage(Exception):
    """This provider message id is already stored: a redelivery. Nothing was changed."""


def _store_inbound(message: IncomingSms) -> InboundMessage:
    """Insert the message and flush, so a second delivery fails here, before anything else is made.

    Relies on the unique index on provider_message_id: two deliveries at the same instant both
    pass any "does it exist?" check, but only one insert can succeed. Raises DuplicateMessage
    (after rolling back) for the other.
    """
    inbound = InboundMessage(
        provider_message_id=message.provider_message_id,
        from_phone=message.phone or None,
        from_phone_hash=message.phone_hash,
        to_number=message.to[:32] or None,
        body=message.logged_text,
        language=message.language,
        received_at=message.received_at,
    )
    db.session.add(inbound)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise DuplicateMessage(message.provider_message_id) from exc
    return inbound


def _keep_answer(inbound: InboundMessage, answer: str, now: "datetime") -> None:
    """Keep `answer` (as sent, secrets included) on `inbound`, encrypted, for ANSWER_KEPT_MINUTES."""
    if answer:
        inbound.answer = answer
        inbound.answer_kept_until = now + timedelta(minutes=ANSWER_KEPT_MINUTES)


def repeated_answer(provider_message_id: str, now: "datetime") -> str:
    """The answer given to the first delivery of this provider message id, for a repeated delivery
    ("" when there was none, or it is older than ANSWER_KEPT_MINUTES: then it is erased here).

    Call it after DuplicateMessage (the session was rolled back). Commits only when it erased an
    expired answer. `now`: UTC.
    """
    inbound = db.session.scalar(
        select(InboundMessage).where(InboundMessage.provider_message_id == provider_message_id)
    )
    if inbound is None or inbound.answer is None:
        return ""
    until = inbound.answer_kept_until
    if until is None or as_utc(until) <= now:
        inbound.answer = None
        inbound.answer_kept_until = None
        db.session.commit()
        return ""
    return inbound.answer


def forget_kept_answers(now: "datetime") -> None:
    """Erase the kept answers of messages older than ANSWER_KEPT_MINUTES (a periodic job of the
    worker; `now`: the pass's UTC instant). Commits its own work."""
    result = db.session.execute(
        update(InboundMessage)
        .where(InboundMessage.answer_kept_until.is_not(None), InboundMessage.answer_kept_until <= now)
        .values(answer=None, answer_kept_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount:  # type: ignore[attr-defined]  # CursorResult
        logger.info("erased %s kept SMS answers", result.rowcount)  # type: ignore[attr-defined]  # CursorResult


def _record_reply(inbound: InboundMessage, message: IncomingSms, stored_body: str, withheld: bool = False) -> None:
    """Record the reply to `inbound` in the outbox table: answered in the webhook's response (not
    sent by the worker), or withheld when the provider blocks the number."""
    db.session.add(
        OutboundMessage(
            to_phone=message.phone or None,
            to_phone_hash=message.phone_hash,
            body=stored_body,
            purpose=REPLY_PURPOSE,
            item_id=inbound.item_id,
            in_reply_to_id=inbound.id,
            status=OutboundStatus.OPTED_OUT if withheld else OutboundStatus.REPLIED,
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
    message = read_incoming(sms, clock.now())
    sender_hash = message.phone_hash
    inbound = _store_inbound(message)
    _keep_media(inbound, message.media_urls)

    found = message.keyword
    # Twilio acts on (and confirms) only its own words exactly as one word; "Ｓｔｏｐ" or "S T O P"
    # are opt-outs to the hotline alone, so the hotline confirms them itself.
    if found is not None and found.keyword is Keyword.OPT_OUT:
        optout.opt_out(sender_hash, optout.PROVIDER_KEYWORD if message.twilio_word else optout.KEYWORD)
        conversation.forget(sender_hash)
        # TD is the Chinese carriers' opt-out word: whoever uses it reads Chinese.
        reply = "" if message.twilio_word else replies.opted_out("zh" if message.word == "TD" else message.language)
        if reply:
            _record_reply(inbound, message, reply)
            _keep_answer(inbound, reply, message.received_at)
        db.session.commit()
        logger.info("SMS %s: opt-out recorded", message.provider_message_id)
        return reply
    if (found is not None and found.keyword is Keyword.OPT_IN) or (
        message.word in TWILIO_ONLY_OPT_IN_WORDS and optout.is_opted_out(sender_hash)
    ):
        optout.opt_in(sender_hash)
        reply = "" if message.twilio_word else replies.opted_in(message.language)
        if reply:
            _record_reply(inbound, message, reply)
            _keep_answer(inbound, reply, message.received_at)
        db.session.commit()
        logger.info("SMS %s: opt-in recorded", message.provider_message_id)
        return reply

    if _is_burst(sender_hash, inbound, message.received_at, settings):
        inbound.burst = True
        inbound.item_id = _burst_item(sender_hash, message.received_at, settings)
        db.session.commit()
        logger.warning("SMS %s: part of a burst from one number; kept, not answered", message.provider_message_id)
        return ""

    answer = dispatch.handle(message, inbound, settings)
    # Only the provider's own block withholds a reply: after the hotline's 退订 / TD, an answer
    # to the message the person has just sent is not unsolicited.
    withheld = optout.provider_blocks(sender_hash)
    _record_reply(inbound, message, answer.stored_text, withheld=withheld)
    if not withheld:
        _keep_answer(inbound, answer.text, message.received_at)
    db.session.commit()
    logger.info("SMS %s handled (item %s)", message.provider_message_id, inbound.item_id)
    return "" if withheld else answer.text


def keep_after_error(sms: InboundSms, settings: "Settings") -> str:
    """After `receive` failed: store the bare message as an SMS_MESSAGE item in a fresh transaction.

    Starts again from the provider's message (nothing read in the failed attempt is trusted).
    Returns the reply text: "we have your message" when it was stored (or already was), "please
    send it again" when it could not be. Never raises.
    """
    # Decided before anything that may fail: the answer needs a language whatever happens.
    language = reply_language(sms.body, DEFAULT_LANGUAGE)
    try:
        db.session.rollback()
        message = read_incoming(sms, clock.now())
        inbound = _store_inbound(message)
        item = new_item(ItemKind.SMS_MESSAGE, Channel.SMS, deadline_days=settings.feedback_deadline_days)
        db.session.flush()
        inbound.item_id = item.id
        reply = replies.kept_after_error(language)
        _record_reply(inbound, message, reply)
        _keep_answer(inbound, reply, message.received_at)
        db.session.commit()
        return reply
    except DuplicateMessage:
        # Another delivery of this message stored it and answered it: the same answer again.
        return repeated_answer(sms.provider_message_id, clock.now())
    except Exception as exc:  # noqa: BLE001 - the webhook must still answer
        db.session.rollback()
        logger.error("could not keep SMS %s after an error: %s", sms.provider_message_id, type(exc).__name__)
        return replies.not_kept_after_error(language)
