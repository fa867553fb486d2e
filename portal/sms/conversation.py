"""Hotline conversations: which step a phone number is at, and which flow answers its next message.

One request flows like this (`portal.sms.inbox.receive` calls `handle`):

    keyword at the start (TIP, BOOK, STATUS, CANCEL BOOKING, HELP)
        → that flow's `start` (any earlier conversation of the number is abandoned)
    no keyword, a conversation under way and not expired
        → that flow's `answer`
    no keyword, no conversation (or it expired)
        → the menu: the message is kept as an item for staff and answered with a numbered menu;
          choosing "report a lead" makes the kept message(s) the start of the tip

A conversation is one `SmsConversation` row per phone number (by lookup hash). It expires after
SMS_CONVERSATION_IDLE_MINUTES without a message; the next message then says so (the menu's
"your earlier conversation ended" variant) and starts afresh.

Flows live in `portal.sms.flows` and register themselves with `register`. A flow is an object
with two methods, both called inside the request's transaction (they flush, never commit):

    start(turn, conversation, rest) -> Reply    # `rest`: the text after the keyword
    answer(turn, conversation) -> Reply         # the next message of a conversation under way

A flow moves the conversation on with `conversation.goto(step)` and ends it with
`conversation.end()`; whatever it leaves in `conversation.data` (JSON-serialisable) is stored
encrypted with the row.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import InboundMessage, SmsConversation, SmsMedia, Tip, as_utc
from portal.sms import replies
from portal.sms.keywords import Keyword, KeywordMatch, is_exit

if TYPE_CHECKING:
    from portal.config import Settings

# Flows that a keyword at the start of a message begins.
KEYWORD_FLOWS = {
    Keyword.TIP: "tip",
    Keyword.BOOK: "book",
    Keyword.STATUS: "status",
    Keyword.CANCEL_BOOKING: "cancel",
    Keyword.HELP: "help",
}
MENU = "menu"


@dataclass
class Turn:
    """One incoming message, as the flows see it.

    `phone`: the sender in E.164 when it is a valid mobile number, else as the provider gave it.
    `phone_hash`: its lookup hash. `text`: the body as received. `language`: "zh" or "en", the
    language to answer in (the message's own, or the conversation's for a bare number).
    `now`: the request's time, UTC.
    """

    inbound: InboundMessage
    phone: str
    phone_hash: str
    text: str
    language: str
    settings: "Settings"
    now: datetime
    has_media: bool = False

    def keep_body_as(self, placeholder: str) -> None:
        """Replace the stored copy of this message's text (for an identity number or a name,
        which are kept encrypted where they belong, never in plain text in the message log)."""
        self.inbound.body = placeholder


@dataclass
class Reply:
    """What the hotline answers. `stored`: the copy kept in the outbox table when it must differ
    from `text` (a follow-up code is a secret: it is sent, never stored in plain text)."""

    text: str
    stored: str | None = None

    @property
    def stored_text(self) -> str:
        """The text kept in the outbox table."""
        return self.text if self.stored is None else self.stored


@dataclass
class Conversation:
    """A flow's view of the conversation row: change `step`, `data` and `item_id` freely."""

    flow: str
    step: str = "start"
    data: dict[str, Any] = field(default_factory=dict)
    item_id: int | None = None
    language: str = "zh"
    ended: bool = False
    # The row this came from (None for a new conversation).
    row_id: int | None = None

    def goto(self, step: str) -> None:
        """Wait for the answer to `step`'s question next."""
        self.step = step
        self.ended = False

    def end(self) -> None:
        """The conversation is over: the number's next message starts afresh (no expiry note)."""
        self.ended = True


class Flow(Protocol):
    """A conversation flow (see the module docstring)."""

    def start(self, turn: Turn, conversation: Conversation, rest: str) -> Reply:
        """Begin the flow for a keyword; `rest` is the text after it (may be empty)."""
        ...

    def answer(self, turn: Turn, conversation: Conversation) -> Reply:
        """Handle the next message of a conversation at `conversation.step`."""
        ...


FLOWS: dict[str, Flow] = {}


def register(name: str, flow: Flow) -> Flow:
    """Make `flow` answer conversations named `name` (a value of KEYWORD_FLOWS, or MENU)."""
    FLOWS[name] = flow
    return flow


def flow(name: str) -> Flow:
    """The registered flow `name`. Raises KeyError for an unknown name."""
    if not FLOWS:
        import portal.sms.flows  # noqa: F401  (registers the flows)
    return FLOWS[name]


