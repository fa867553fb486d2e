"""What one queue row says about its item: what it is, where, whose, how long is left, what
happened last, and whether anyone has opened it.

The facts a page of rows needs beyond the item itself (its staff actions from the audit trail,
the tipster's later information, its SMS messages) are read in one query for the whole page
(`page_facts`), so a page costs the same number of queries whatever it holds.

Times are aware UTC; durations are shown in words in the current language (Babel's
`format_timedelta`), with a colour class that never carries the meaning alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from flask_babel import format_timedelta, gettext as _
from markupsafe import Markup
from sqlalchemy import CompoundSelect, Text, func, literal, null, select, union_all

from portal.core import regions
from portal.core.i18n import time_ago
from portal.core.extensions import db
from portal.core.models import AuditEvent, InboundMessage, IntakeItem, ItemKind, ItemStatus, Tip, TipFollowUp
from portal.core.search import marked_snippet
from portal.staff.queue import is_overdue

SOON = timedelta(hours=24)  # "due within 24 hours"
# Durations: hours up to two days, then days (Babel picks the largest unit of at least 2).
_THRESHOLD = 2

# Audit actions that are someone looking, not something happening to the item.
_LOOKS = ("view_", "reveal_contact", "export_")
# Activity kinds, from the audit trail's actions; any other action on an item is "updated".
_ACTIVITY_OF_ACTION = {
    "add_note": "note",
    "change_status": "status",
    "merge_item": "status",
    "ask_tipster": "question",
    "give_feedback": "feedback",
    "take_item": "owner",
    "change_group": "owner",
}
_FOLLOW_UP, _SMS = "~follow_up", "~sms"  # sources that are not audit actions ("~": no action starts so)


@dataclass(frozen=True)
class TimeLeft:
    """Time left on an open item's feedback deadline: words, and a tone for the colour
    ("overdue", "soon": within 24 hours, "later")."""

    words: str
    tone: str


@dataclass(frozen=True)
class Activity:
    """The latest thing that happened to an item: `kind` (received, tipster_replied, sms, note,
    status, question, feedback, owner, updated) at `at` (aware UTC)."""

    kind: str
    at: datetime


@dataclass
class ItemFacts:
    """What the audit trail, the tipster's later information and the SMS messages say about one
    item: the latest time of each activity kind, whether anyone opened its page, its SMS bodies
    (oldest first)."""

    latest: dict[str, datetime] = field(default_factory=dict)
    opened: bool = False
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class QueueRow:
    """One queue row: the item and what the row says about it. `fields`: the personal fields
    the row shows (for the audit event of the page)."""

    item: IntakeItem
    snippet: Markup | None
    place: str | None
    time_left: TimeLeft | None
    activity: Activity
    opened: bool
    fields: tuple[str, ...]


def page_facts(item_ids: Iterable[int]) -> dict[int, ItemFacts]:
    """{item id: ItemFacts} for these items, in one query (none for no ids)."""
    ids = sorted(set(item_ids))
    facts: dict[int, ItemFacts] = {item_id: ItemFacts() for item_id in ids}
    if not ids:
        return facts
    no_body = null().cast(Text)
    query: CompoundSelect = union_all(
        select(AuditEvent.item_id, AuditEvent.action, func.max(AuditEvent.occurred_at), no_body)
        .where(AuditEvent.item_id.in_(ids)).group_by(AuditEvent.item_id, AuditEvent.action),
        select(Tip.item_id, literal(_FOLLOW_UP), func.max(TipFollowUp.received_at), no_body)
        .join(Tip, Tip.id == TipFollowUp.tip_id).where(Tip.item_id.in_(ids)).group_by(Tip.item_id),
        select(InboundMessage.item_id, literal(_SMS), InboundMessage.received_at, InboundMessage.body)
        .where(InboundMessage.item_id.in_(ids)),
    )
    rows = sorted(db.session.execute(query), key=lambda row: (row[2], row[1]))
    for item_id, source, at, body in rows:
        found = facts[item_id]
        if source == _SMS:
            found.messages.append(body or "")
            kind = "sms"
        elif source == _FOLLOW_UP:
            kind = "tipster_replied"
        elif source.startswith(_LOOKS):
            found.opened = found.opened or source == "view_item"
            continue
        else:
            kind = _ACTIVITY_OF_ACTION.get(source, "updated")
        if kind not in found.latest or at > found.latest[kind]:
            found.latest[kind] = at
    return facts


def last_activity(item: IntakeItem, facts: ItemFacts) -> Activity:
    """The latest of: received, the tipster's reply not yet seen (`tipster_replied_at`) or later
    information, an SMS message, and every staff action on the item in the audit trail (a note,
    a status change, a question, feedback, a change of owner, any other change). Looking at the
    item is not activity. Ties go to the first kind in that order."""
    found = Activity("received", item.received_at)
    candidates = dict(facts.latest)
    if item.tipster_replied_at is not None:
        candidates["tipster_replied"] = max(item.tipster_replied_at, candidates.get("tipster_replied", item.tipster_replied_at))
    for kind, at in candidates.items():
        if at > found.at:
            found = Activity(kind, at)
    return found


def time_left(item: IntakeItem, now: datetime) -> TimeLeft | None:
    """Time left on an open item's feedback deadline at `now`, or None (closed, or no deadline)."""
    if item.feedback_due_at is None or item.status == ItemStatus.CLOSED:
        return None
    left = item.feedback_due_at - now
    if is_overdue(item, now):
        return TimeLeft(_("Overdue by %(time)s", time=format_timedelta(-left, threshold=_THRESHOLD)), "overdue")
    if left <= SOON:
        return TimeLeft(_("Due within 24 hours: in %(time)s", time=format_timedelta(left, threshold=_THRESHOLD)), "soon")
    return TimeLeft(_("Due in %(time)s", time=format_timedelta(left, threshold=_THRESHOLD)), "later")


