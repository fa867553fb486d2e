"""What an item's case file (档案) holds: everything the print page and the PDF show, gathered
once, with the names of the personal fields shown (for the one audit event of each printing or
download). `portal.staff.case_file_views` draws it with `templates/staff/_case_file.html`.

It follows the item page's rules: a tip's contact details as the item page shows them before
anyone gives a reason to see them in full (`items.item_details`), removed passages as their mark,
SMS numbers masked. The history is what was done to the item (status moves, assignments,
priority and group changes, notes, links, removals, and changes made by the public, such as a
tipster's SMS that made the tip urgent), and who was shown the tipster's contact details in full
("reveal_contact", with the reason they gave: the internal note the event names, never the
details themselves), since who saw the full number belongs in a signed file. Other reading
events (opening the item, a photo, this file) are left out; the audit log keeps them.

Attachments: `attachments` lists the officers' attachments (`portal.triage.attachments`); images
are embedded, PDFs listed by name, size and checksum. The web worker holds the whole file in
memory, images as `data:` URIs (a third larger than the file), and an item may have any number of
attachments: so an image is embedded as a copy at most PRINT_MAX_SIDE pixels on its longest side,
and only the first MAX_EMBEDDED_IMAGES images are; the others are listed, saying where to get them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import not_, or_, select

from portal.core import pdf, regions
from portal.core.extensions import db
from portal.core.i18n import format_local_date
from portal.core.models import AuditEvent, IntakeItem, ItemLink, ItemNote, StaffUser, TipFeedback, TipPhoto
from portal.core.photos import PhotoRefused, photo_path, print_copy
from portal.staff import items
from portal.staff.labels import label
from portal.staff.queue import visible_items_filter
from portal.staff.questions import web_details
from portal.staff.views import sms_thread
from portal.tips.feedback import feedback_for
from portal.tips.followup import Conversation, conversation
from portal.triage.attachments import attachment_bytes, attachments_for
from portal.triage.redaction import redaction_reasons

log = logging.getLogger(__name__)

# Audit actions that only read an item: the case file's history leaves them out. Showing the
# contact details in full ("reveal_contact") is a reading too, but it is kept: it is not among these.
READING_PREFIXES = ("view_", "print_", "download_", "export_")
HISTORY_LIMIT = 500
# Image attachments embedded in a case file, and their longest side in pixels (about 180 dpi
# across an A4 page's text width): at most about 12 x 1 MB of JPEG, whatever the item holds.
MAX_EMBEDDED_IMAGES = 12
PRINT_MAX_SIDE = 1280


@dataclass(frozen=True)
class HistoryEntry:
    """One change to the item (or to an item merged into it: `other_reference`), oldest first;
    `reason`: for "reveal_contact", the reason given (the internal note the event names), else None."""

    event: AuditEvent
    username: str | None
    other_reference: str | None
    reason: str | None = None


@dataclass(frozen=True)
class LinkedItem:
    """An item linked with this one, described without personal details: its reference, kind,
    what was seen (tips), when it came in, its status, and whether it was merged into this one."""

    reference: str
    words: str
    merged_here: bool


@dataclass(frozen=True)
class PhotoEntry:
    """A tip photo, embedded: `data_uri` (None when its file is missing), its pixel size."""

    number: int
    data_uri: str | None
    width: int
    height: int
    kept_location: bool
    received_at: datetime


@dataclass(frozen=True)
class AttachmentEntry:
    """An attachment to the case file, as the file lists it (for `attachments`).

    `name`: the file's name as kept (CaseAttachment.original_name); `kind`: 'image' or 'pdf';
    `size_bytes`; `added_at` (UTC); `added_by`: a username or None; `sha256`: hex digest of the
    stored file, printed so that paper names exactly which file it holds; `image_data_uri`: for an
    image, a print-size copy as a `data:` URI to embed (None for a PDF, which is listed, not
    embedded, and for an image past MAX_EMBEDDED_IMAGES, `not_printed` then True).
    Chain of custody: `original_sha256`, hex digest of the file as uploaded, and `taken_at`, a
    photo's capture time by the camera's clock (`CaseAttachment.taken_at`); None when not recorded.
    """

    name: str
    kind: str
    size_bytes: int
    added_at: datetime
    added_by: str | None
    sha256: str | None = None
    image_data_uri: str | None = None
    not_printed: bool = False
    original_sha256: str | None = None
    taken_at: str | None = None


@dataclass
class CaseFile:
    """Everything one case file shows, in the current language; times are aware UTC datetimes
    (the template writes them in `timezone`, the site's zone). `said`: the (label, text) rows of
    what the tipster said (`details.rows` less what was seen); `fields`: the personal fields
    shown, for the audit event."""

    item: IntakeItem
    timezone: str
    zone_words: str
    printed_at: datetime
    printed_by: str
    region_words: str
    merged_into: IntakeItem | None
    details: items.ItemDetails
    said: list[tuple[str, str]]
    web_details: list[tuple[str, str]]
    thread: list[dict[str, Any]]
    conversation: Conversation | None
    feedback: list[TipFeedback]
    notes: list[tuple[ItemNote, str | None]]
    linked: list[LinkedItem]
    photos: list[PhotoEntry]
    attachments: list[AttachmentEntry]
    history: list[HistoryEntry]
    redaction_reasons: dict[int, str]
    fields: list[str] = field(default_factory=list)
    history_cut: bool = False  # more than HISTORY_LIMIT changes: the first ones are printed, the audit log holds all


def zone_words(timezone: str, at: datetime) -> str:
    """The zone as a reader of paper needs it: its name and offset at `at`
    ("Asia/Shanghai, UTC+08:00")."""
    hours_minutes = at.astimezone(ZoneInfo(timezone)).strftime("%z")  # +0800
    offset = hours_minutes[:3] + ":" + hours_minutes[3:]
    return _("%(zone)s, UTC%(offset)s", zone=timezone, offset=offset)


def build_case_file(item: IntakeItem, *, viewer: StaffUser, timezone: str, photo_dir: str, now: datetime) -> CaseFile:
    """Gather `item`'s case file as `viewer` may see it (linked items outside their scope are
    left out). `timezone`: the site's IANA zone; `photo_dir`: TIP_PHOTO_DIR; `now`: aware UTC,
    the time printed on the file. Reads only; records nothing (the caller audits)."""
    details = items.item_details(item, timezone)
    fields = set(details.fields)
    notes: list[tuple[ItemNote, str | None]] = [(note, username) for note, username in db.session.execute(
        select(ItemNote, StaffUser.username).outerjoin(StaffUser, StaffUser.id == ItemNote.author_id)
        .where(ItemNote.item_id == item.id).order_by(ItemNote.created_at, ItemNote.id)).all()]
    if notes:
        fields.add("notes")
    tip = item.tip
    talk = conversation(tip) if tip is not None else None
    given = feedback_for(tip) if tip is not None else []
    if talk is not None:
        if talk.questions:
            fields.add("questions_to_tipster")
        if any(answers for _question, answers in talk.questions) or talk.additions:
            fields.add("follow_up_answers")
        if talk.photos:
            fields.add("photos")
    if given:
        fields.add("feedback")
    extra = web_details(tip) if tip is not None else []
    merged = list(db.session.scalars(select(IntakeItem).where(IntakeItem.merged_into_id == item.id)))
    attached = attachments(item)
    if attached:
        fields.add("attachments")
    history = _history(item, merged)
    return CaseFile(
        item=item, timezone=timezone, zone_words=zone_words(timezone, now), printed_at=now,
        printed_by=viewer.username, region_words=_region_words(item),
        merged_into=db.session.get(IntakeItem, item.merged_into_id) if item.merged_into_id else None,
        # What the tipster said, without what was seen: the lead's summary has it.
        details=details, said=[row for row in details.rows if row[0] != _("What was seen")], web_details=extra, thread=sms_thread(item, details), conversation=talk,
        feedback=given, notes=notes, linked=_linked(item, viewer, merged, timezone), photos=_photos(talk, photo_dir),
        attachments=attached, history=history[:HISTORY_LIMIT], history_cut=len(history) > HISTORY_LIMIT,
        redaction_reasons=redaction_reasons([item.id] + [other.id for other in merged]),
        fields=sorted(fields),
    )


def attachments(item: IntakeItem) -> list[AttachmentEntry]:
    """The officers' attachments (`portal.triage.attachments.attachments_for`), oldest first, as the
    case file lists them: the first MAX_EMBEDDED_IMAGES images embedded as `data:` URIs of
    print-size copies (`portal.core.photos.print_copy`; the PDF worker reads nothing from disk;
    None when the file is gone or does not decode, logged), the later ones marked `not_printed`;
    a PDF listed by name, size and SHA-256 (its pages are not copied in); each with the
    original upload's SHA-256 and a photo's capture time where recorded. Not audited here: the
    caller's one event names "attachments"."""
    entries = []
    images = 0
    for row in attachments_for(item):
        image, not_printed = None, False
        if row.kind == "image":
            images += 1
            not_printed = images > MAX_EMBEDDED_IMAGES
            if not not_printed:
                try:
                    image = pdf.data_uri(print_copy(attachment_bytes(row), PRINT_MAX_SIDE), "image/jpeg")
                except (FileNotFoundError, PhotoRefused):
                    log.warning("case file: the file of attachment %s is missing or unreadable", row.id)
        entries.append(AttachmentEntry(
            name=row.original_name or "–", kind=row.kind, size_bytes=row.byte_size, added_at=row.uploaded_at,
            added_by=row.uploaded_by.username if row.uploaded_by else None, sha256=row.sha256,
            image_data_uri=image, not_printed=not_printed, original_sha256=row.original_sha256,
            taken_at=row.taken_at))
    return entries


