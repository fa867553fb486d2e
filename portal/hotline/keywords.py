"""Reading what a hotline SMS asks for: keywords, numbered answers, yes/no. Pure functions.

Every comparison folds the text first: NFKC (full-width ＴＩＰ and １ read as TIP and 1), upper
case, and spaces inside a keyword ignored ("CANCEL  BOOKING", "举 报").

Keywords matched at the START of a message (after any leading punctuation, so "【举报】…" and
"：举报…" count); the rest of the message is kept as the keyword's text:

=================  ===========================  ==========================================
Keyword            Chinese                      English
=================  ===========================  ==========================================
TIP                举报, 线索                   TIP
BOOK               预约, 采血                   BOOK
STATUS             查询                         STATUS
CANCEL_BOOKING     取消预约                     CANCEL BOOKING (never a bare CANCEL)
HELP               帮助                         HELP
=================  ===========================  ==========================================

An English keyword must be a whole word: "TIPS are great", "tipsy" and "BOOKING" are not keywords
(the character after it must not be a Latin letter or digit); Chinese keywords need no boundary.

Matched only as the WHOLE message (surrounding spaces and punctuation ignored), so that
"STOP PLEASE" and "TD123" are ordinary messages:

- OPT_OUT: 退订, TD, and Twilio's opt-out words STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT,
  REVOKE, OPTOUT (Twilio's Advanced Opt-Out defaults; Twilio stops delivering to the sender
  itself and still forwards the message to us).
- OPT_IN: 恢复, START, UNSTOP (Twilio's opt-in words; Twilio also counts YES, which
  `portal.hotline.inbox` honours only for a number that has opted out).

Source for Twilio's words: Twilio's "Advanced Opt-Out" support article (default opt-out,
opt-in and help keywords).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from portal.core.security.references import (
    ALPHABET, FOLLOW_UP_CODE_LENGTH, REFERENCE_LENGTH, REFERENCE_PREFIX, letters_and_digits, normalise_reference,
)


class Keyword(str, enum.Enum):
    """What a message asks for; see the module docstring for the words of each."""

    TIP = "tip"
    BOOK = "book"
    STATUS = "status"
    CANCEL_BOOKING = "cancel_booking"
    HELP = "help"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"


# Checked in this order; a longer keyword before any keyword it starts with.
START_KEYWORDS: tuple[tuple[Keyword, str], ...] = (
    (Keyword.TIP, "举报"),
    (Keyword.TIP, "线索"),
    (Keyword.TIP, "TIP"),
    (Keyword.CANCEL_BOOKING, "取消预约"),
    (Keyword.CANCEL_BOOKING, "CANCELBOOKING"),
    (Keyword.BOOK, "预约"),
    (Keyword.BOOK, "采血"),
    (Keyword.BOOK, "BOOK"),
    (Keyword.STATUS, "查询"),
    (Keyword.STATUS, "STATUS"),
    (Keyword.HELP, "帮助"),
    (Keyword.HELP, "HELP"),
)
# Twilio's own words (Advanced Opt-Out defaults): Twilio acts on them, and confirms them itself.
TWILIO_OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
TWILIO_OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})
TWILIO_WORDS = TWILIO_OPT_OUT_WORDS | TWILIO_OPT_IN_WORDS
OPT_OUT_WORDS = TWILIO_OPT_OUT_WORDS | {"退订", "TD"}
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "恢复"})
# Twilio also opts a number back in on YES; the hotline honours that only for an opted-out number.
TWILIO_ONLY_OPT_IN_WORDS = TWILIO_OPT_IN_WORDS - OPT_IN_WORDS
# Inside a conversation, the whole message ends it (nothing is booked or cancelled); outside one
# they are ordinary messages. Not QUIT or CANCEL: those are Twilio's opt-out words.
EXIT_WORDS = frozenset({"退出", "取消", "结束", "算了", "不用了", "EXIT", "退出预约"})
# ...except in a cancellation, where 取消 ("cancel") could mean "yes, cancel it": asked again there.
AMBIGUOUS_IN_CANCELLATION = frozenset({"取消"})
MORE_WORDS = frozenset({"MORE", "M", "更多", "下一页", "下页"})
YES_WORDS = frozenset({"1", "YES", "Y", "是", "是的", "有", "对", "确认", "确定", "好"})
NO_WORDS = frozenset({"2", "NO", "N", "否", "不", "不是", "没有", "无", "取消"})

_LATIN_OR_DIGIT = re.compile(r"[A-Z0-9]")


@dataclass(frozen=True)
class KeywordMatch:
    """A keyword found in a message. `rest`: the text after it, as sent (not folded, so Chinese
    punctuation survives), without the separators people put after a keyword ("举报：",
    "TIP - ") and stripped; empty for a bare keyword and for whole-message keywords."""

    keyword: Keyword
    rest: str = ""
    # Whether the keyword stands apart: the message ends after it, or a space or punctuation
    # follows ("采血 …", "采血：…"), rather than running on into other words ("采血点门口…").
    bounded: bool = True


def fold(text: str) -> str:
    """NFKC-folded, upper case, without whitespace: the form every comparison uses."""
    return "".join(unicodedata.normalize("NFKC", text or "").upper().split())


def is_separator(ch: str) -> bool:
    """Whitespace, punctuation, symbols and control characters, judged after NFKC folding."""
    folded = unicodedata.normalize("NFKC", ch)
    return all(c.isspace() or unicodedata.category(c)[0] in "PSZC" for c in folded) if folded else True


def skip_separators(text: str, start: int = 0) -> int:
    """The index of the first character at or after `start` that is not a separator."""
    while start < len(text) and is_separator(text[start]):
        start += 1
    return start


def _strip_separators(text: str) -> str:
    start = skip_separators(text)
    end = len(text)
    while end > start and is_separator(text[end - 1]):
        end -= 1
    return text[start:end]


def whole_word(text: str) -> str:
    """The message folded for a whole-message comparison (separators around it removed)."""
    return fold(_strip_separators(text or ""))


def _keyword_end(text: str, start: int, keyword: str) -> int | None:
    """The index in `text` just after `keyword` when the text at `start` spells it (folded, spaces
    inside ignored), else None. English keywords must end at a word boundary."""
    position = start
    matched = 0
    while matched < len(keyword):
        if position >= len(text):
            return None
        ch = text[position]
        position += 1
        if ch.isspace():
            if matched == 0:
                return None
            continue
        folded = unicodedata.normalize("NFKC", ch).upper()
        if not folded or not keyword.startswith(folded, matched):
            return None
        matched += len(folded)
    if keyword.isascii():
        following = unicodedata.normalize("NFKC", text[position:position + 1]).upper()
        if following and _LATIN_OR_DIGIT.match(following):
            return None
    return position


def match(body: str) -> KeywordMatch | None:
    """The keyword `body` starts with or consists of, or None for an ordinary message.

    `body`: the message as received, any width or case. Never raises.
    """
    text = body or ""
    whole = whole_word(text)
    if whole in OPT_OUT_WORDS:
        return KeywordMatch(Keyword.OPT_OUT)
    if whole in OPT_IN_WORDS:
        return KeywordMatch(Keyword.OPT_IN)
    start = skip_separators(text)
    for keyword, spelling in START_KEYWORDS:
        end = _keyword_end(text, start, spelling)
        if end is not None:
            rest = text[skip_separators(text, end):].strip()
            return KeywordMatch(keyword, rest, bounded=end >= len(text) or is_separator(text[end]))
    return None


_CHOICE = re.compile(r"\s*(\d{1,4})\s*[.。!！?？,，、]?\s*")


_REFERENCE_SYMBOL = "[23456789ABCDEFGHJKMNPQRSTVWXYZ]"  # portal.core.security.references.ALPHABET
_REFERENCE_AND_CODE = re.compile(
    rf"TY[\s\-]*(?:{_REFERENCE_SYMBOL}[\s\-]*){{7}}{_REFERENCE_SYMBOL}"  # TY-7K3M-9Q2P
    rf".{{0,20}}?(?:{_REFERENCE_SYMBOL}[\s\-]*){{15}}{_REFERENCE_SYMBOL}",  # then 7K3M-9Q2P-XH4T-R8WB
    re.DOTALL,
)


_REFERENCE = re.compile(rf"TY[\s\-]*(?:{_REFERENCE_SYMBOL}[\s\-]*){{7}}{_REFERENCE_SYMBOL}(?![0-9A-Z])")


def holds_reference(text: str) -> bool:
    """True when `text` holds a reference number with its TY prefix (TY-7K3M-9Q2P, any case,
    width, spaces or hyphens)."""
    return bool(_REFERENCE.search(unicodedata.normalize("NFKC", text or "").upper()))


def holds_reference_and_code(text: str) -> bool:
    """True when `text` holds a reference number followed by something shaped like a follow-up
    code (any case, width, spaces or hyphens): a progress check, whatever words are around it."""
    return bool(_REFERENCE_AND_CODE.search(unicodedata.normalize("NFKC", text or "").upper()))


_REFERENCE_IN_TEXT = re.compile(f"{REFERENCE_PREFIX}([{ALPHABET}]{{{REFERENCE_LENGTH}}})")


def read_reference_and_code(text: str) -> tuple[str | None, str]:
    """The reference number (canonical `TY-XXXX-XXXX`) and the follow-up code typed in `text`.

    Any case, width, spaces and hyphens; words in Chinese around them are ignored. The reference
    is the first `TY` followed by eight reference characters, or, without the prefix, the first
    eight characters when they can be a reference. The code is what follows it: its last
    FOLLOW_UP_CODE_LENGTH letters and digits when there are more (so "CODE 7K3M-…" reads as the
    code). Returns (None, "") when there is no reference, and (reference, "") when no code
    follows. Never raises; a mistyped code simply matches nothing.
    """
    cleaned = letters_and_digits(text)
    found = _REFERENCE_IN_TEXT.search(cleaned)
    if found is not None:
        body, after = found.group(1), cleaned[found.end():]
    elif len(cleaned) >= REFERENCE_LENGTH and all(ch in ALPHABET for ch in cleaned[:REFERENCE_LENGTH]):
        body, after = cleaned[:REFERENCE_LENGTH], cleaned[REFERENCE_LENGTH:]
    else:
        return None, ""
    reference = normalise_reference(body)
    if reference is None:
        return None, ""
    return reference, after[-FOLLOW_UP_CODE_LENGTH:]


def choice(text: str) -> int | None:
    """The number a numbered answer picks ("2", "２", " 2。", "①"), or None when the message is
    not just a number ("-1", "+1", "1.5" and "1 yes" are not). 0 means "skip" where a question
    is optional."""
    found = _CHOICE.fullmatch(unicodedata.normalize("NFKC", text or ""))
    return int(found.group(1)) if found and found.group(1).isascii() else None


def is_exit(word: str, flow: str = "") -> bool:
    """True when the whole message asks to leave the conversation `flow` (退出, 取消, EXIT, …).

    `word`: the message folded whole (`whole_word`, as `IncomingSms.word` holds it).
    """
    return word in EXIT_WORDS and not (flow == "cancel" and word in AMBIGUOUS_IN_CANCELLATION)


def is_more(text: str) -> bool:
    """True when the message asks for the next page of a numbered list (MORE, 更多)."""
    return whole_word(text) in MORE_WORDS


def yes_or_no(text: str) -> bool | None:
    """True for 1 / YES / 是, False for 2 / NO / 否, None for anything else."""
    folded = whole_word(text)
    if folded in YES_WORDS:
        return True
    if folded in NO_WORDS:
        return False
    return None