def activity_words(activity: Activity, now: datetime) -> str:
    """"Tipster replied 2 hours ago", "Note 1 day ago"... in the current language."""
    ago = time_ago(now - activity.at)
    words = {
        "received": _("Received %(ago)s", ago=ago),
        "tipster_replied": _("Tipster replied %(ago)s", ago=ago),
        "sms": _("SMS received %(ago)s", ago=ago),
        "note": _("Note %(ago)s", ago=ago),
        "status": _("Status changed %(ago)s", ago=ago),
        "question": _("Question to the tipster %(ago)s", ago=ago),
        "feedback": _("Feedback given %(ago)s", ago=ago),
        "owner": _("Owner changed %(ago)s", ago=ago),
    }
    return words.get(activity.kind, _("Updated %(ago)s", ago=ago))


def place_of(item: IntakeItem) -> tuple[str | None, str | None]:
    """(The item's place in words, the personal field it came from or None): the named division
    of `region_code` (GB/T 2260: 江苏省南通市海门区), else the place as given."""
    named = regions.full_name(item.region_code)
    if named:
        return named, None
    if item.region_text:
        return item.region_text, "region_text"
    if item.tip is not None and item.tip.place:
        return item.tip.place, "place"
    return None, None


def _snippet(item: IntakeItem, facts: ItemFacts, search: str | None) -> tuple[Markup | None, str | None]:
    """(The snippet, the field it came from): the search words' first match in the tip's
    description or the item's SMS messages, else the start of the description (a tip) or of the
    first message."""
    texts: list[tuple[str, str]] = []
    if item.tip is not None and item.tip.description:
        texts.append((item.tip.description, "description"))
    texts += [(body, "sms_body") for body in facts.messages if body]
    if search:
        for words, source in texts:
            marked = marked_snippet(words, search)
            if marked is not None and "<mark>" in marked:
                return marked, source
    if item.kind == ItemKind.APPOINTMENT or not texts:
        return None, None
    return marked_snippet(texts[0][0]), texts[0][1]


def queue_rows(items: list[IntakeItem], now: datetime, search: str | None = None) -> list[QueueRow]:
    """The rows of one queue page, at `now` (aware UTC); `search`: the words searched for, to mark.

    One query (`page_facts`) beyond the items themselves, loaded with their tips and owners."""
    facts = page_facts(item.id for item in items)
    rows = []
    for item in items:
        snippet, snippet_field = _snippet(item, facts[item.id], search)
        place, place_field = place_of(item)
        rows.append(QueueRow(
            item=item, snippet=snippet, place=place, time_left=time_left(item, now),
            activity=last_activity(item, facts[item.id]), opened=facts[item.id].opened,
            fields=tuple(f for f in (snippet_field, place_field) if f),
        ))
    return rows
