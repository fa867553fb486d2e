"""Who asked for no more messages: the opt-out record behind every SMS the portal sends.

A number is opted out when it texts an opt-out word as its whole message (STOP and Twilio's
other opt-out words, 退订, TD: `portal.sms.keywords`) or when the provider refuses a send to it
with Twilio error 21610 ("the recipient has replied STOP"). It stays opted out, whatever queued a
message (a reminder, a staff question, a hotline reply), until it texts a START word (恢复,
START, UNSTOP). Numbers are known here only by their lookup hash (`phone_hash`).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import SmsOptOut, utcnow

KEYWORD = "keyword"
PROVIDER = "provider"


def is_opted_out(phone_hash: str) -> bool:
    """True when the number with this lookup hash has opted out and not opted back in."""
    return bool(db.session.scalar(select(SmsOptOut.opted_out).where(SmsOptOut.phone_hash == phone_hash)))


def _set(phone_hash: str, opted_out: bool, source: str) -> None:
    values = {"opted_out": opted_out, "source": source, "changed_at": utcnow()}
    changed = db.session.execute(
        update(SmsOptOut).where(SmsOptOut.phone_hash == phone_hash).values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SmsOptOut(phone_hash=phone_hash, **values))
    except IntegrityError:
        # Another request inserted the row first: update it instead.
        db.session.execute(
            update(SmsOptOut).where(SmsOptOut.phone_hash == phone_hash).values(**values)
            .execution_options(synchronize_session=False)
        )


def opt_out(phone_hash: str, source: str = KEYWORD) -> None:
    """Record that this number wants no more messages, in the current transaction (caller commits).

    `source`: KEYWORD (it texted an opt-out word) or PROVIDER (Twilio error 21610).
    """
    _set(phone_hash, True, source)


def opt_in(phone_hash: str) -> bool:
    """Record a START word, in the current transaction (caller commits). Returns True when the
    number was opted out (and now is not), False when there was nothing to undo."""
    was_out = is_opted_out(phone_hash)
    if was_out:
        _set(phone_hash, False, KEYWORD)
    return was_out
