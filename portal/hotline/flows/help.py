"""HELP / 帮助: what the hotline can do, in one message. Ends at once."""

from __future__ import annotations

from portal.hotline import replies
from portal.hotline.conversation import Conversation
from portal.hotline.flows.base import Reply, Turn


class HelpFlow:
    """Answers the help keyword; there is nothing to ask back."""

    def start(self, turn: Turn, conversation: Conversation, rest: str) -> Reply:
        """The help text; the conversation ends."""
        conversation.end()
        return Reply(replies.help_text(turn.language))

    def answer(self, turn: Turn, conversation: Conversation) -> Reply:
        """Never reached (help ends at once); answers with the help text all the same."""
        return self.start(turn, conversation, "")

