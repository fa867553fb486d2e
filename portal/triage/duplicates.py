"""Suggested duplicates of a tip: other tips that may report the same event. Staff decide;
nothing is linked or merged automatically.

The method is record linkage as Fellegi and Sunter set it out ("A Theory for Record Linkage",
JASA 64, 1969), with the comparisons a triage officer makes (docs/duplicates.md says the same,
with the data it was checked against):

1. Candidates: the tips received within WINDOW_DAYS before or after the item that the viewer
   may see, at most MAX_CANDIDATES (the nearest in time), read in a few queries. Everything else
   is computed in Python, so SQLite and PostgreSQL give the same answer.
2. Each comparison between the item and a candidate gives evidence in nats: ln(m/u), where m is
   how often the comparison comes out this way for two reports of one event (stated below, a
   judgement about how people report), and u how often it does for two unrelated tips, measured
   on the window itself (add-one smoothed), so that what is common in this week's tips counts for
   little. The comparisons are chosen to be about independent given the truth, as the method needs:
   - what happened (text): the words without their place names (`place_names.blank_place_words`:
     the place is the next comparison's, not counted twice), as Chinese character bigrams and
     English words weighted by their rarity in the window (TF-IDF), compared by cosine. A pair's
     similarity is ranked among the similarities of the window's same-language pairs; its level
     is the share of those pairs at least as similar: within 2 %, 10 %, 30 %, or below. m =
     0.45, 0.30, 0.15, 0.10: reports of one event by different people use different words, but
     mostly rank high. Tips in different languages are not compared by text.
   - where (place): two region codes (GB/T 2260) agree when one is the other or lies inside it.
     m = 0.95 that two reports of one event agree.
   - when (time): unrelated tips arrive evenly over the window (density 1/W), reports of one
     event within about TIME_SCALE_HOURS of each other (exponential density): ln(W/τ) − Δt/τ.
   - the child: the sex of the child each report describes (girl, boy, or a child not said), or
     no child at all. Both say the same sex: m = 0.60; compatible (one does not say): 0.36; girl
     against boy, or a child in one report and none in the other: 0.02 each.
   - the child's age, where both give one (五六岁, "maybe 6 or 7"): within AGE_TOLERANCE_YEARS
     of each other, m = 0.9 (strangers guess ages), further apart 0.1.
   - the sender and the vehicle plate: the same phone number, or the same plate, m = 0.5
     against the share of the window that has it.
3. The threshold follows from the same model: with N candidates in the window and at most one
   of them reporting the same event, the prior odds are 1/N, so a candidate is suggested when the
   summed evidence exceeds ln N (posterior odds above one). Nothing is tuned to a data file.
"""

from __future__ import annotations

import math
from bisect import bisect_left
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select

from portal.core import place_names
from portal.core.extensions import db
from portal.core.models import InboundMessage, IntakeItem, ItemKind, ItemLink, Tip, as_utc

WINDOW_DAYS = 7
MAX_CANDIDATES = 400
# Background pairs for ranking text similarity: all pairs of a small window, a fixed sample of
# a large one (every candidate against the BACKGROUND_PARTNERS following it).
BACKGROUND_PARTNERS = 10
TIME_SCALE_HOURS = 12.0
# Text levels: the share of the window's pairs at least as similar, and m for each level (the
# last for everything below the last cut).
TEXT_LEVEL_CUTS = (0.02, 0.10, 0.30)
TEXT_LEVEL_SAME_EVENT = (0.45, 0.30, 0.15, 0.10)
PLACE_AGREES_SAME = 0.95
CHILD_SAME_EVENT = {"same": 0.60, "compatible": 0.36, "conflict": 0.02, "absent": 0.02}
AGE_TOLERANCE_YEARS = 2
AGES_AGREE_SAME = 0.9
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


# The child a tip describes: its sex when said, and whether there is a child at all.
_GIRL = re.compile(r"女孩|女娃|小姑娘|丫头|女儿|女宝|女童|小女|\bgirls?\b|\bdaughter")
_BOY = re.compile(r"男孩|男娃|小伙|儿子|男宝|男童|小男|\bboys?\b|\bson\b")
_CHILD = re.compile(r"孩|娃|宝宝|婴|儿童|幼|小朋友|学生|\d+岁|[一二三四五六七八九十几]+岁|\bkids?\b|\bchild|\bbab(?:y|ies)\b|\btoddler|\bteen")