def _region_words(item: IntakeItem) -> str:
    name = regions.full_name(item.region_code) if item.region_code else None
    if not name:
        return _("Not known")
    if item.region_source:
        return _("%(place)s (%(code)s), %(source)s", place=name, code=item.region_code,
                 source=label("region_source", item.region_source))
    return _("%(place)s (%(code)s)", place=name, code=item.region_code)


def _linked(item: IntakeItem, viewer: StaffUser, merged: list[IntakeItem], timezone: str) -> list[LinkedItem]:
    rows = db.session.execute(select(ItemLink.item_id, ItemLink.other_item_id).where(
        (ItemLink.item_id == item.id) | (ItemLink.other_item_id == item.id))).all()
    ids = ({i for row in rows for i in row} | {other.id for other in merged}) - {item.id}
    if not ids:
        return []
    found = db.session.scalars(select(IntakeItem).where(IntakeItem.id.in_(ids), visible_items_filter(viewer))
                               .order_by(IntakeItem.received_at, IntakeItem.id))
    linked = []
    for other in found:
        parts = [label("kind", other.kind)]
        if other.tip is not None:
            parts.append(label("category", other.tip.category))
        # The day it came in is enough to tell linked items apart.
        parts += [_("received %(day)s", day=format_local_date(other.received_at, timezone)), label("status", other.status)]
        linked.append(LinkedItem(reference=other.reference, words=" · ".join(parts),
                                 merged_here=other.merged_into_id == item.id))
    return linked


