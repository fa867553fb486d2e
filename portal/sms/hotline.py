"""Which language a hotline SMS is written in, so the reply can be in the same one. Pure functions.

What a message asks for (keywords, numbered answers) is read in `portal.sms.keywords`; where a
conversation goes next, in `portal.sms.conversation`.
"""

from __future__ import annotations


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x3400 <= code <= 0x4DBF  # CJK Unified Ideographs Extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK Unified Ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK Compatibility Ideographs
        or 0x20000 <= code <= 0x3134F  # Extensions B–G
        or 0x3000 <= code <= 0x30FF  # CJK punctuation (，。、), kana
        or 0xFF00 <= code <= 0xFFEF  # full-width forms (，：？ and full-width Latin)
    )


def language_of(text: str) -> str:
    """'zh' when `text` contains any CJK character (ideograph, CJK punctuation, full-width form), else 'en'.

    A text with no letters at all (empty, a photo only, digits, emoji) gets 'zh', the portal's
    default language: nothing in it says the sender reads English.
    """
    text = text or ""
    if any(_is_cjk(ch) for ch in text):
        return "zh"
    return "en" if any(ch.isalpha() for ch in text) else "zh"
