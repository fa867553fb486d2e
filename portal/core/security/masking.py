"""Showing personal identifiers only in part: one place for every mask the portal uses.

Staff see masked values unless they need the whole one (and every view is audited); logs and the
console SMS backend never print a whole number.
"""

from __future__ import annotations


def last_digits(e164: str | None, count: int = 4) -> str:
    """The last `count` digits of a phone number (`8000`), or "" when there is none."""
    return e164[-count:] if e164 else ""


def mask_mobile(e164: str | None) -> str:
    """For staff pages: only the last four digits, `••• •••• 8000`."""
    return "••• •••• " + last_digits(e164) if e164 else ""


def mask_phone_for_log(phone: str) -> str:
    """For logs and the console backend: `+8613800138000` → `+86138…8000`, enough to tell test
    phones apart, never a whole number."""
    if len(phone) <= 8:
        return "…"
    return f"{phone[:6]}…{phone[-4:]}"


def mask_name(name: str | None) -> str:
    """The first character only: 张三 → 张•, John Smith → J•••."""
    if not name:
        return ""
    return name[0] + "•" * min(max(len(name) - 1, 1), 3)


# What stands for the hidden characters of an identity number, per page language: Chinese pages
# use the bullet Chinese readers know from masked numbers; English pages plain full stops, since
# a CJK font draws the bullet full width, which reads as Chinese on an English page.
IDENTITY_MASK = {"zh": "••••", "en": "...."}


def mask_identity_number(number: str | None, language: str = "zh") -> str:
    """The last four characters of a resident identity number: `•••• 002X` for a Chinese page,
    `.... 002X` for an English one (`language`: 'zh' or 'en')."""
    if not number:
        return ""
    return f"{IDENTITY_MASK.get(language, IDENTITY_MASK['zh'])} {number[-4:]}"
