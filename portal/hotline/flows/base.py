"""What a conversation flow works with: the `Turn` it answers, the `Reply` it gives, or the
`HandOver` that passes the message on to another flow; and the `Flow` contract itself.

A flow never calls another flow: it returns `HandOver("tip", …)` and the dispatcher
(`portal.hotline.dispatch`), which knows every flow, starts that one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping, Protocol

from portal.core.i18n import LANGUAGES
from portal.core.models import InboundMessage
from portal.hotline.conversation import Conversation
from portal.hotline.incoming import IncomingSms

if TYPE_CHECKING:
    from portal.core.config import Settings


@dataclass(frozen=True)
class Turn:
    """One incoming message, as the flows see it: built once per message by the dispatcher.

    `message`: the SMS read once (`portal.hotline.incoming.IncomingSms`): flows take the sender,
    the time and what the text says (its number, yes or no, MORE…) from there. `inbound`: its
    stored row, which a flow may move to a staff item (`inbound.item_id`) or store a placeholder
    in (`keep_body_as`). `language`: "zh" or "en", the language to answer in, decided once by the
    dispatcher (the message's own, or the conversation's for a bare number or a code).
    `settings`: the portal's configuration.
    """

    message: IncomingSms
    inbound: InboundMessage
    language: str
    settings: "Settings"

    @property
    def text(self) -> str:
        """The body as received."""
        return self.message.text

    @property
    def phone(self) -> str:
        """The sender in E.164 when it is a valid mobile number, else as the provider gave it."""
        return self.message.phone

    @property
    def phone_hash(self) -> str:
        """The sender's lookup hash."""
        return self.message.phone_hash

    @property
    def now(self) -> datetime:
        """The time the message was received, UTC."""
        return self.message.received_at

    def in_language(self, language: str) -> "Turn":
        """This turn answered in `language` instead (a step whose answer says nothing about the
        reader's language keeps the language the conversation began in)."""
        return replace(self, language=language)

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


@dataclass(frozen=True)
class HandOver:
    """A flow's result that passes this message on to another flow instead of replying (the menu,
    when a number picks a flow). The dispatcher starts flow `flow` with `rest` as the text after
    its keyword and a fresh conversation whose data is `data`; the new conversation replaces the
    one that handed over. `item_id`: the staff item this message joins when the new flow puts it
    in none (the menu's kept message)."""

    flow: str
    rest: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    item_id: int | None = None


def keep_language(turn: Turn, conversation: Conversation) -> Turn:
    """`turn` answered in the language the conversation began in (`data["language"]`) when the
    message's letters are all Latin: a message that holds only a reference number or a code says
    nothing about the reader's language, though the dispatcher reads Latin letters as English. A
    message with Chinese in it is answered as the dispatcher decided. Sets the conversation's
    language to match."""
    started_in = conversation.data.get("language")
    if started_in in LANGUAGES and turn.message.script == "en":
        conversation.language = started_in
        return turn.in_language(started_in)
    return turn


class Flow(Protocol):
    """A conversation flow. Both methods are called inside the request's transaction (they flush,
    never commit). A flow moves the conversation on with `conversation.goto(step)` and ends it with
    `conversation.end()`; whatever it leaves in `conversation.data` (JSON-serialisable) is stored
    encrypted with the row."""

    def start(self, turn: Turn, conversation: Conversation, rest: str) -> Reply | HandOver:
        """Begin the flow for a keyword; `rest` is the text after it (may be empty)."""
        ...

    def answer(self, turn: Turn, conversation: Conversation) -> Reply | HandOver:
        """Handle the next message of a conversation at `conversation.step`."""
        ...
