"""Creating tips: the one function the web form and the SMS hotline both call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from portal.extensions import db
from portal.intake import new_item
from portal.models import Channel, ItemKind, Priority, Tip, TipCategory, utcnow
from portal.security.crypto import lookup_hash
from portal.security.references import new_follow_up_code, normalise_follow_up_code

FOLLOW_UP_PURPOSE = "follow-up-code"


@dataclass(frozen=True)
class TipReceipt:
    """What the tipster is shown once: the reference number and the plain follow-up code."""

    tip: Tip
    reference: str
    follow_up_code: str


def create_tip(
    *,
    channel: Channel,
    category: TipCategory,
    description: str,
    place: str | None = None,
    seen_when: str | None = None,
    child_in_danger: bool = False,
    contact_name: str | None = None,
    contact_phone: str | None = None,
    may_contact_by_sms: bool = False,
    deadline_days: int = 7,
    display_minutes: int = 60,
) -> TipReceipt:
    """Create a tip and its intake item in the current transaction (the caller commits).

    `contact_phone` must already be E.164 (see `portal.forms.normalise_mobile`). A child in
    danger makes the item urgent, so it tops the queue. The follow-up code is stored only as an
    HMAC; its plain text is kept encrypted for `display_minutes` so a refresh or print of the
    confirmation still shows it. Nothing about the sender's device or address is stored.
    """
    item = new_item(
        ItemKind.TIP,
        channel,
        priority=Priority.URGENT if child_in_danger else Priority.NORMAL,
        deadline_days=deadline_days,
        region_text=place or None,
    )
    code = new_follow_up_code()
    tip = Tip(
        item=item,
        category=category.value,
        description=description,
        place=place or None,
        seen_when=seen_when or None,
        child_in_danger=child_in_danger,
        contact_name=contact_name or None,
        contact_phone=contact_phone or None,
        contact_phone_hash=lookup_hash(contact_phone, "phone") if contact_phone else None,
        may_contact_by_sms=bool(contact_phone) and may_contact_by_sms,
        follow_up_code_hash=lookup_hash(code, FOLLOW_UP_PURPOSE),
        follow_up_code_display=code,
        follow_up_code_display_until=utcnow() + timedelta(minutes=display_minutes),
    )
    db.session.add(tip)
    db.session.flush()
    return TipReceipt(tip=tip, reference=item.reference, follow_up_code=code)


def follow_up_code_matches(tip: Tip, typed: str) -> bool:
    """True when `typed` (any case, spacing, width) is this tip's follow-up code. Constant-time."""
    from portal.security.crypto import hashes_match

    return hashes_match(normalise_follow_up_code(typed), tip.follow_up_code_hash, FOLLOW_UP_PURPOSE)
