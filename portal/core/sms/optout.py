"""Who asked for no more messages: the opt-out record behind every SMS the portal sends.

A number is opted out when it texts an opt-out word as its whole message (STOP and Twilio's
other opt-out words, 退订, TD: `portal.hotline.keywords`) or when the provider refuses a send to it
with Twilio error 21610 ("the recipient has replied STOP"). It stays opted out, whatever queued a
message (a reminder, a staff question, a hotline reply), until it texts a START word (恢复,
START, UNSTOP). Numbers are known here only by their lookup hash (`phone_hash`).

Who blocks what: after one of Twilio's own opt-out words (STOP, UNSUBSCRIBE, …) or error 21610,
Twilio itself refuses every message to the number, a reply to a message it has just sent
included, until it texts START (`provider_blocks`). After the hotline's own words (退订, TD,
"Ｓｔｏｐ" in full-width letters) Twilio knows nothing: the portal sends nothing unsolicited, but
still answers a message the person has just sent (a tip's reference and code, the 110 advice).
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from portal.core.extensions import db
from portal.core.models import SmsOptOut, utcnow

# The hotline's own opt-out word (退订, TD, …): Twilio does not know of it.
KEYWORD = "keyword"
# One of Twilio's own opt-out words (STOP, …): Twilio blocks every message until START.
PROVIDER_KEYWORD = "provider_keyword"
# Twilio error 21610 on a send or a delivery report: Twilio blocks every message until START.
PROVIDER = "provider"
PROVIDER_SOURCES = frozenset({PROVIDER_KEYWORD, PROVIDER})


def is_opted_out(phone_hash: str) -> bool:
    """True when the number with this lookup hash has opted out and not opted back in."""
    return bool(db.session.scalar(select(SmsOptOut.opted_out).where(SmsOptOut.phone_hash == phone_hash)))


def provider_blocks(phone_hash: str) -> bool:
    """True when the provider itself refuses every message to this number (it texted one of
    Twilio's own opt-out words, or a send got error 21610) and it has not opted back in: even a
    reply to its own message would not reach it."""
    row = db.session.execute(
        select(SmsOptOut.opted_out, SmsOptOut.source).where(SmsOptOut.phone_hash == phone_hash)
    ).first()
    return bool(row is not None and row.opted_out and row.source in PROVIDER_SOURCES)


def _set(phone_hash: str, opted_out: bool, source: str) -> None:
    values = {"opted_out": opted_out, "source": source, "changed_at": utcnow()}
    changed = db.session.execute(  # type: ignore[attr-defined]  # CursorResult
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

    `source`: KEYWORD (it texted the hotline's own opt-out word), PROVIDER_KEYWORD (one of
    Twilio's own words) or PROVIDER (Twilio error 21610). A later hotline word never hides an
    earlier provider block: Twilio still blocks the number, so the record keeps saying so.
    """
    if source == KEYWORD and provider_blocks(phone_hash):
        return
    _set(phone_hash, True, source)


def opt_in(phone_hash: str) -> bool:
    """Record a START word, in the current transaction (caller commits). Returns True when the
    number was opted out (and now is not), False when there was nothing to undo."""
    was_out = is_opted_out(phone_hash)
    if was_out:
        _set(phone_hash, False, KEYWORD)
    return was_out