# Storage ---------------------------------------------------------------------------------------


def load(phone_hash: str) -> SmsConversation | None:
    """The number's conversation row, or None."""
    return db.session.scalars(select(SmsConversation).where(SmsConversation.phone_hash == phone_hash)).first()


def is_expired(row: SmsConversation, now: datetime, idle_minutes: int) -> bool:
    """True when the conversation has had no message for `idle_minutes` (UTC `now`)."""
    return as_utc(row.updated_at) <= now - timedelta(minutes=idle_minutes)


def _from_row(row: SmsConversation) -> Conversation:
    try:
        data = json.loads(row.data) if row.data else {}
    except ValueError:
        data = {}
    return Conversation(flow=row.flow, step=row.step, data=data if isinstance(data, dict) else {},
                        item_id=row.item_id, language=row.language or "zh", row_id=row.id)


def forget(phone_hash: str) -> None:
    """End the number's conversation, if any (after an opt-out, say), in the current transaction."""
    db.session.execute(delete(SmsConversation).where(SmsConversation.phone_hash == phone_hash)
                       .execution_options(synchronize_session=False))


def save(phone_hash: str, conversation: Conversation, now: datetime) -> None:
    """Store where the conversation is (or delete it when it ended), in the current transaction."""
    if conversation.ended:
        forget(phone_hash)
        return
    values = {
        "flow": conversation.flow,
        "step": conversation.step,
        "language": conversation.language,
        "data": json.dumps(conversation.data, ensure_ascii=False),
        "item_id": conversation.item_id,
        "updated_at": now,
    }
    statement = (update(SmsConversation).where(SmsConversation.phone_hash == phone_hash).values(**values)
                 .execution_options(synchronize_session=False))
    if db.session.execute(statement).rowcount:
        return
    try:
        # Two first messages from one number at once both find no row: the unique phone_hash lets
        # one insert win; the other, rolled back to its savepoint, updates the winner's row.
        with db.session.begin_nested():
            db.session.add(SmsConversation(phone_hash=phone_hash, started_at=now, **values))
    except IntegrityError:
        db.session.execute(statement)


# Forgetting ------------------------------------------------------------------------------------

# An expired conversation's row is kept, without its answers, this long: the number's next
# message can still say "your earlier conversation ended".
EXPIRED_MARKER_HOURS = 24


def forget_idle_conversations(now: datetime) -> None:
    """Worker job (registered by `portal.sms.commands`): clear the answers (a booking's name and identity number, encrypted) of every
    conversation idle for SMS_CONVERSATION_IDLE_MINUTES, and delete rows idle for a day. `now`: UTC."""
    from flask import current_app

    idle = current_app.config["SETTINGS"].sms_conversation_idle_minutes
    db.session.execute(update(SmsConversation)
                       .where(SmsConversation.updated_at <= now - timedelta(minutes=idle),
                              SmsConversation.data.is_not(None))
                       .values(data=None).execution_options(synchronize_session=False))
    db.session.execute(delete(SmsConversation)
                       .where(SmsConversation.updated_at <= now - timedelta(hours=EXPIRED_MARKER_HOURS))
                       .execution_options(synchronize_session=False))
    db.session.commit()


# Messages that become part of a tip ----------------------------------------------------------


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


# The dispatcher --------------------------------------------------------------------------------


_ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def reply_language(text: str, fallback: str) -> str:
    """The language to answer `text` in: Chinese if it holds any CJK character, English if it
    holds an English word (two or more Latin letters, outside any run that holds a digit), else
    `fallback` (the conversation's language; Chinese for a first message) - a bare number, a
    photo, "Y", a reference (TY-7K3M-9Q2P), a follow-up code or an identity number ending in X
    say nothing about the sender's language."""
    from portal.sms.hotline import language_of

    if language_of(text) == "zh" and any(ch.isalpha() for ch in text or ""):
        return "zh"
    if _ENGLISH_WORD.search(_without_codes(text)):
        return "en"
    return fallback


def has_words(text: str) -> bool:
    """True when `text` holds a Chinese character or an English word (not only numbers, codes, marks)."""
    return bool(re.search(r"[\u3400-\u9fff]|[A-Za-z]{3,}", text or ""))


def _without_codes(text: str) -> str:
    """`text` without references, follow-up codes and numbers (any run of letters and digits
    holding a digit), leaving the words."""
    return re.sub(r"[A-Za-z0-9\-]*[0-9][A-Za-z0-9\-]*", " ", unicodedata.normalize("NFKC", text or ""))


