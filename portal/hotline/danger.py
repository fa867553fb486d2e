"""Danger words: a hotline tip that uses one of these is made urgent at once (the officers on duty
are alerted), before the sender has answered "is a child in danger right now?"; a message without
keyword that uses one becomes such a tip.

The lists favour false alarms over missed ones: an urgent tip only moves to the top of the queue
and alerts the officers on duty, who judge it. Each word names an act or a threat happening to a
child (taking, forcing, hurting, confining) or a cry for help. English words match as whole
words, in any case; Chinese words anywhere in the text. Tested in `tests/hotline/test_conversations.py`.
"""

from __future__ import annotations

import re
import unicodedata

DANGER_WORDS_ZH: tuple[str, ...] = (
    "危险", "救命", "求救", "快来", "绑架", "拐走", "抢走", "抢孩子", "抱走", "抓走", "拖走", "带走了",
    "拽上车", "拉上车", "塞进车", "强行", "挣扎", "哭喊", "打孩子", "殴打", "被打", "虐待", "关着", "锁着",
    "捆着", "绑着", "下药", "刀", "枪", "卖孩子", "要卖",
)
DANGER_WORDS_EN: tuple[str, ...] = (
    "danger", "dangerous", "help me", "kidnap", "kidnapped", "kidnapping", "abduct", "abducted", "abducting",
    "snatched", "snatching", "grabbed", "grabbing", "dragged", "dragging", "forced", "forcing", "screaming", "beating", "beaten", "hitting",
    "abused", "locked", "tied up", "drugged", "knife", "gun", "weapon", "selling a child", "sell the child",
)
_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(word) for word in DANGER_WORDS_EN) + r")\b", re.IGNORECASE)


def mentions_danger(text: str | None) -> bool:
    """True when `text` (any width or case) contains a danger word in either language."""
    return first_danger_word(text) is not None


def first_danger_word(text: str | None) -> str | None:
    """The danger word that comes first in `text` (any width or case), as spelt in the lists
    above (English in lower case), or None. Kept with the urgent alert, so that the officers see
    why a tip whose sender did not say a child is in danger is urgent all the same."""
    folded = unicodedata.normalize("NFKC", text or "")
    found: list[tuple[int, str]] = [(folded.index(word), word) for word in DANGER_WORDS_ZH if word in folded]
    english = _ENGLISH.search(folded)
    if english:
        found.append((english.start(), english.group(0).lower()))
    return min(found)[1] if found else None
