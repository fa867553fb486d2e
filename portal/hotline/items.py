"""Which staff item a hotline message belongs to. Knows the database, not the flows.

Every stored message (`InboundMessage`) that says something is read by staff in an intake item:
the tip or booking it became part of, or an item of kind SMS message of its own. The dispatcher
and the flows decide which; these functions move the rows, in the request's transaction (they
flush, never commit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from portal.core.extensions import db
from portal.core.intake import new_item
from portal.core.models import (
    AuditEvent, Channel, InboundMessage, IntakeItem, ItemKind, ItemLink, ItemStatus, SmsMedia, Tip,
)
from portal.hotline.language import has_words

if TYPE_CHECKING:
    from portal.core.config import Settings


def attach_messages(inbound_ids: list[int], item_id: int) -> None:
    """Make these stored messages part of item `item_id` (a tip, usually), with their MMS media.

    Media rows of the messages get the tip's id, so the worker downloads them into its photos.
    """
    if not inbound_ids:
        return
    db.session.execute(update(InboundMessage).where(InboundMessage.id.in_(inbound_ids))
                       .values(item_id=item_id).execution_options(synchronize_session=False))
    tip_id = db.session.scalar(select(Tip.id).where(Tip.item_id == item_id))
    if tip_id is not None:
        db.session.execute(update(SmsMedia).where(SmsMedia.inbound_message_id.in_(inbound_ids))
                           .values(tip_id=tip_id).execution_options(synchronize_session=False))


def keep_for_staff(inbound: InboundMessage, settings: "Settings") -> None:
    """Keep this message as an SMS item of its own, so staff read words no flow uses."""
    item = new_item(ItemKind.SMS_MESSAGE, Channel.SMS, deadline_days=settings.feedback_deadline_days)
    db.session.flush()
    inbound.item_id = item.id


def kept_text(inbound_ids: list[int]) -> str:
    """The texts of these stored messages, oldest first, one per line. Messages without words (a
    bare "1", "?", a photo) are left out: they say nothing about what was seen."""
    bodies = db.session.scalars(
        select(InboundMessage.body).where(InboundMessage.id.in_(inbound_ids)).order_by(InboundMessage.id)
    )
    return "\n".join(body.strip() for body in bodies if has_words(body))


def fold_kept_item_into(kept_item_id: int | None, inbound_ids: list[int], tip_item_id: int) -> None:
    """After a tip was made from messages first kept as an SMS item (the menu's): move the messages
    to the tip, and remove the SMS item when nobody has opened or worked on it (still new, no
    audit event), so the queue does not show the same words twice. An item staff have seen stays
    as it was, linked to the tip, with its messages: the record of who saw them is kept whole."""
    kept = db.session.get(IntakeItem, kept_item_id) if kept_item_id else None
    if kept is None or kept.kind != ItemKind.SMS_MESSAGE:
        attach_messages(inbound_ids, tip_item_id)
        return
    seen = db.session.scalar(select(AuditEvent.id).where(AuditEvent.item_id == kept.id).limit(1)) is not None
    if kept.status == ItemStatus.NEW and not seen:
        attach_messages(inbound_ids, tip_item_id)
        db.session.flush()
        db.session.delete(kept)
        db.session.flush()
        return
    kept_messages = set(db.session.scalars(select(InboundMessage.id).where(InboundMessage.item_id == kept.id)))
    attach_messages([message_id for message_id in inbound_ids if message_id not in kept_messages], tip_item_id)
    first, second = sorted((kept.id, tip_item_id))
    db.session.add(ItemLink(item_id=first, other_item_id=second))