def child_described(text: str) -> frozenset[str] | None:
    """The sexes of the child(ren) `text` describes ("f", "m"; empty when a child is described
    without saying), or None when it describes no child (an adult beggar, a question)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    sexes = frozenset(sex for sex, pattern in (("f", _GIRL), ("m", _BOY)) if pattern.search(folded))
    if sexes or _CHILD.search(folded):
        return sexes
    return None


def child_comparison(first: frozenset[str] | None, second: frozenset[str] | None) -> str | None:
    """How two described children compare: "same" (the same sex said by both), "compatible"
    (one does not say), "conflict" (girl against boy), "absent" (a child in one, none in the
    other); None when neither describes a child."""
    if first is None and second is None:
        return None
    if first is None or second is None:
        return "absent"
    if first and second:
        return "same" if first & second else "conflict"
    return "compatible"


_CHINESE_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# 4岁, 五六岁, 十三四岁, 两三岁, 十岁: a written age, or two neighbouring ones for a guess.
_CHINESE_AGE = re.compile(r"([0-9]{1,2}|[一二两三四五六七八九十]{1,3})(?:周)?岁")
_ENGLISH_AGE = re.compile(
    r"\b(?:boy|girl|kid|child|baby|toddler|son|daughter)s?\b[^.;!?0-9]{0,20}?"
    r"(?:abt\.?|about|around|maybe|approx\.?|aged?|like)?\s*([0-9]{1,2})(?:\s*(?:or|-|to|and)\s*([0-9]{1,2}))?\b(?!\s*(?:am|pm|:))"
    r"|\b([0-9]{1,2})[- ](?:years?|yrs?)[- ]old\b"
)
CHILD_AGE_LIMIT = 17  # older ages in a tip are the adults'


def _chinese_ages(written: str) -> list[int]:
    """The ages a Chinese numeral before 岁 says: 4 → [4], 五六 → [5, 6], 十三四 → [13, 14],
    二十 → [20]; [] when it cannot be read."""
    if written.isdigit():
        return [int(written)]
    if "十" in written:
        tens, _ten, ones = written.partition("十")
        base = 10 * (_CHINESE_DIGITS.get(tens, 0) if tens else 1)
        if tens and tens not in _CHINESE_DIGITS:
            return []
        return [base + _CHINESE_DIGITS[d] for d in ones if d in _CHINESE_DIGITS] or [base]
    return [_CHINESE_DIGITS[d] for d in written if d in _CHINESE_DIGITS]


def child_ages(text: str) -> tuple[int, int] | None:
    """The youngest and oldest child age `text` gives in years (五六岁 → (5, 6); "a boy, maybe 6 or
    7" → (6, 7)), ages above CHILD_AGE_LIMIT left out as the adults'; None when it gives none."""
    folded = unicodedata.normalize("NFKC", text).lower()
    ages = [age for match in _CHINESE_AGE.finditer(folded) for age in _chinese_ages(match.group(1))]
    for match in _ENGLISH_AGE.finditer(folded):
        ages += [int(group) for group in match.groups() if group]
    ages = [age for age in ages if age <= CHILD_AGE_LIMIT]
    return (min(ages), max(ages)) if ages else None


def ages_agree(first: tuple[int, int] | None, second: tuple[int, int] | None) -> bool | None:
    """True when two age ranges lie within AGE_TOLERANCE_YEARS of each other (strangers guess a
    child's age), False when further apart, None when either is unknown."""
    if first is None or second is None:
        return None
    gap = max(first[0], second[0]) - min(first[1], second[1])
    return gap <= AGE_TOLERANCE_YEARS


def plates_in(text: str | None) -> set[str]:
    """Vehicle plates written in `text` (spaces, dots and hyphens inside a plate ignored)."""
    if not text:
        return set()
    folded = re.sub(r"[\s·.\-]", "", unicodedata.normalize("NFKC", text).upper())
    return set(PLATE.findall(folded))


def text_terms(text: str) -> frozenset[str]:
    """The terms compared: Chinese character bigrams (a lone character stands for itself) and
    English words without filler words, after folding width and case (NFKC, lower case). The
    caller blanks place names first (`place_names.blank_place_words`)."""
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
    child: frozenset[str] | None = None
    ages: tuple[int, int] | None = None


@dataclass
class Suggestion:
    """One suggested duplicate: the other item, the summed evidence (nats; above the threshold),
    the signals that spoke for it ("text", "place", "time", "phone", "plate"; strongest first),
    and the first SNIPPET_CHARS characters of what its tipster wrote."""

    item: IntakeItem
    score: float
    reasons: list[str] = field(default_factory=list)
    snippet: str = ""


def _what_happened(description: str | None, place: str | None) -> frozenset[str]:
    """The text terms of a tip's words and typed place, without their place names."""
    return text_terms(place_names.blank_place_words(" ".join(filter(None, [description, place]))))


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
        terms=_what_happened(row.description, row.place),
        language=text_language(row.description or ""),
        phone_hashes=frozenset(senders.get(row.id, set()) | ({row.contact_phone_hash} if row.contact_phone_hash else set())),
        plates=frozenset(plates_in(" ".join(filter(None, [row.description, row.vehicle_plate])))),
        snippet=_snippet(row.description), child=child_described(row.description or ""),
        ages=child_ages(row.description or ""),
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
        terms=_what_happened(tip.description, tip.place),
        language=text_language(tip.description or ""), phone_hashes=frozenset(phones),
        plates=frozenset(plates_in(" ".join(filter(None, [tip.description, tip.vehicle_plate])))),
        snippet=_snippet(tip.description), child=child_described(tip.description or ""),
        ages=child_ages(tip.description or ""),
    )


