"""Deciding what an incoming SMS asks for. Pure functions: no Flask, no database.

Keyword rule (for now: tips, and opt-out words answered with silence; booking, status and help
arrive with a later issue):

- The text is NFKC-folded (full-width ＴＩＰ reads as TIP) and leading spaces, punctuation and
  symbols are skipped, so "  【举报】…" and "：举报…" count.
- It is a tip when it then starts with 举报 or 线索, or with the word TIP in any case. "TIP" must be
  a whole word: the next character is not a Latin letter or digit, so "TIP: …", "tip 我看到…" and
  "Tip我看到…" are tips, while "TIPS are great" or "tipsy" are not (they get the menu, and are still
  kept for staff).
- The tip's description is the rest of the original text (not folded, so Chinese punctuation
  survives), without the separators people put after a keyword ("举报：", "TIP - ", "举报+").
  A keyword with nothing after it asks the sender to send the keyword followed by what they saw.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

TIP_KEYWORDS_ZH = ("举报", "线索")
# Twilio's own opt-out words (it stops delivering to the sender and still forwards the message)
# and the Chinese ones people use; they count only as the whole message.
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "退订", "TD"}
)
_TIP_WORD = re.compile(r"TIP(?![A-Z0-9])", re.IGNORECASE)


class ReplyKind(str, enum.Enum):
    TIP = "tip"  # create a tip from `description`
    TIP_WITHOUT_TEXT = "tip_without_text"  # a tip keyword alone: ask for what they saw
    MENU = "menu"  # anything else: keep it and offer the menu
    OPT_OUT = "opt_out"  # the whole message is an opt-out word: keep it, answer nothing


@dataclass(frozen=True)
class Decision:
    """What to do with one SMS. `language`: "zh" or "en", the language to answer in.
    `description`: the tip text (TIP only, else empty)."""

    kind: ReplyKind
    language: str
    description: str = ""


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


def _is_separator(ch: str) -> bool:
    """Whitespace, punctuation, symbols and control characters, judged after NFKC folding."""
    folded = unicodedata.normalize("NFKC", ch)
    return all(c.isspace() or unicodedata.category(c)[0] in "PSZC" for c in folded) if folded else True


def _skip_separators(text: str, start: int = 0) -> int:
    while start < len(text) and _is_separator(text[start]):
        start += 1
    return start


def _keyword_length(text: str, start: int) -> int:
    """Length in `text` (original characters) of the tip keyword at `start`, or 0 for none.

    Folds one character at a time so that a position in the folded text maps back to the
    original (NFKC can turn one character into several).
    """
    folded_parts: list[str] = []
    ends: list[int] = []  # ends[k]: original index just after the character that produced folded char k
    for index in range(start, min(len(text), start + 8)):
        part = unicodedata.normalize("NFKC", text[index])
        folded_parts.append(part)
        ends.extend([index + 1] * len(part))
    # The next character decides whether TIP is a whole word, so look one beyond the keyword.
    folded = "".join(folded_parts)
    for keyword in TIP_KEYWORDS_ZH:
        if folded.startswith(keyword):
            return ends[len(keyword) - 1] - start
    match = _TIP_WORD.match(folded)
    if match:
        return ends[match.end() - 1] - start
    return 0


def decide(body: str) -> Decision:
    """Decide what an incoming SMS asks for (see the module docstring for the keyword rule).

    `body`: the message text as received (any width, any case). Never raises.
    """
    text = body or ""
    language = language_of(text)
    if unicodedata.normalize("NFKC", text).strip().upper() in OPT_OUT_WORDS:
        return Decision(ReplyKind.OPT_OUT, language)
    start = _skip_separators(text)
    length = _keyword_length(text, start)
    if not length:
        return Decision(ReplyKind.MENU, language)
    rest = text[_skip_separators(text, start + length):].strip()
    if not rest:
        return Decision(ReplyKind.TIP_WITHOUT_TEXT, language)
    return Decision(ReplyKind.TIP, language, description=rest)
