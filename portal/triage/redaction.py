"""Removing personal details: a passage wherever it appears on an item, or a contact detail, by
staff (redaction, with a reason); or all of them by the retention command. The item's figures
(kind, channel, dates, status, outcome, group) always stay, so reports do not change.

A removed passage is replaced by one mark (`portal.core.redaction_marks.MARK`) in every text of
the item that holds it, and every page shows the mark in the reader's language. The search
index follows by itself: SQLite's FTS5 tables are kept by triggers on UPDATE, PostgreSQL's
trigram indexes are on the columns themselves (`portal.core.search`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from portal.core import audit, clock
from portal.core.extensions import db
from portal.core.models import (
    CaseAttachment, InboundMessage, IntakeItem, ItemNote, ItemStatus, OutboundMessage, Outcome, Redaction, SmsConversation, TipDraft,
    TipFollowUp, TipPhoto, TipQuestion,
)
from portal.core.photos import delete_photo_file
from portal.core.redaction_marks import MIN_PASSAGE_LENGTH, folded, quotes_passage, replace_passage
from portal.triage.attachments import erase_attachments

TIP_FIELDS = ("description", "place", "seen_when", "contact_name", "contact_phone")
# What the tip journey asks about the child, the adults and the vehicle: blanked (None) by
# retention.
TIP_DETAIL_FIELDS = (
    "child_age", "child_sex", "child_height", "child_clothing", "child_marks", "child_language",
    "adults_description", "vehicle_description", "vehicle_plate",
)
# The tip's texts a passage is removed from. Not child_sex (a code chosen from a list) and not
# contact_phone (a number in E.164, blanked whole by `redact` below).
TIP_TEXT_FIELDS = (
    "description", "place", "seen_when", "contact_name",
    "child_age", "child_height", "child_clothing", "child_marks", "child_language",
    "adults_description", "vehicle_description", "vehicle_plate",
)
# Contact details staff can blank whole (`redact`).
CONTACT_FIELDS = ("contact_name", "contact_phone")
# Names of the places a passage can be found, as the audit event and the page name them.
PASSAGE_PLACES = (
    *TIP_TEXT_FIELDS, "region_text", "sms_body", "sms_sent", "tipster_answers", "questions_to_tipster", "notes",
    "sms_conversation", "tip_draft", "redaction_reasons", "attachment_names",
)
PASSAGE_FIELD = "passage"  # Redaction.field of a removed passage
MAX_PASSAGE_LENGTH = 1000
ERASED_HASH = "erased"
RETENTION_OUTCOMES = (Outcome.NOT_SUBSTANTIATED, Outcome.SPAM)


class RemovalReason(StrEnum):
    """Why a passage is removed: recorded as this code in the audit event, which holds no text
    (the optional words an officer adds stay, encrypted and erasable, in the Redaction row)."""

    IDENTIFIES_TIPSTER = "identifies_tipster"  # the tipster's own name, number or address
    THIRD_PARTY = "third_party"  # personal details of someone the lead is not about
    NOT_NEEDED = "not_needed"  # personal details the lead does not need
    WRONG_ITEM = "wrong_item"  # written on this item by mistake
    HARMFUL = "harmful"  # abusive or harmful words
    OTHER = "other"


class NotRedactable(ValueError):
    """Raised for a field this item does not have or that cannot be redacted."""


class PassageNotFound(ValueError):
    """Raised when the passage appears nowhere on the item."""


class PassageTooShort(ValueError):
    """Raised for a passage of fewer than MIN_PASSAGE_LENGTH characters (whitespace not counted)."""


class ReasonQuotesPassage(ValueError):
    """Raised when the reason holds the passage itself: the reason is kept, the passage must not be."""


@dataclass
class PassageRemoved:
    """What `redact_passage` did: the Redaction row's id, and how many times the passage was
    removed from each place (names from PASSAGE_PLACES; only places where it was found)."""

    redaction_id: int
    places: dict[str, int]

    @property
    def total(self) -> int:
        """How many occurrences were removed in all."""
        return sum(self.places.values())


def redactable_fields(item: IntakeItem) -> list[str]:
    """The contact fields of `item` that can be blanked whole (see `redact`)."""
    tip = item.tip
    if tip is None:
        return []
    return [name for name in CONTACT_FIELDS if getattr(tip, name)]


def _blank(item: IntakeItem, field: str) -> None:
    tip = item.tip
    if field == "contact_name" and tip is not None:
        tip.contact_name = None
    elif field == "contact_phone" and tip is not None:
        tip.contact_phone, tip.contact_phone_hash, tip.may_contact_by_sms = None, None, False
    else:
        raise NotRedactable(field)


def redact(item: IntakeItem, *, field: str, reason: str, actor_id: int) -> None:
    """Blank the contact detail `field` of `item` (contact_name or contact_phone), keeping the
    (encrypted) reason; audited by field name and the Redaction row's id (caller commits).

    Raises NotRedactable for a field the item does not have.
    """
    if field not in redactable_fields(item):
        raise NotRedactable(field)
    _blank(item, field)
    row = Redaction(item_id=item.id, field=field, reason=reason, actor_id=actor_id, created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    audit.record("redact", actor_id=actor_id, item_id=item.id, fields=[field], numbers={"redaction_id": row.id})


def _replace_in_json(value: Any, passage: str) -> tuple[Any, int]:
    """`value` (decoded JSON) with the passage replaced in every string in it, and the count."""
    if isinstance(value, str):
        return replace_passage(value, passage)
    if isinstance(value, list):
        pairs = [_replace_in_json(v, passage) for v in value]
        return [v for v, _n in pairs], sum(n for _v, n in pairs)
    if isinstance(value, dict):
        total, out = 0, {}
        for key, v in value.items():
            out[key], n = _replace_in_json(v, passage)
            total += n
        return out, total
    return value, 0


def _replace_in_json_text(text: str | None, passage: str) -> tuple[str | None, int]:
    if not text:
        return text, 0
    try:
        value = json.loads(text)
    except ValueError:
        return replace_passage(text, passage)
    value, count = _replace_in_json(value, passage)
    return (json.dumps(value, ensure_ascii=False, separators=(",", ":")) if count else text), count


def _remove_everywhere(item: IntakeItem, passage: str) -> Counter[str]:
    """Replace `passage` in every text of `item` (rows changed in the session); the counts by place."""
    found: Counter[str] = Counter()

    def replace(obj: Any, attribute: str, place: str, *, as_json: bool = False) -> None:
        text = getattr(obj, attribute)
        if not text:
            return
        new, count = _replace_in_json_text(text, passage) if as_json else replace_passage(text, passage)
        if count:
            setattr(obj, attribute, new)
            found[place] += count

    tip = item.tip
    if tip is not None:
        for name in TIP_TEXT_FIELDS:
            replace(tip, name, name)
        for follow_up in db.session.scalars(select(TipFollowUp).where(TipFollowUp.tip_id == tip.id)):
            replace(follow_up, "text", "tipster_answers")
        for question in db.session.scalars(select(TipQuestion).where(TipQuestion.tip_id == tip.id)):
            replace(question, "text", "questions_to_tipster")
        # The web journey's answers, kept encrypted for a few hours after the tip was sent.
        for draft in db.session.scalars(select(TipDraft).where(TipDraft.tip_id == tip.id)):
            replace(draft, "answers", "tip_draft", as_json=True)
    replace(item, "region_text", "region_text")
    for message in db.session.scalars(select(InboundMessage).where(InboundMessage.item_id == item.id)):
        replace(message, "body", "sms_body")
    for sent in db.session.scalars(select(OutboundMessage).where(OutboundMessage.item_id == item.id)):
        replace(sent, "body", "sms_sent")
    for note in db.session.scalars(select(ItemNote).where(ItemNote.item_id == item.id)):
        replace(note, "body", "notes")
    # An SMS conversation still under way keeps its answers so far (encrypted JSON).
    for conversation in db.session.scalars(select(SmsConversation).where(SmsConversation.item_id == item.id)):
        replace(conversation, "data", "sms_conversation", as_json=True)
    # The names of files staff attached (the files themselves are not rewritten: docs/attachments.md).
    for attachment in db.session.scalars(select(CaseAttachment).where(CaseAttachment.item_id == item.id)):
        replace(attachment, "original_name", "attachment_names")
    # Words kept about earlier removals, shown beside their events in the item's history.
    for earlier in db.session.scalars(select(Redaction).where(Redaction.item_id == item.id)):
        replace(earlier, "reason", "redaction_reasons")
    return found


def redact_passage(item: IntakeItem, *, passage: str, reason_kind: RemovalReason, reason: str, actor_id: int) -> PassageRemoved:
    """Remove `passage` from every text of `item` that holds it (see PASSAGE_PLACES; matching as
    in `portal.core.redaction_marks.find_passage`: width, case and whitespace do not matter),
    each occurrence replaced by the mark. Keeps the officer's words about the reason (`reason`,
    may be empty; encrypted, erased with the item) in a Redaction row, and records an audit event
    holding the reason (`reason_kind`, a code), the places and how many times in each, and the
    row's id; never the passage. The caller commits.

    Raises PassageTooShort (under MIN_PASSAGE_LENGTH characters), ReasonQuotesPassage (the reason
    holds the passage, even written with other punctuation or separators: `quotes_passage`) or
    PassageNotFound (nothing changed).
    """
    if len(folded(passage)) < MIN_PASSAGE_LENGTH:
        raise PassageTooShort(passage)
    if reason and quotes_passage(reason, passage):
        raise ReasonQuotesPassage(reason)
    found = _remove_everywhere(item, passage)
    if not found:
        raise PassageNotFound(passage)
    row = Redaction(item_id=item.id, field=PASSAGE_FIELD, reason=reason or None, actor_id=actor_id, created_at=clock.now())
    db.session.add(row)
    db.session.flush()
    places = {name: found[name] for name in PASSAGE_PLACES if found[name]}
    audit.record("redact_passage", actor_id=actor_id, item_id=item.id, fields=list(places),
                 changes={"removal_reason": (RemovalReason(reason_kind).value,) * 2},
                 numbers={"redaction_id": row.id, "found": places})
    return PassageRemoved(redaction_id=row.id, places=places)


def redaction_reasons(item_ids: list[int]) -> dict[int, str]:
    """{Redaction id: reason} for the items `item_ids` (reasons erased are left out), for the
    audit history, whose events name the Redaction row instead of holding the reason."""
    rows = db.session.execute(select(Redaction.id, Redaction.reason).where(Redaction.item_id.in_(item_ids)))
    return {row_id: reason for row_id, reason in rows if reason}


def erase_personal_data(item: IntakeItem) -> list[str]:
    """Erase every personal detail of `item` (texts, contact, messages' numbers and words, notes,
    redaction reasons, the tip's photos and the files staff attached, rows and files) and mark it erased. Returns the field names erased; the caller audits and commits."""
    erased: list[str] = []
    tip = item.tip
    if tip is not None:
        tip.description = ""
        tip.place = tip.seen_when = tip.contact_name = tip.contact_phone = tip.contact_phone_hash = None
        tip.may_contact_by_sms = False
        tip.follow_up_code_display = None
        for name in TIP_DETAIL_FIELDS:
            setattr(tip, name, None)
        erased += list(TIP_FIELDS) + list(TIP_DETAIL_FIELDS) + _erase_tip_follow_up(tip.id)
    if db.session.scalar(select(InboundMessage.id).where(InboundMessage.item_id == item.id).limit(1)) is not None:
        db.session.execute(update(InboundMessage).where(InboundMessage.item_id == item.id)
                           .values(body="", from_phone=None, from_phone_hash=ERASED_HASH))
        erased += ["sms_body", "from_phone"]
    db.session.execute(update(OutboundMessage).where(OutboundMessage.item_id == item.id)
                       .values(to_phone=None, to_phone_hash=ERASED_HASH))
    db.session.execute(update(ItemNote).where(ItemNote.item_id == item.id).values(body=None))
    db.session.execute(update(Redaction).where(Redaction.item_id == item.id).values(reason=None))
    if erase_attachments(item.id):
        erased.append("attachments")
    item.region_text = None
    item.personal_data_erased_at = clock.now()
    return sorted(set(erased + ["notes", "region_text"]))


def _erase_tip_follow_up(tip_id: int) -> list[str]:
    """Blank the questions to the tipster and their answers, and delete the tip's photos (rows
    and files in TIP_PHOTO_DIR). Returns the field names erased."""
    folder = current_app.config["SETTINGS"].tip_photo_dir
    photos = list(db.session.scalars(select(TipPhoto).where(
        (TipPhoto.tip_id == tip_id)
        | TipPhoto.follow_up_id.in_(select(TipFollowUp.id).where(TipFollowUp.tip_id == tip_id))
    )))
    for photo in photos:
        delete_photo_file(folder, photo.stored_name)
        db.session.delete(photo)
    db.session.execute(update(TipFollowUp).where(TipFollowUp.tip_id == tip_id).values(text=None))
    db.session.execute(update(TipQuestion).where(TipQuestion.tip_id == tip_id).values(text=""))
    return ["photos", "tipster_answers", "questions_to_tipster"]


def run_retention(days: int, now: datetime | None = None) -> int:
    """Erase the personal details of items closed as not substantiated or spam more than `days`
    days ago (UTC), each erasure audited as a system action. Returns how many items; commits
    after each item so a long run holds no long lock."""
    now = now or clock.now()
    cutoff = now - timedelta(days=days)
    ids = list(db.session.scalars(
        select(IntakeItem.id).where(
            IntakeItem.status == ItemStatus.CLOSED,
            IntakeItem.outcome.in_(RETENTION_OUTCOMES),
            IntakeItem.closed_at < cutoff,
            IntakeItem.personal_data_erased_at.is_(None),
        ).order_by(IntakeItem.id)
    ))
    for item_id in ids:
        item = db.session.get(IntakeItem, item_id)
        assert item is not None
        fields = erase_personal_data(item)
        audit.record("erase_personal_data", actor_kind="system", item_id=item.id, fields=fields)
        db.session.commit()
    return len(ids)