def _body_kept_as_sent(turn: Turn) -> bool:
    """False when a flow stored a placeholder instead of this message's text."""
    from portal.sms.inbox import without_identity_numbers

    return turn.inbound.body == without_identity_numbers(turn.text)


def _keep_for_staff(turn: Turn) -> None:
    """Keep this message as an SMS item of its own, so staff read words the flow does not use."""
    from portal.intake import new_item
    from portal.models import Channel, ItemKind

    item = new_item(ItemKind.SMS_MESSAGE, Channel.SMS, deadline_days=turn.settings.feedback_deadline_days)
    db.session.flush()
    turn.inbound.item_id = item.id


def handle(turn: Turn, found: KeywordMatch | None) -> Reply:
    """Answer one message (see the module docstring), in the current transaction.

    `found`: the keyword the message starts with (`portal.sms.keywords.match`), or None. Before a
    flow is chosen:

    - inside a conversation, 退出 / 取消 / EXIT alone ends it, changing nothing;
    - inside a conversation, a Chinese keyword that runs on into other words ("采血点门口的公交站"
      answering "where?") is an answer, not a keyword;
    - HELP / 帮助 followed by words ("帮助我们！有人抢孩子") is a message, not a request for help;
    - a reference with a follow-up code is a progress check, whatever the message says (so the
      code never lands in a tip's text), and so is a reference alone outside a conversation;
    - a message telling of danger (`portal.sms.danger`), with no conversation under way, is a
      lead: it becomes an (urgent) tip at once.

    The words after BOOK, STATUS or CANCEL BOOKING that the flow does not use are kept for staff
    as an SMS item. Returns the reply; the caller records it and commits.
    """
    from portal.sms.danger import mentions_danger
    from portal.sms.keywords import holds_reference, holds_reference_and_code

    row = load(turn.phone_hash)
    expired = row is not None and is_expired(row, turn.now, turn.settings.sms_conversation_idle_minutes)
    if expired:
        turn.language = reply_language(turn.text, row.language or turn.language)  # type: ignore[union-attr]
        forget(turn.phone_hash)
        row = None

    if row is not None and is_exit(turn.text, row.flow):
        forget(turn.phone_hash)
        language = reply_language(turn.text, row.language or turn.language)
        if row.item_id is not None:
            turn.inbound.item_id = row.item_id
        return Reply(replies.conversation_stopped(language))

    keyword = found.keyword if found is not None and found.keyword in KEYWORD_FLOWS else None
    rest = found.rest if found is not None else ""
    if keyword is not None and row is not None and not found.bounded:  # type: ignore[union-attr]
        keyword = None
    if keyword is Keyword.HELP and has_words(rest):
        keyword = None
    if keyword is None and (holds_reference_and_code(turn.text) or (row is None and holds_reference(turn.text))):
        # Never kept as a plain message: that would tie a reference (perhaps of a tip made
        # anonymously on the web) to this phone number in the message log.
        keyword, rest = Keyword.STATUS, turn.text
    if keyword is None and row is None and mentions_danger(turn.text):
        keyword, rest = Keyword.TIP, turn.text

    if keyword is not None:
        conversation = Conversation(flow=KEYWORD_FLOWS[keyword], language=turn.language)
        reply = flow(conversation.flow).start(turn, conversation, rest)
        if (keyword in (Keyword.BOOK, Keyword.STATUS, Keyword.CANCEL_BOOKING) and turn.inbound.item_id is None
                and conversation.item_id is None and _body_kept_as_sent(turn) and has_words(_without_codes(rest))):
            _keep_for_staff(turn)
    elif row is not None:
        conversation = _from_row(row)
        turn.language = reply_language(turn.text, conversation.language)
        conversation.language = turn.language
        reply = flow(conversation.flow).answer(turn, conversation)
    else:
        conversation = Conversation(flow=MENU, language=turn.language)
        conversation.data["expired"] = expired
        reply = flow(MENU).start(turn, conversation, turn.text)

    item_id = turn.inbound.item_id or conversation.item_id
    if item_id is not None:
        # The message (and any photo with it) belongs to the conversation's item.
        turn.inbound.item_id = item_id
        db.session.flush()
        attach_messages([turn.inbound.id], item_id)
    save(turn.phone_hash, conversation, turn.now)
    return reply
