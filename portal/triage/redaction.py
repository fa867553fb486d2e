"""Blanking out personal details: one field at a time by staff (redaction, with a reason), or
all of them by the retention command. The item's figures (kind, channel, dates, status,
outcome, group) always stay, so reports do not change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from portal.core import audit, clock
from portal.core.extensions import db
from portal.core.models import InboundMessage, IntakeItem, ItemNote, ItemStatus, OutboundMessage, Outcome, Redaction, TipFollowUp, TipPhoto, TipQuestion
from portal.core.photos import delete_photo_file

REDACTED = "[redacted]"
TIP_FIELDS = ("description", "place", "seen_when", "contact_name", "contact_phone")
# What the tip journey asks about the child, the adults and the vehicle: blanked (None) by
# redaction and by retention.
TIP_DETAIL_FIELDS = (
    "child_age", "child_sex", "child_height", "child_clothing", "child_marks", "child_language",
    "adults_description", "vehicle_description", "vehicle_plate",
)
ERASED_HASH = "erased"
RETENTION_OUTCOMES = (Outcome.NOT_SUBSTANTIATED, Outcome.SPAM)


class NotRedactable(ValueError):
    """Raised for a field this item does not have or that cannot be redacted."""


def redactable_fields(item: IntakeItem) -> list[str]:
    """The field names of `item` that can be redacted (see `redact`)."""
    fields: list[str] = []
    if item.tip is not None:
        fields += list(TIP_FIELDS) + [name for name in TIP_DETAIL_FIELDS if getattr(item.tip, name)]
    if db.session.scalar(select(InboundMessage.id).where(InboundMessage.item_id == item.id).limit(1)) is not None:
        fields.append("sms_body")
    if item.region_text:
        fields.append("region_text")
    return fields


def _blank(item: IntakeItem, field: str) -> None:
    tip = item.tip
    if field == "description" and tip is not None:
        tip.description = REDACTED
    elif field in ("place", "seen_when", *TIP_DETAIL_FIELDS) and tip is not None:
        setattr(tip, field, None)
    elif field == "contact_name" and tip is not None:
        tip.contact_name = None
    elif field == "contact_phone" and tip is not None:
        tip.contact_phone, tip.contact_phone_hash, tip.may_contact_by_sms = None, None, False
    elif field == "sms_body":
        db.session.execute(update(InboundMessage).where(InboundMessage.item_id == item.id).values(body=REDACTED))
    elif field == "region_text":
        item.region_text = None
    else:
        raise NotRedactable(field)


def redact(item: IntakeItem, *, field: str, reason: str, actor_id: int) -> None:
    """Blank `field` of `item`, keeping the (encrypted) reason; audited by field name.

    Raises NotRedactable for a field the item does not have.
    """
    if field not in redactable_fields(item):
        raise NotRedactable(field)
    _blank(item, field)
    db.session.add(Redaction(item_id=item.id, field=field, reason=reason, actor_id=actor_id, created_at=clock.now()))
    audit.record("redact", actor_id=actor_id, item_id=item.id, fields=[field])


def erase_personal_data(item: IntakeItem) -> list[str]:
    """Erase every personal detail of `item` (texts, contact, messages' numbers and words, notes,
    redaction reasons) and mark it erased. Returns the field names erased; the caller audits and commits."""
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