def _log_ratio(same_event: float, count: int, total: int) -> float:
    """ln(m/u), u being `count` of `total` (add-one smoothed: (count + 1) / (total + 2))."""
    return math.log(same_event / ((count + 1) / (total + 2)))


def _background_pairs(tips: list[_Tip]) -> list[tuple[_Tip, _Tip]]:
    """The pairs whose text similarities rank a pair's: every pair of the item and candidates,
    or in a large window each one with the BACKGROUND_PARTNERS following it (at most about
    MAX_CANDIDATES × BACKGROUND_PARTNERS pairs)."""
    if len(tips) <= 2 * BACKGROUND_PARTNERS + 1:
        return [(a, b) for i, a in enumerate(tips) for b in tips[i + 1:]]
    return [(a, tips[(i + k) % len(tips)]) for i, a in enumerate(tips) for k in range(1, BACKGROUND_PARTNERS + 1)]


def score_candidates(this: _Tip, window: list[_Tip]) -> list[tuple[float, list[tuple[str, float]], _Tip]]:
    """Each candidate's summed evidence (nats) and the evidence of each comparison ("text",
    "place", "time", "child", "phone", "plate"), as described in the module docstring; no
    database access. Linear in the window's size (the background pairs are capped)."""
    if not window:
        return []
    total = len(window)
    everyone = [this, *window]
    documents = Counter(term for tip in everyone for term in tip.terms)
    idf = {term: math.log((len(everyone) + 1) / (count + 1)) + 1.0 for term, count in documents.items()}
    norm = {tip.item_id: math.sqrt(sum(idf[t] ** 2 for t in tip.terms)) for tip in everyone}

    def cosine(a: _Tip, b: _Tip) -> float | None:
        if a.language != b.language or not norm[a.item_id] or not norm[b.item_id]:
            return None
        return sum(idf[t] ** 2 for t in a.terms & b.terms) / (norm[a.item_id] * norm[b.item_id])

    pairs = _background_pairs(everyone)
    background = sorted(value for a, b in pairs if (value := cosine(a, b)) is not None)

    def text_level(similarity: float) -> int:
        at_least = len(background) - bisect_left(background, similarity)
        share = (at_least + 1) / (len(background) + 1)
        return next((k for k, cut in enumerate(TEXT_LEVEL_CUTS) if share <= cut), len(TEXT_LEVEL_CUTS))

    levels = Counter(text_level(value) for value in background)
    children = Counter(child_comparison(a.child, b.child) for a, b in pairs)
    child_pairs = sum(n for kind, n in children.items() if kind is not None)
    age_pairs = Counter(ages_agree(a.ages, b.ages) for a, b in pairs)
    places = sum(1 for other in window if region_agrees(this.region_code, other.region_code))
    window_seconds = WINDOW_DAYS * 86400.0
    scale_seconds = TIME_SCALE_HOURS * 3600.0
    scored = []
    for other in window:
        evidence: list[tuple[str, float]] = []
        similarity = cosine(this, other)
        if similarity is not None and len(background) >= 3:
            level = text_level(similarity)
            evidence.append(("text", _log_ratio(TEXT_LEVEL_SAME_EVENT[level], levels[level], len(background))))
        gap = abs((other.received_at - this.received_at).total_seconds())
        evidence.append(("time", math.log(window_seconds / scale_seconds) - gap / scale_seconds))
        agrees = region_agrees(this.region_code, other.region_code)
        if agrees is not None:
            evidence.append(("place", _log_ratio(PLACE_AGREES_SAME, places, total) if agrees
                             else _log_ratio(1 - PLACE_AGREES_SAME, total - places, total)))
        child = child_comparison(this.child, other.child)
        if child is not None:
            evidence.append(("child", _log_ratio(CHILD_SAME_EVENT[child], children[child], child_pairs)))
        ages = ages_agree(this.ages, other.ages)
        if ages is not None:
            known = age_pairs[True] + age_pairs[False]
            evidence.append(("age", _log_ratio(AGES_AGREE_SAME, age_pairs[True], known) if ages
                             else _log_ratio(1 - AGES_AGREE_SAME, age_pairs[False], known)))
        shared_phones = this.phone_hashes & other.phone_hashes
        if shared_phones:
            holders = sum(1 for o in window if o.phone_hashes & shared_phones)
            evidence.append(("phone", _log_ratio(SAME_SENDER_OR_PLATE, holders, total)))
        shared_plates = this.plates & other.plates
        if shared_plates:
            holders = sum(1 for o in window if o.plates & shared_plates)
            evidence.append(("plate", _log_ratio(SAME_SENDER_OR_PLATE, holders, total)))
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
