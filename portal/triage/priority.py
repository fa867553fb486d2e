"""How a new tip's priority is set. The rules, in order (the first that applies wins):

1. **Urgent** — the tipster said a child is in danger right now.
2. **High** — a sighting of an abducted, trafficked or known missing child (categories
   `abducted_or_trafficked`, `known_missing_child`) that is recent: seen within the last
   48 hours, or "when" names today, yesterday, just now or this morning/afternoon/evening.
3. **Low** — too little detail to act on: a description under 15 characters, with no place,
   no time and no contact.
4. **Normal** — everything else.

Staff can change the priority afterwards, with a reason that is recorded
(`portal.triage.workflow.change_priority`). These rules set only the starting point.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal.core.models import Priority, TipCategory

RECENT_HOURS = 48
MIN_DETAIL_CHARS = 15
_SERIOUS = frozenset({TipCategory.ABDUCTED_OR_TRAFFICKED, TipCategory.KNOWN_MISSING_CHILD})
# Words in the free-text "when" answer that mean the sighting is recent, in both languages.
_RECENT_WORDS = re.compile(r"(今天|今日|刚才|刚刚|昨天|昨晚|今早|今晚|上午|下午|晚上|现在|just now|today|yesterday|tonight|this morning|this afternoon|this evening|an hour ago|hours ago)", re.I)


@dataclass(frozen=True)
class TipSignals:
    """What the rules read from a new tip.

    `seen_at`: the sighting as a UTC instant when the form gave one, else None.
    `seen_when`: the free-text answer to "when", if any. `now`: UTC, for "how recent".
    """

    child_in_danger: bool
    category: str
    description: str
    now: datetime
    place: str | None = None
    seen_when: str | None = None
    seen_at: datetime | None = None
    has_contact: bool = False


def is_recent(signals: TipSignals) -> bool:
    """True when the sighting was within RECENT_HOURS of `signals.now`, as far as the tip says."""
    if signals.seen_at is not None:
        return signals.now - signals.seen_at <= timedelta(hours=RECENT_HOURS)
    return bool(signals.seen_when and _RECENT_WORDS.search(signals.seen_when))


def tip_priority(signals: TipSignals) -> Priority:
    """The starting priority of a tip under the rules in this module's docstring."""
    if signals.child_in_danger:
        return Priority.URGENT
    if signals.category in _SERIOUS and is_recent(signals):
        return Priority.HIGH
    little_detail = len((signals.description or "").strip()) < MIN_DETAIL_CHARS
    if little_detail and not signals.place and not signals.seen_when and not signals.seen_at and not signals.has_contact:
        return Priority.LOW
    return Priority.NORMAL