def _photos(talk: Conversation | None, photo_dir: str) -> list[PhotoEntry]:
    entries = []
    for number, photo in enumerate(talk.photos if talk is not None else [], start=1):
        entries.append(PhotoEntry(number=number, data_uri=_photo_data_uri(photo, photo_dir), width=photo.width,
                                  height=photo.height, kept_location=photo.kept_location,
                                  received_at=photo.created_at))
    return entries


def _photo_data_uri(photo: TipPhoto, photo_dir: str) -> str | None:
    try:
        data = photo_path(photo_dir, photo.stored_name).read_bytes()
    except (ValueError, OSError):
        log.warning("case file: the file of tip photo %s is missing", photo.id)
        return None
    return pdf.data_uri(data, "image/jpeg")


def _history(item: IntakeItem, merged: list[IntakeItem]) -> list[HistoryEntry]:
    references = {item.id: None} | {other.id: other.reference for other in merged}
    reading = or_(*[AuditEvent.action.startswith(prefix) for prefix in READING_PREFIXES])
    rows = db.session.execute(
        select(AuditEvent, StaffUser.username).outerjoin(StaffUser, StaffUser.id == AuditEvent.actor_id)
        .where(AuditEvent.item_id.in_(list(references)), not_(reading))
        .order_by(AuditEvent.occurred_at, AuditEvent.id).limit(HISTORY_LIMIT + 1)
    ).all()
    reasons = _reveal_reasons([event for event, _username in rows], list(references))
    return [HistoryEntry(event=event, username=username, other_reference=references.get(event.item_id or item.id),
                         reason=reasons.get(event.id))
            for event, username in rows]


def _reveal_reasons(events: list[AuditEvent], item_ids: list[int]) -> dict[int, str]:
    """{event id: reason} for the "reveal_contact" events among `events` whose note (the reason,
    `numbers["note_id"]`) is still there and belongs to one of `item_ids`; an erased note ("") is left out."""
    note_ids = {event.id: event.changes.get("numbers", {}).get("note_id") for event in events
                if event.action == "reveal_contact"}
    wanted = {note_id for note_id in note_ids.values() if isinstance(note_id, int)}
    if not wanted:
        return {}
    bodies = dict(db.session.execute(select(ItemNote.id, ItemNote.body).where(
        ItemNote.id.in_(wanted), ItemNote.item_id.in_(item_ids))).all())
    return {event_id: body for event_id, note_id in note_ids.items() if (body := bodies.get(note_id))}
