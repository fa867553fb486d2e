"""Suggested duplicates of an item: the same phone number, the same vehicle plate, or similar
text near the same place and time. Staff decide; nothing is linked or merged automatically.
"""

from __future__ import annotations

import re
from datetime import timedelta
from difflib import SequenceMatcher

from sqlalchemy import ColumnElement, or_, select

from portal.core.extensions import db
from portal.core.models import InboundMessage, IntakeItem, ItemLink, Tip

NEAR_DAYS = 3
SIMILAR_RATIO = 0.5
MAX_CANDIDATES = 200
# Mainland plates: province character, letter, then 5 (or 6 for new-energy) letters/digits.
PLATE = re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{5,6}")


def plates_in(text: str | None) -> set[str]:
    """Vehicle plates written in `text` (spaces, dots and hyphens inside a plate ignored)."""
    if not text:
        return set()
    folded = re.sub(r"[\s·.\-]", "", text.upper())
    return set(PLATE.findall(folded))


def _linked_ids(item: IntakeItem) -> set[int]:
    rows = db.session.execute(
        select(ItemLink.item_id, ItemLink.other_item_id).where(or_(ItemLink.item_id == item.id, ItemLink.other_item_id == item.id))
    ).all()
    return {i for row in rows for i in row} - {item.id}


def suggested_duplicates(item: IntakeItem, visible: ColumnElement[bool], limit: int = 5) -> list[tuple[IntakeItem, list[str]]]:
    """Up to `limit` other items the viewer may see (`visible`: a WHERE clause) that may be the
    same report, each with its reasons ("phone", "plate", "text"), closest first."""
    reasons: dict[int, list[str]] = {}
    skip = _linked_ids(item) | {item.id}

    def add(ids: list[int], reason: str) -> None:
        for found in ids:
            if found not in skip and reason not in reasons.setdefault(found, []):
                reasons[found].append(reason)

    tip = item.tip
    phone_hashes: set[str] = set()
    if tip is not None and tip.contact_phone_hash:
        phone_hashes.add(tip.contact_phone_hash)
    phone_hashes |= set(db.session.scalars(select(InboundMessage.from_phone_hash).where(InboundMessage.item_id == item.id)))
    if phone_hashes:
        add(list(db.session.scalars(select(Tip.item_id).where(Tip.contact_phone_hash.in_(phone_hashes)).limit(50))), "phone")
        add([i for i in db.session.scalars(select(InboundMessage.item_id).where(
            InboundMessage.from_phone_hash.in_(phone_hashes), InboundMessage.item_id.is_not(None)).limit(50)) if i], "phone")
    if tip is not None:
        plate_text = " ".join(filter(None, [tip.description, getattr(tip, "vehicle_plate", None)]))
        for plate in plates_in(plate_text):
            add(list(db.session.scalars(select(Tip.item_id).where(Tip.description.ilike(f"%{plate}%")).limit(50))), "plate")
        near = select(Tip.item_id, Tip.description).join(IntakeItem, IntakeItem.id == Tip.item_id).where(
            IntakeItem.received_at.between(item.received_at - timedelta(days=NEAR_DAYS), item.received_at + timedelta(days=NEAR_DAYS)),
            IntakeItem.id != item.id,
        )
        if item.region_code:
            near = near.where(IntakeItem.region_code == item.region_code)
        elif tip.place:
            near = near.where(Tip.place == tip.place)
        else:
            near = near.where(False)  # type: ignore[arg-type]  # where(False) matches nothing
        for other_id, description in db.session.execute(near.limit(MAX_CANDIDATES)):
            if SequenceMatcher(None, tip.description or "", description or "").ratio() >= SIMILAR_RATIO:
                add([other_id], "text")
    if not reasons:
        return []
    items = {i.id: i for i in db.session.scalars(select(IntakeItem).where(IntakeItem.id.in_(reasons), visible))}
    ranked = sorted(items, key=lambda i: (-len(reasons[i]), items[i].received_at))
    return [(items[i], reasons[i]) for i in ranked[:limit]]
