"""Suggested duplicates of a tip: other tips that may report the same event. Staff decide;
nothing is linked or merged automatically.

The method (README.md, "Duplicate suggestions" under the staff console, says the same):

1. Candidates: the tips received within WINDOW_DAYS before or after the item that the viewer
   may see, at most MAX_CANDIDATES (the nearest in time), read in two queries. Everything else
   is computed in Python, so SQLite and PostgreSQL give the same answer.
2. Each signal gives evidence in nats: the natural log of how much likelier the observation
   is if both tips report one event than if they report two unrelated ones.
   - text: what the tipster wrote (description and the typed place), as character bigrams for
     Chinese and words for English, weighted by how rare each is in the window (IDF). The
     similarity is the weight shared divided by the weight of the shorter text (a short SMS
     inside a long web report counts fully). It is judged against its background: the
     similarities of the item to every candidate in its own language, as a standard score z.
     Modelling unrelated tips as z ~ N(0, 1) and reports of one event as z ~ N(TEXT_SHIFT, 1)
     gives the log-likelihood ratio TEXT_SHIFT·z − TEXT_SHIFT²/2: a similarity at the
     background counts against, one well above it for. Tips in different languages give no
     text evidence either way.
   - time: unrelated tips arrive evenly over the window (density 1/W, W = WINDOW_DAYS); reports
     of one event follow it within about TIME_SCALE_HOURS (exponential density). Evidence
     ln(W/τ) − Δt/τ.
   - place: when both tips have a region code (GB/T 2260), agreeing (the same, or one inside
     the other) has probability PLACE_AGREES_SAME for one event and q for unrelated tips, q
     being the share of the window whose region agrees with the item's (add-one smoothed):
     ln(PLACE_AGREES_SAME/q); disagreeing gives ln((1 − PLACE_AGREES_SAME)/(1 − q)).
   - sender and plate: the same phone hash, or the same vehicle plate, against the share of
     the window that has it (add-one smoothed): ln(SAME_SENDER_OR_PLATE/q).
3. The threshold follows from the same model: with N candidates in the window and at most one
   of them reporting the same event, the prior odds are 1/N, so a candidate is suggested when
   the summed evidence exceeds ln N (posterior odds above one). Nothing is tuned to a data file.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select

from portal.core.extensions import db
from portal.core.models import InboundMessage, IntakeItem, ItemKind, ItemLink, Tip, as_utc

WINDOW_DAYS = 7
MAX_CANDIDATES = 400
TIME_SCALE_HOURS = 12.0
TEXT_SHIFT = 2.0
PLACE_AGREES_SAME = 0.95
SAME_SENDER_OR_PLATE = 0.5
SNIPPET_CHARS = 80
# Mainland plates: province character, letter, then 5 (or 6 for new-energy) letters/digits.
PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{5,6}")
_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# English words that say nothing about an event (the window's IDF handles Chinese filler).
_ENGLISH_STOP_WORDS = frozenset(
    "a an the and or of to in on at is was were be been am are he she it they them his her their i me my we us "
    "you your this that these those with for from as by not no so if but do did does there here very one its "
    "had has have about maybe".split()
)


def plates_in(text: str | None) -> set[str]:
    """Vehicle plates written in `text` (spaces, dots and hyphens inside a plate ignored)."""
    if not text:
        return set()
    folded = re.sub(r"[\s·.\-]", "", unicodedata.normalize("NFKC", text).upper())
    return set(PLATE.findall(folded))


def text_terms(text: str) -> frozenset[str]:
    """The terms compared: Chinese character bigrams (a lone character stands for itself) and
    English words without filler words, after folding width and case (NFKC, lower case)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    terms: set[str] = set()
    for run in _RUNS.findall(folded):
        if run.isascii():
            if run not in _ENGLISH_STOP_WORDS:
                terms.add(run)
        elif len(run) == 1:
            terms.add(run)
        else:
            terms.update(run[i:i + 2] for i in range(len(run) - 1))
    return frozenset(terms)


def text_language(text: str) -> str:
    """'zh' when the text has any Chinese character, else 'en' (tips come in one or the other)."""
    return "zh" if _CJK.search(text) else "en"


def region_agrees(first: str | None, second: str | None) -> bool | None:
    """True when two six-digit GB/T 2260 codes are the same division or one lies inside the other
    (320614 海门区 inside 320600 南通市 inside 320000 江苏省); False when both are known and
    neither holds the other; None when either is unknown."""
    if not first or not second:
        return None
    return first in _enclosing(second) or second in _enclosing(first)


