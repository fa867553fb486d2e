"""The conversation dispatcher: which flow answers a message, and the registry of every flow.

`portal.hotline.inbox.receive` calls `handle` for each message that is not an opt-out, an opt-in
or part of a burst:

    keyword at the start (TIP, BOOK, STATUS, CANCEL BOOKING, HELP)
        → that flow's `start` (any earlier conversation of the number is abandoned)
    no keyword, a conversation under way and not expired
        → that flow's `answer`
    no keyword, no conversation (or it expired)
        → the menu: the message is kept as an item for staff and answered with a numbered menu;
          choosing "report a lead" makes the kept message(s) the start of the tip

A flow answers with a `Reply`, or with a `HandOver` to another flow (the menu, when a number picks
one), which `handle` starts in its place. Flows live in `portal.hotline.flows`; this module is the
only one that imports them all, and none of them imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.core.extensions import db
from portal.core.models import InboundMessage, SmsConversation
from portal.hotline import replies
from portal.hotline.conversation import Conversation, forget, from_row, is_expired, load, save
from portal.hotline.flows.base import Flow, HandOver, Reply, Turn
from portal.hotline.flows.book import BookFlow
from portal.hotline.flows.cancel import CancelFlow
from portal.hotline.flows.help import HelpFlow
from portal.hotline.flows.menu import MenuFlow
from portal.hotline.flows.status import StatusFlow
from portal.hotline.flows.tip import TipFlow
from portal.hotline.incoming import DEFAULT_LANGUAGE, IncomingSms
from portal.hotline.items import attach_messages, keep_for_staff
from portal.hotline.keywords import Keyword, is_exit
from portal.hotline.language import has_words, without_codes

if TYPE_CHECKING:
    from portal.core.config import Settings

MENU = "menu"
# Every flow by name: the name a conversation row keeps, a keyword starts, a HandOver names.
FLOWS: dict[str, Flow] = {
    MENU: MenuFlow(),
    "tip": TipFlow(),
    "book": BookFlow(),
    "status": StatusFlow(),
    "cancel": CancelFlow(),
    "help": HelpFlow(),
}
# Flows that a keyword at the start of a message begins.
KEYWORD_FLOWS = {
    Keyword.TIP: "tip",
    Keyword.BOOK: "book",
    Keyword.STATUS: "status",
    Keyword.CANCEL_BOOKING: "cancel",
    Keyword.HELP: "help",
}
# Keywords whose flow may leave words of the message unused: those are kept for staff.
_KEEPS_UNUSED_WORDS = (Keyword.BOOK, Keyword.STATUS, Keyword.CANCEL_BOOKING)


def _follow(result: Reply | HandOver, conversation: Conversation, turn: Turn) -> tuple[Conversation, Reply]:
    """Start each flow handed over to until one replies: (the conversation that replied, its reply)."""
    while isinstance(result, HandOver):
        handover = result
        conversation = Conversation(flow=handover.flow, language=turn.language, data=dict(handover.data))
        result = FLOWS[handover.flow].start(turn, conversation, handover.rest)
        if handover.item_id is not None and conversation.item_id is None:
            turn.inbound.item_id = handover.item_id
    return conversation, result


def _keyword(message: IncomingSms, row: SmsConversation | None) -> tuple[Keyword | None, str]:
    """The flow a message starts, as (keyword, the text after it), or (None, "") when it starts
    none; `row`: the number's conversation under way (not expired), or None. The rules are listed
    in `handle`."""
    found = message.keyword
    keyword = found.keyword if found is not None and found.keyword in KEYWORD_FLOWS else None
    rest = found.rest if found is not None else ""
    if keyword is not None and row is not None and not found.bounded:  # type: ignore[union-attr]
        keyword = None
    if keyword is Keyword.HELP and has_words(rest):
        keyword = None
    if keyword is None and (message.holds_reference_and_code or (row is None and message.holds_reference)):
        # Never kept as a plain message: that would tie a reference (perhaps of a tip made
        # anonymously on the web) to this phone number in the message log.
        return Keyword.STATUS, message.text
    if keyword is None and row is None and message.mentions_danger:
        return Keyword.TIP, message.text
    return (keyword, rest) if keyword is not None else (None, "")


def handle(message: IncomingSms, inbound: InboundMessage, settings: "Settings") -> Reply:
    """Answer one message (see the module docstring), in the current transaction.

    `message`: the SMS as the inbox read it; `inbound`: its stored row. Before a flow is chosen:

    - inside a conversation, 退出 / 取消 / EXIT alone ends it, changing nothing;
    - inside a conversation, a Chinese keyword that runs on into other words ("采血点门口的公交站"
      answering "where?") is an answer, not a keyword;
    - HELP / 帮助 followed by words ("帮助我们！有人抢孩子") is a message, not a request for help;
    - a reference with a follow-up code is a progress check, whatever the message says (so the
      code never lands in a tip's text), and so is a reference alone outside a conversation;
    - a message telling of danger (`portal.hotline.danger`), with no conversation under way, is a
      lead: it becomes an (urgent) tip at once.

    Then the reply language is decided, once: the language the message is written in; for a
    message whose words say nothing (a bare number, a code), the language of the conversation it
    answers or stops, or of the one that has just expired; otherwise Chinese (a first message, or
    a keyword that starts a new flow over a conversation under way).

    The words after BOOK, STATUS or CANCEL BOOKING that the flow does not use are kept for staff
    as an SMS item. Returns the reply; the caller records it and commits.
    """
    row = load(message.phone_hash)
    expired = row is not None and is_expired(row, message.received_at, settings.sms_conversation_idle_minutes)
    earlier_language = (row.language or DEFAULT_LANGUAGE) if row is not None else DEFAULT_LANGUAGE
    if expired:
        forget(message.phone_hash)
        row = None

    stops = row is not None and is_exit(message.word, row.flow)
    keyword, rest = (None, "") if stops else _keyword(message, row)
    answers = row is not None and keyword is None
    fallback = earlier_language if answers or expired else DEFAULT_LANGUAGE
    turn = Turn(message=message, inbound=inbound, language=message.written_in or fallback, settings=settings)

    if stops and row is not None:
        forget(message.phone_hash)
        if row.item_id is not None:
            inbound.item_id = row.item_id
        return Reply(replies.conversation_stopped(turn.language))

    if keyword is not None:
        stored_body = inbound.body
        conversation = Conversation(flow=KEYWORD_FLOWS[keyword], language=turn.language)
        conversation, reply = _follow(FLOWS[conversation.flow].start(turn, conversation, rest), conversation, turn)
        # A flow that stored a placeholder (a name, a reference) instead of the text used the words.
        if (keyword in _KEEPS_UNUSED_WORDS and inbound.item_id is None and conversation.item_id is None
                and inbound.body == stored_body and has_words(without_codes(rest))):
            keep_for_staff(inbound, settings)
    elif row is not None:
        conversation = from_row(row)
        conversation.language = turn.language
        conversation, reply = _follow(FLOWS[conversation.flow].answer(turn, conversation), conversation, turn)
    else:
        conversation = Conversation(flow=MENU, language=turn.language)
        conversation.data["expired"] = expired
        conversation, reply = _follow(FLOWS[MENU].start(turn, conversation, message.text), conversation, turn)

    item_id = inbound.item_id or conversation.item_id
    if item_id is not None:
        # The message (and any photo with it) belongs to the conversation's item.
        inbound.item_id = item_id
        db.session.flush()
        attach_messages([inbound.id], item_id)
    save(message.phone_hash, conversation, message.received_at)
    return reply
