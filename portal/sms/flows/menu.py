"""The menu: the answer to a message that matches no keyword and belongs to no conversation.

The message is kept as an item of kind SMS message, so staff read it whatever happens next, and
answered with a numbered menu. A number picks a flow; choosing "report a lead" makes the kept
message(s) the start of the tip (nothing the sender wrote is lost). Further messages without a
number are kept with the first and get a short reminder of the choices.
"""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.intake import new_item
from portal.models import AuditEvent, Channel, InboundMessage, IntakeItem, ItemKind, ItemLink, ItemStatus
from portal.sms import replies
from portal.sms.conversation import MENU, Conversation, Reply, Turn, flow, register
from portal.sms.keywords import choice

# The menu's numbers, in the order replies.menu lists them.
CHOICES = {1: "tip", 2: "book", 3: "status", 4: "cancel", 5: "help"}


def kept_text(inbound_ids: list[int]) -> str:
    """The texts of these stored messages, oldest first, one per line. Messages without words (a
    bare "1", "?", a photo) are left out: they say nothing about what was seen."""
    from portal.sms.conversation import has_words

    bodies = db.session.scalars(
        select(InboundMessage.body).where(InboundMessage.id.in_(inbound_ids)).order_by(InboundMessage.id)
    )
    return "\n".join(body.strip() for body in bodies if has_words(body))


class MenuFlow:
    """See the module docstring."""

    def start(self, turn: Turn, conversation: Conversation, rest: str) -> Reply:
        """Keep the message as an SMS item and answer with the menu (or its "your earlier
        conversation ended" variant when the number's conversation had just expired)."""
        expired = bool(conversation.data.pop("expired", False))
        item = new_item(ItemKind.SMS_MESSAGE, Channel.SMS, deadline_days=turn.settings.feedback_deadline_days)
        db.session.flush()
        conversation.item_id = item.id
        conversation.data["messages"] = [turn.inbound.id]
        conversation.goto("choose")
        text = replies.menu_after_expiry(turn.language) if expired else replies.menu(turn.language)
        return Reply(text)

    def answer(self, turn: Turn, conversation: Conversation) -> Reply:
        """A number starts that flow; anything else is kept with the first message."""
        picked = CHOICES.get(choice(turn.text) or -1)
        kept = list(conversation.data.get("messages", []))
        if picked is None:
            kept.append(turn.inbound.id)
            conversation.data["messages"] = kept
            return Reply(replies.menu_choose(turn.language))
        kept_item_id = conversation.item_id
        chosen = Conversation(flow=picked, language=turn.language)
        if picked == "tip":
            chosen.data["earlier_messages"] = kept
            chosen.data["kept_item_id"] = kept_item_id
            reply = flow("tip").start(turn, chosen, kept_text(kept))
        else:
            reply = flow(picked).start(turn, chosen, "")
            # The "2"/"3"… itself belongs with the kept message, not to the new flow.
            if chosen.item_id is None:
                turn.inbound.item_id = kept_item_id
        conversation.flow, conversation.step, conversation.data = chosen.flow, chosen.step, chosen.data
        conversation.item_id, conversation.ended = chosen.item_id, chosen.ended
        return reply


def fold_kept_item_into(kept_item_id: int | None, inbound_ids: list[int], tip_item_id: int) -> None:
    """After a tip was made from messages first kept as an SMS item: move the messages to the tip,
    and remove the SMS item when nobody has opened or worked on it (still new, no audit event),
    so the queue does not show the same words twice. An item staff have seen stays as it was,
    linked to the tip, with its messages: the record of who saw them is kept whole."""
    from portal.sms.conversation import attach_messages

    kept = db.session.get(IntakeItem, kept_item_id) if kept_item_id else None
    if kept is None or kept.kind != ItemKind.SMS_MESSAGE.value:
        attach_messages(inbound_ids, tip_item_id)
        return
    seen = db.session.scalar(select(AuditEvent.id).where(AuditEvent.item_id == kept.id).limit(1)) is not None
    if kept.status == ItemStatus.NEW.value and not seen:
        attach_messages(inbound_ids, tip_item_id)
        db.session.flush()
        db.session.delete(kept)
        db.session.flush()
        return
    kept_messages = set(db.session.scalars(select(InboundMessage.id).where(InboundMessage.item_id == kept.id)))
    attach_messages([message_id for message_id in inbound_ids if message_id not in kept_messages], tip_item_id)
    first, second = sorted((kept.id, tip_item_id))
    db.session.add(ItemLink(item_id=first, other_item_id=second))


register(MENU, MenuFlow())
