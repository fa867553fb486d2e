"""One intake item as staff see it, and the changes staff make to it.

`item_details` decides what is shown and how much of it is masked, and names the personal fields
it showed, so that the page and its audit event can never disagree. The change functions record
their audit events in the caller's transaction (the caller commits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from portal.core import audit, clock
from portal.core.extensions import db
from portal.core.identity import display_mobile
from portal.core.security.masking import mask_identity_number, mask_mobile, mask_name
from portal.core.i18n import current_language, format_local_datetime
from portal.core.models import Appointment, AuditEvent, InboundMessage, IntakeItem, ItemNote, StaffUser, Tip, as_utc
from portal.core.security.crypto import phone_hash
from portal.sampling.case_details import case_rows
from portal.sampling.visits import NOT_SAMPLED_REASONS
from portal.staff.labels import label
from portal.tips.answers import seen_words

HISTORY_LIMIT = 200


class NotATip(ValueError):
    """Raised when a tip-only change is asked of an item that is not a tip."""


@dataclass
class ItemDetails:
    """What the item page shows beyond the queue columns.

    `rows`: (label, text) pairs for the kind-specific facts. `case`: a booking's case details,
    (label, text) pairs (`portal.sampling.case_details.case_rows`). `attendees` and `messages`:
    dicts of display text. `place`: a booking's place, its sampling site ("name, city"); None for
    other kinds. `sampling`: a booking's sampling summary, (label, text) pairs: whether the visit
    is done, then each attendee's name with their tube number or why no sample was taken.
    `fields`: names of the personal fields shown (for the audit event; a `_masked` suffix means
    only a masked form was shown).
    """

    place: str | None = None
    sampling: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)
    case: list[tuple[str, str]] = field(default_factory=list)
    attendees: list[dict[str, str]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


def item_details(item: IntakeItem, site_timezone: str, *, reveal_contact: bool = False) -> ItemDetails:
    """Build the kind-specific details of `item` for the current language.

    A tip's contact details (a web tipster's, or an SMS tipster's number) are masked unless the
    tipster agreed to be contacted, or `reveal_contact` (the staff member gave a reason:
    `reveal_contact` below); an attendee's identity number is always masked to its last four
    characters; an SMS sender is masked in the message list. The follow-up code is never shown.
    `site_timezone`: IANA zone for times of items with no site.
    """
    details = ItemDetails()
    if item.tip is not None:
        _tip_details(item, details, reveal=reveal_contact)
    if item.appointment is not None:
        _appointment_details(item, details)
    messages = db.session.scalars(
        select(InboundMessage).where(InboundMessage.item_id == item.id).order_by(InboundMessage.received_at)
    ).all()
    for message in messages:
        details.messages.append(
            {
                "received": format_local_datetime(message.received_at, site_timezone),
                "at": as_utc(message.received_at),
                "sender": mask_mobile(message.from_phone),
                "body": message.body,
                "burst": message.burst,
            }
        )
    if messages:
        details.fields.append("from_phone_masked")
    details.fields = sorted(set(details.fields))
    return details


def _when_words(tip: Tip) -> str:
    """When it was seen, in the staff member's language: from the web journey's date, as precise
    as the tipster gave it (Tuesday 3 November 2026, November 2026, about 2026), and time of
    day when given (not the words stored in the tipster's language), else the text as sent."""
    seen_date = tip.seen_date or (tip.seen_on.isoformat() if tip.seen_on else None)
    return seen_words(seen_date, tip.seen_time) or tip.seen_when or _("Not sure")


def contact_is_masked(item: IntakeItem) -> bool:
    """True when `item` is a tip with contact details its tipster did not agree to show staff."""
    tip = item.tip
    return tip is not None and not tip.may_contact_by_sms and bool(tip.contact_name or tip.contact_phone)


def _tip_details(item: IntakeItem, details: ItemDetails, reveal: bool = False) -> None:
    tip = item.tip
    assert tip is not None
    details.rows += [
        (_("What was seen"), label("category", tip.category)),
        (_("Description"), tip.description),
        (_("Place"), tip.place or "–"),
        (_("When"), _when_words(tip)),
        (_("Child in danger now"), _("Not answered yet") if tip.child_in_danger is None
         else _("Yes") if tip.child_in_danger else _("No")),
        (_("May be contacted by SMS"), _("Yes") if tip.may_contact_by_sms else _("No")),
    ]
    if tip.may_contact_by_sms or reveal:
        name, phone = tip.contact_name or "", display_mobile(tip.contact_phone)
        suffix = ""
    else:
        name, phone = mask_name(tip.contact_name), mask_mobile(tip.contact_phone)
        suffix = "_masked"
    details.rows.append((_("Contact name"), name or "–"))
    details.rows.append((_("Contact mobile number"), phone or "–"))
    if tip.contact_name:
        details.fields.append("contact_name" + suffix)
    if tip.contact_phone:
        details.fields.append("contact_phone" + suffix)


def _appointment_details(item: IntakeItem, details: ItemDetails) -> None:
    appointment = item.appointment
    slot = appointment.slot
    site = slot.site
    details.rows += [
        (_("Sampling site"), site.name),
        (_("Time"), format_local_datetime(slot.starts_at, site.timezone)),
        (_("Appointment status"), label("appointment_status", appointment.status)),
        (_("Who is booking"), label("applicant_role", appointment.applicant_role)),
        (_("Applicant name"), appointment.applicant_name or "–"),
        (_("Applicant mobile number"), display_mobile(appointment.applicant_phone) or "–"),
        (_("Number of attendees"), str(appointment.party_size)),
    ]
    details.place = _("%(site)s, %(city)s", site=site.name, city=site.city) if site.city else site.name
    _sampling_summary(appointment, details)
    details.case = case_rows(appointment.case_details, appointment.applicant_role)
    if details.case:
        details.fields.append("case_details")
    if appointment.applicant_name:
        details.fields.append("applicant_name")
    if appointment.applicant_phone:
        details.fields.append("applicant_phone")
    for attendee in appointment.attendees:
        details.attendees.append(
            {
                "name": attendee.name or "–",
                "relationship": label("applicant_role", attendee.relationship_to_missing),
                "id_number": mask_identity_number(attendee.id_number, current_language()) or "–",
                "phone": display_mobile(attendee.phone) or "–",
            }
        )
        if attendee.name:
            details.fields.append("attendee_name")
        if attendee.id_number:
            details.fields.append("attendee_id_number_masked")
        if attendee.phone:
            details.fields.append("attendee_phone")


def _sampling_summary(appointment: Appointment, details: ItemDetails) -> None:
    """Whether the visit is done and each attendee's sample (tube number, or why none was taken,
    without the desk's note), as on the desk page; the names and tube numbers are audited."""
    site = appointment.site
    if appointment.visit_done_at is not None:
        visit = _("Done on %(time)s", time=format_local_datetime(appointment.visit_done_at, site.timezone))
    elif appointment.checked_in_at is not None:
        visit = _("Checked in, not done yet")
    else:
        visit = _("Not done")
    details.sampling.append((_("Visit"), visit))
    for attendee in appointment.attendees:
        if attendee.sample_tube_number:
            sample = _("Tube number %(tube)s", tube=attendee.sample_tube_number)
            details.fields.append("sample_tube_number")
        elif attendee.not_sampled_reason:
            reason = NOT_SAMPLED_REASONS.get(attendee.not_sampled_reason)
            sample = _("No sample: %(reason)s", reason=reason if reason is not None else attendee.not_sampled_reason)
            details.fields.append("not_sampled_reason")
        else:
            sample = _("No sample recorded yet")
        details.sampling.append((attendee.name or "–", sample))
        if attendee.name:
            details.fields.append("attendee_name")


def audit_history(item: IntakeItem, limit: int = HISTORY_LIMIT) -> list[tuple[AuditEvent, str | None, str | None]]:
    """The item's audit events, newest first, each with the acting account's username (None if
    gone) and None (the place for another item's reference when histories are shown together)."""
    rows = db.session.execute(
        select(AuditEvent, StaffUser.username)
        .outerjoin(StaffUser, StaffUser.id == AuditEvent.actor_id)
        .where(AuditEvent.item_id == item.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [(event, username, None) for event, username in rows]


def record_view(item: IntakeItem, details: ItemDetails, actor_id: int) -> AuditEvent:
    """Record that `actor_id` opened `item` and saw `details.fields` (caller commits)."""
    return audit.record("view_item", actor_id=actor_id, item_id=item.id, fields=details.fields)


def reveal_contact(item: IntakeItem, *, reason: str, actor_id: int) -> None:
    """Record that `actor_id` is shown the masked contact details of tip `item` in full, with
    their reason (kept as an internal note, as a priority change's is) and an audit event naming
    the fields, never their values, and the note's id (`numbers["note_id"]`; caller commits, then shows the page with `reveal_contact`).

    Raises NotATip when `item` is not a tip, ValueError for an empty reason.
    """
    tip = item.tip
    if tip is None:
        raise NotATip(item.reference)
    if not reason.strip():
        raise ValueError("a reason is needed to reveal contact details")
    note = ItemNote(item_id=item.id, author_id=actor_id, body=reason.strip(), created_at=clock.now())
    db.session.add(note)
    db.session.flush()  # the note's id, so that the event names the note that holds the reason
    shown = [name for name, value in (("contact_name", tip.contact_name), ("contact_phone", tip.contact_phone)) if value]
    audit.record("reveal_contact", actor_id=actor_id, item_id=item.id, fields=shown + ["note"],
                 numbers={"note_id": note.id})


def update_contact(item: IntakeItem, *, actor_id: int, name: str | None, phone: str | None) -> None:
    """Correct a tip's contact name and mobile number (`phone` in E.164, or None to remove it).

    The audit event names the two fields and holds neither value. Removing the phone also removes
    the tipster's agreement to be contacted by SMS (there is nothing left to contact).
    Raises NotATip when `item` is not a tip.
    """
    tip = item.tip
    if tip is None:
        raise NotATip(item.reference)
    tip.contact_name = name or None
    tip.contact_phone = phone or None
    tip.contact_phone_hash = phone_hash(phone) if phone else None
    if not phone:
        tip.may_contact_by_sms = False
    audit.record("update_contact", actor_id=actor_id, item_id=item.id, fields=["contact_name", "contact_phone"])
