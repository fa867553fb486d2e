"""Reporting a lead by SMS.

"举报 …" / "TIP …" with text creates the tip at once (nothing waits on later answers) and replies
with its reference number and follow-up code, a one-sentence note that the number is recorded
and that police usually see only part of it unless the sender agrees, and the first question. A bare
keyword first asks what was seen. The questions, each answer added to the same tip:

    danger  "Is a child in danger right now? 1 yes / 2 no" — yes: call 110 now, or text 12110 if
            you cannot speak; the tip is flagged urgent
    where   optional (0 skips)
    when    optional (0 skips)
    contact "May the police see your full number and text you? 1 yes / 2 no" — asked last, so it
            never delays the urgent advice; only 1 records the agreement (`may_contact_by_sms`),
            which shows staff the whole number. Until then staff see it masked, as a web
            tipster's who did not agree, and revealing it takes a reason and is audited
            (`portal.staff.items.reveal_contact`). Not asked of a number that opted out (the
            portal will not text it) or that is not a mobile number; then a closing message

A danger word (`portal.hotline.danger`) in any message of the conversation also makes the tip urgent
(the "child in danger" answer stays as the sender gave it). A message that does not answer the danger question is added to the tip's description
and the question is asked again.
"""

from __future__ import annotations

from portal.core.extensions import db
from portal.core.identity import InvalidMobileNumber, normalise_mobile
from portal.core.models import Channel, Tip, TipCategory
from portal.core.sms import optout
from portal.hotline import replies
from portal.hotline.conversation import Conversation
from portal.hotline.danger import first_danger_word
from portal.hotline.flows.base import Reply, Turn
from portal.hotline.items import fold_kept_item_into, kept_text
from portal.tips import service as tips
from portal.tips.service import TipDetails

PLACE_MAX = 500
WHEN_MAX = 200
DESCRIPTION_MAX = 5000


def _contact_phone(turn: Turn) -> str | None:
    try:
        return normalise_mobile(turn.phone)
    except InvalidMobileNumber:
        return None


def _tip(conversation: Conversation) -> Tip | None:
    tip_id = conversation.data.get("tip_id")
    return db.session.get(Tip, tip_id) if tip_id else None


class TipFlow:
    """See the module docstring."""

    def start(self, turn: Turn, conversation: Conversation, rest: str) -> Reply:
        """Create the tip from `rest`, or ask what was seen when `rest` is empty."""
        if not rest.strip():
            conversation.data.setdefault("earlier_messages", [])
            conversation.goto("what")
            return Reply(replies.tip_ask_what(turn.language))
        return self._create(turn, conversation, rest.strip())

    def _create(self, turn: Turn, conversation: Conversation, description: str) -> Reply:
        contact = _contact_phone(turn)
        receipt = tips.create_tip(
            channel=Channel.SMS,
            category=TipCategory.OTHER,
            description=description[:DESCRIPTION_MAX],
            child_in_danger=None,  # not answered until the sender answers the question
            contact_phone=contact,
            may_contact_by_sms=False,  # until the sender agrees (the "contact" question)
            deadline_days=turn.settings.feedback_deadline_days,
            display_minutes=0,  # the reply carries the code; no page will show it again
            details=TipDetails(language=turn.language),
            home_region=turn.settings.deployment_region,
        )
        db.session.flush()
        word = first_danger_word(description)
        if word:
            tips.mark_urgent(receipt.tip, danger_word=word)
        conversation.item_id = receipt.tip.item_id
        conversation.data["tip_id"] = receipt.tip.id
        earlier = [message_id for message_id in conversation.data.pop("earlier_messages", [])
                   if message_id != turn.inbound.id]
        fold_kept_item_into(conversation.data.pop("kept_item_id", None), earlier + [turn.inbound.id],
                            receipt.tip.item_id)
        turn.inbound.item_id = receipt.tip.item_id
        conversation.goto("danger")
        return Reply(
            replies.tip_received(receipt.reference, receipt.follow_up_code, turn.language),
            stored=replies.tip_received(receipt.reference, replies.REDACTED_CODE, turn.language),
        )

    def answer(self, turn: Turn, conversation: Conversation) -> Reply:
        """Take the answer to the question at `conversation.step`."""
        text = (turn.text or "").strip()
        if conversation.step == "what":
            if not text:  # a photo without words: keep it for the tip, ask again
                conversation.data.setdefault("earlier_messages", []).append(turn.inbound.id)
                return Reply(replies.tip_ask_what(turn.language))
            earlier = conversation.data.get("earlier_messages", [])
            if earlier:
                text = "\n".join(part for part in (kept_text(earlier), text) if part)
            return self._create(turn, conversation, text)

        tip = _tip(conversation)
        if tip is None:  # erased meanwhile (retention, staff): start afresh
            conversation.end()
            return Reply(replies.menu(turn.language))
        turn.inbound.item_id = tip.item_id
        if turn.message.danger_word:
            tips.mark_urgent(tip, danger_word=turn.message.danger_word)

        if conversation.step == "danger":
            in_danger = turn.message.yes_no
            if in_danger is None:
                if turn.message.has_words:  # more about what was seen ("3" or "?" add nothing)
                    tip.description = f"{tip.description}\n{text}"[:DESCRIPTION_MAX]
                    tips.recognise_region(tip, turn.settings.deployment_region)
                    return Reply(replies.tip_ask_danger_again(turn.language))
                return Reply(replies.tip_ask_danger_only(turn.language))
            conversation.goto("where")
            if in_danger:
                tips.mark_child_in_danger(tip)
                return Reply(replies.tip_in_danger(turn.language))
            tip.child_in_danger = False  # answered no
            return Reply(replies.tip_ask_where(turn.language))

        if conversation.step == "where":
            if turn.message.number != 0 and text:
                tip.place = text[:PLACE_MAX]
                tip.item.region_text = tip.item.region_text or tip.place
                tips.recognise_region(tip, turn.settings.deployment_region)
            conversation.goto("when")
            return Reply(replies.tip_ask_when(turn.language))

        if conversation.step == "when":
            if turn.message.number != 0 and text:
                tip.seen_when = text[:WHEN_MAX]
            # A number that opted out gets no SMS, a staff question included: nothing to agree to.
            if tip.contact_phone is None or optout.is_opted_out(turn.phone_hash):
                conversation.end()
                return Reply(replies.tip_thanks(tip.item.reference, turn.language))
            conversation.goto("contact")
            return Reply(replies.tip_ask_contact(turn.language))

        # "contact", the last question
        agrees = turn.message.yes_no
        if agrees is None:
            if turn.message.has_words:  # more about what was seen
                tip.description = f"{tip.description}\n{text}"[:DESCRIPTION_MAX]
            return Reply(replies.tip_ask_contact(turn.language))
        tip.may_contact_by_sms = agrees
        conversation.end()
        return Reply(replies.tip_thanks(tip.item.reference, turn.language))

