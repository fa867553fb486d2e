"""The hotline's reply texts, in the language the sender wrote in.

Each fits in two SMS segments (WRITING.md): at most 134 characters when the text holds any
Chinese character (UCS-2, 67 per segment of a concatenated message) and at most 306 characters
of the GSM 7-bit alphabet otherwise (153 per segment). Source: 3GPP TS 23.038 and Twilio's
"What the heck is a segment?" guide. `tests/test_sms_hotline.py` checks the limits.
"""

from __future__ import annotations

from flask_babel import force_locale, gettext as _

# Replaces the follow-up code in the stored copy of a reply: the code is a secret kept only as
# an HMAC (THREATS.md), so it must not sit in plain text in the outbox table.
REDACTED_CODE = "XXXX-XXXX-XXXX-XXXX"


def tip_received(reference: str, follow_up_code: str, language: str) -> str:
    """Confirms a tip: the reference and the follow-up code first, the privacy note, then the
    first question (is a child in danger right now?)."""
    with force_locale(language):
        return _(
            "Tip received. Reference %(reference)s, follow-up code %(code)s: keep both. Your number is "
            "recorded and seen only by the police handling tips. Is a child in danger right now? "
            "Reply 1 yes or 2 no. Emergency: call 110.",
            reference=reference,
            code=follow_up_code,
        )


def tip_ask_what(language: str) -> str:
    """Answers a bare tip keyword: what did they see?"""
    with force_locale(language):
        return _(
            "Tuanyuan hotline: tell us what you saw: the child, the people with them, where and when. "
            "In an emergency call 110."
        )


def tip_ask_danger_again(language: str) -> str:
    """After a message that does not answer the danger question: it was added, ask again."""
    with force_locale(language):
        return _("Added to your tip. Is a child in danger right now? Reply 1 yes or 2 no.")


def tip_in_danger(language: str) -> str:
    """A child is in danger now: call 110, or text 12110 plus the area code; then asks where."""
    with force_locale(language):
        return _(
            "Call 110 now. If you cannot speak, text 12110 followed by the last 3 digits of the area code "
            "(Beijing 010: 12110010). Your tip is marked urgent. Where was this? Reply 0 to skip."
        )


def tip_ask_where(language: str) -> str:
    """Asks where the child was seen (optional)."""
    with force_locale(language):
        return _("Where did you see the child? Name the place, street or landmark. Reply 0 to skip.")


def tip_ask_when(language: str) -> str:
    """Asks when the child was seen (optional)."""
    with force_locale(language):
        return _("When did you see the child? For example: today 3pm. Reply 0 to skip.")


def tip_thanks(reference: str, language: str) -> str:
    """Closes the tip's questions."""
    with force_locale(language):
        return _(
            "Thank you. Everything is added to tip %(reference)s. Police will check it. To check progress, "
            "send STATUS with your reference and follow-up code. In an emergency call 110.",
            reference=reference,
        )


def menu(language: str) -> str:
    """Answers a message that matches no keyword: the numbered menu."""
    with force_locale(language):
        return _(
            "Tuanyuan hotline. Reply with a number: 1 report a lead, 2 book free blood sampling, "
            "3 check progress, 4 cancel a booking, 5 help. In an emergency call 110."
        )


def menu_after_expiry(language: str) -> str:
    """The menu, for a number whose conversation ended after a long pause."""
    with force_locale(language):
        return _(
            "Your earlier conversation ended after a long pause. Reply with a number: 1 report a lead, "
            "2 book free blood sampling, 3 check progress, 4 cancel a booking, 5 help. Emergency: call 110."
        )


def menu_choose(language: str) -> str:
    """A further message while the menu waits for a number: kept, and the choices repeated."""
    with force_locale(language):
        return _(
            "Message kept. Reply with a number: 1 report a lead, 2 book free blood sampling, "
            "3 check progress, 4 cancel a booking, 5 help."
        )


def help_text(language: str) -> str:
    """Answers HELP / 帮助: the keywords, and how to stop messages."""
    with force_locale(language):
        return _(
            "Tuanyuan hotline: TIP + what you saw reports a lead. BOOK books free blood sampling. STATUS "
            "checks progress. CANCEL BOOKING cancels a booking. STOP ends messages. Emergency: call 110."
        )


def opted_out(language: str) -> str:
    """Confirms 退订 / TD (Twilio confirms its own STOP words itself)."""
    with force_locale(language):
        return _("You will get no more messages from the Tuanyuan hotline. To start again, reply START.")


def opted_in(language: str) -> str:
    """Confirms 恢复 (Twilio confirms its own START words itself)."""
    with force_locale(language):
        return _("Messages from the Tuanyuan hotline are on again. Reply HELP for help. In an emergency call 110.")


def kept_after_error(language: str) -> str:
    """Answers a message that was stored, but could not be handled, because of an internal error."""
    with force_locale(language):
        return _("Tuanyuan hotline: we have your message and staff will read it. In an emergency call 110.")


def not_kept_after_error(language: str) -> str:
    """Answers a message that could not even be stored."""
    with force_locale(language):
        return _("Tuanyuan hotline: something went wrong. Please send your message again later. "
                 "In an emergency call 110.")
