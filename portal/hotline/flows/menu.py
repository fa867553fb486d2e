"""The menu: the answer to a message that matches no keyword and belongs to no conversation.

The message is kept as an item of kind SMS message, so staff read it whatever happens next, and
answered with a numbered menu. A number picks a flow, which the menu hands the message over to
(`HandOver`); choosing "report a lead" makes the kept message(s) the start of the tip (nothing the
sender wrote is lost). Further messages without a number are kept with the first and get a short
reminder of the choices.
"""

from __future__ import annotations

from portal.core.extensions import db
from portal.core.intake import new_item
from portal.core.models import Channel, ItemKind
from portal.hotline import replies
from portal.hotline.conversation import Conversation
from portal.hotline.flows.base import HandOver, Reply, Turn
from portal.hotline.items import kept_text

# The menu's numbers, in the order replies.menu lists them: the flow each one hands over to.
CHOICES = {1: "tip", 2: "book", 3: "status", 4: "cancel", 5: "help"}


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

    def answer(self, turn: Turn, conversation: Conversation) -> Reply | HandOver:
        """A number hands over to that flow; anything else is kept with the first message."""
        picked = CHOICES.get(turn.message.number or -1)
        kept = list(conversation.data.get("messages", []))
        if picked is None:
            kept.append(turn.inbound.id)
            conversation.data["messages"] = kept
            return Reply(replies.menu_choose(turn.language))
        if picked == "tip":
            # The tip begins with what was kept; its flow moves those messages (and the item) to it.
            return HandOver("tip", rest=kept_text(kept),
                            data={"earlier_messages": kept, "kept_item_id": conversation.item_id})
        # The "2"/"3"… itself belongs with the kept message, unless the chosen flow puts it elsewhere.
        return HandOver(picked, item_id=conversation.item_id)