def _enclosing(code: str) -> set[str]:
    """The code and the codes of the city and province it lies in (by the GB/T 2260 digits)."""
    return {code, code[:4] + "00", code[:2] + "0000"}


@dataclass(frozen=True)
class _Tip:
    item_id: int
    received_at: datetime
    region_code: str | None
    terms: frozenset[str]
    language: str
    phone_hashes: frozenset[str]
    plates: frozenset[str]
    snippet: str


@dataclass
class Suggestion:
    """One suggested duplicate: the other item, the summed evidence (nats; above the threshold),
    the signals that spoke for it ("text", "place", "time", "phone", "plate"; strongest first),
    and the first SNIPPET_CHARS characters of what its tipster wrote."""

    item: IntakeItem
    score: float
    reasons: list[str] = field(default_factory=list)
    snippet: str = ""


def _snippet(description: str | None) -> str:
    flat = " ".join((description or "").split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[:SNIPPET_CHARS].rstrip() + "…"


def _linked_ids(item: IntakeItem) -> set[int]:
    rows = db.session.execute(
        select(ItemLink.item_id, ItemLink.other_item_id).where(or_(ItemLink.item_id == item.id, ItemLink.other_item_id == item.id))
    ).all()
    return {i for row in rows for i in row} - {item.id}


def _window(item: IntakeItem, visible: ColumnElement[bool]) -> list[_Tip]:
    """The candidate tips: received within WINDOW_DAYS of `item`, visible, at most MAX_CANDIDATES
    (half before and half after the item, the nearest first). Two queries for the tips and one
    for the senders' numbers of their SMS; none per candidate."""
    received = as_utc(item.received_at)
    span = timedelta(days=WINDOW_DAYS)
    columns = select(IntakeItem.id, IntakeItem.received_at, IntakeItem.region_code, Tip.description, Tip.place,
                     Tip.contact_phone_hash, Tip.vehicle_plate).join(Tip, Tip.item_id == IntakeItem.id).where(
        IntakeItem.kind == ItemKind.TIP, IntakeItem.id != item.id, visible)
    half = MAX_CANDIDATES // 2
    rows = list(db.session.execute(columns.where(IntakeItem.received_at.between(received - span, received))
                                   .order_by(IntakeItem.received_at.desc(), IntakeItem.id.desc()).limit(half)))
    rows += db.session.execute(columns.where(IntakeItem.received_at > received, IntakeItem.received_at <= received + span)
                               .order_by(IntakeItem.received_at, IntakeItem.id).limit(half))
    senders: dict[int, set[str]] = {}
    ids = [row.id for row in rows]
    if ids:
        for item_id, phone_hash in db.session.execute(select(InboundMessage.item_id, InboundMessage.from_phone_hash).where(
                InboundMessage.item_id.in_(ids), InboundMessage.from_phone_hash.is_not(None))):
            if item_id is not None:
                senders.setdefault(item_id, set()).add(phone_hash)
    return [_Tip(
        item_id=row.id, received_at=as_utc(row.received_at), region_code=row.region_code,
        terms=text_terms(" ".join(filter(None, [row.description, row.place]))),
        language=text_language(row.description or ""),
        phone_hashes=frozenset(senders.get(row.id, set()) | ({row.contact_phone_hash} if row.contact_phone_hash else set())),
        plates=frozenset(plates_in(" ".join(filter(None, [row.description, row.vehicle_plate])))),
        snippet=_snippet(row.description),
    ) for row in rows]


def _this_tip(item: IntakeItem) -> _Tip | None:
    tip = item.tip
    if tip is None:
        return None
    phones = set(db.session.scalars(select(InboundMessage.from_phone_hash).where(
        InboundMessage.item_id == item.id, InboundMessage.from_phone_hash.is_not(None))))
    if tip.contact_phone_hash:
        phones.add(tip.contact_phone_hash)
    return _Tip(
        item_id=item.id, received_at=as_utc(item.received_at), region_code=item.region_code,
        terms=text_terms(" ".join(filter(None, [tip.description, tip.place]))),
        language=text_language(tip.description or ""), phone_hashes=frozenset(phones),
        plates=frozenset(plates_in(" ".join(filter(None, [tip.description, tip.vehicle_plate])))),
        snippet=_snippet(tip.description),
    )


def _share(count: int, total: int) -> float:
    """Add-one smoothed share of the window: (count + 1) / (total + 2)."""
    return (count + 1) / (total + 2)


def score_candidates(this: _Tip, window: list[_Tip]) -> list[tuple[float, list[tuple[str, float]], _Tip]]:
    """Each candidate's summed evidence (nats) and the evidence of each signal, as described in
    the module docstring; no database access."""
    if not window:
        return []
    total = len(window)
    documents = Counter(term for other in [this, *window] for term in other.terms)
    idf = {term: math.log((total + 2) / (count + 1)) for term, count in documents.items()}

    def weight(terms: frozenset[str]) -> float:
        return sum(idf[t] for t in terms)

    own_weight = weight(this.terms)
    similarity = {}
    for other in window:
        shorter = min(own_weight, weight(other.terms))
        similarity[other.item_id] = weight(this.terms & other.terms) / shorter if shorter > 0 else 0.0
    background = [similarity[o.item_id] for o in window if o.language == this.language]
    mean = sum(background) / len(background) if background else 0.0
    spread = math.sqrt(sum((s - mean) ** 2 for s in background) / len(background)) if background else 0.0
    places = sum(1 for o in window if region_agrees(this.region_code, o.region_code))
    place_share = _share(places, total)
    window_seconds = WINDOW_DAYS * 86400.0
    scale_seconds = TIME_SCALE_HOURS * 3600.0
    scored = []
    for other in window:
        evidence: list[tuple[str, float]] = []
        if other.language == this.language and spread > 0 and this.terms and other.terms:
            z = (similarity[other.item_id] - mean) / spread
            evidence.append(("text", TEXT_SHIFT * z - TEXT_SHIFT ** 2 / 2))
        gap = abs((other.received_at - this.received_at).total_seconds())
        evidence.append(("time", math.log(window_seconds / scale_seconds) - gap / scale_seconds))
        agrees = region_agrees(this.region_code, other.region_code)
        if agrees is not None:
            evidence.append(("place", math.log(PLACE_AGREES_SAME / place_share) if agrees
                             else math.log((1 - PLACE_AGREES_SAME) / (1 - place_share))))
        shared_phones = this.phone_hashes & other.phone_hashes
        if shared_phones:
            holders = sum(1 for o in window if o.phone_hashes & shared_phones)
            evidence.append(("phone", math.log(SAME_SENDER_OR_PLATE / _share(holders, total))))
        shared_plates = this.plates & other.plates
        if shared_plates:
            holders = sum(1 for o in window if o.plates & shared_plates)
            evidence.append(("plate", math.log(SAME_SENDER_OR_PLATE / _share(holders, total))))
        scored.append((sum(value for _name, value in evidence), evidence, other))
    return scored


def threshold(candidates: int) -> float:
    """The evidence (nats) a suggestion needs among `candidates` tips: ln N, the prior odds of
    one duplicate among N (posterior odds above one); ln 2 for a window of one or two."""
    return math.log(max(candidates, 2))


def suggested_duplicates(item: IntakeItem, visible: ColumnElement[bool], limit: int = 5) -> list[Suggestion]:
    """Up to `limit` other tips the viewer may see (`visible`: a WHERE clause on IntakeItem) that
    may report the same event as `item`, strongest evidence first, each above `threshold` (see
    the module docstring). Items already linked to `item` are left out. Empty for an item that
    is not a tip. Reads at most MAX_CANDIDATES rows in four queries whatever the queue's size."""
    this = _this_tip(item)
    if this is None:
        return []
    window = _window(item, visible)
    skip = _linked_ids(item)
    bar = threshold(len(window))
    kept = sorted(((score, evidence, other) for score, evidence, other in score_candidates(this, window)
                   if score > bar and other.item_id not in skip), key=lambda row: -row[0])[:limit]
    if not kept:
        return []
    items = {i.id: i for i in db.session.scalars(select(IntakeItem).where(IntakeItem.id.in_([o.item_id for _s, _e, o in kept])))}
    return [Suggestion(item=items[other.item_id], score=score,
                       reasons=[name for name, value in sorted(evidence, key=lambda e: -e[1]) if value > 0],
                       snippet=other.snippet)
            for score, evidence, other in kept if other.item_id in items]
