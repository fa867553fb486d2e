"""Which language a hotline SMS is written in, so the reply can be in the same one. Pure functions.

A message read once (`portal.hotline.incoming.read_incoming`) keeps what these say about its text;
the dispatcher (`portal.hotline.dispatch`) then picks the reply language once per message: the
message's own language when its words say, else the conversation's (Chinese for a first message).
What a message asks for (keywords, numbered answers) is read in `portal.hotline.keywords`.
"""

from __future__ import annotations

import re
import unicodedata

_ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")
# A reference, a follow-up code, a number: any run of letters and digits that holds a digit.
_CODE = re.compile(r"[A-Za-z0-9\-]*[0-9][A-Za-z0-9\-]*")


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


def written_in(text: str) -> str | None:
    """The language `text`'s words are in: "zh" if it holds any CJK character, "en" if it holds an
    English word (two or more Latin letters, outside any run that holds a digit), else None - a
    bare number, a photo, "Y", a reference (TY-7K3M-9Q2P), a follow-up code or an identity number
    ending in X say nothing about the sender's language."""
    if language_of(text) == "zh" and any(ch.isalpha() for ch in text or ""):
        return "zh"
    if _ENGLISH_WORD.search(without_codes(text)):
        return "en"
    return None


def reply_language(text: str, fallback: str) -> str:
    """The language to answer `text` in: the one it is written in (`written_in`), else `fallback`
    (the conversation's language; Chinese for a first message)."""
    return written_in(text) or fallback


def has_words(text: str) -> bool:
    """True when `text` holds a Chinese character or an English word (not only numbers, codes, marks)."""
    return bool(re.search(r"[\u3400-\u9fff]|[A-Za-z]{3,}", text or ""))


def without_codes(text: str) -> str:
    """`text` (NFKC-folded) without references, follow-up codes and numbers (any run of letters
    and digits holding a digit), leaving the words."""
    return _CODE.sub(" ", unicodedata.normalize("NFKC", text or ""))
