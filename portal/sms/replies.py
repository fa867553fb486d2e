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
    """Confirms a tip: the reference number and the follow-up code first, then the emergency number."""
    with force_locale(language):
        return _(
            "Tip received. Reference %(reference)s, follow-up code %(code)s. Keep both to check "
            "progress. In an emergency call 110.",
            reference=reference,
            code=follow_up_code,
        )


def tip_needs_text(language: str) -> str:
    """Answers a tip keyword sent without anything after it."""
    with force_locale(language):
        return _(
            "Tuanyuan hotline: send TIP followed by what you saw, where and when. "
            "For example: TIP a child begging at the station. In an emergency call 110."
        )


def menu(language: str) -> str:
    """Answers a message that matches no keyword."""
    with force_locale(language):
        return _(
            "Tuanyuan hotline: reply TIP followed by what you saw to report a lead. "
            "Book free blood sampling on our website. In an emergency call 110."
        )


def kept_after_error(language: str) -> str:
    """Answers a message that was stored, but could not be handled, because of an internal error."""
    with force_locale(language):
        return _("Tuanyuan hotline: we have your message and staff will read it. In an emergency call 110.")


def not_kept_after_error(language: str) -> str:
    """Answers a message that could not even be stored."""
    with force_locale(language):
        return _("Tuanyuan hotline: something went wrong. Please send your message again later. "
                 "In an emergency call 110.")
