"""Booking a sampling appointment: the one function the web journey and the SMS hotline both call.

The slot's capacity is guarded by the database: `take_places` changes `slot.booked` with one
conditional UPDATE, so two people pressing "Book" at the same instant can never both get the
last place (and the `booked_within_capacity` CHECK constraint backs it up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from flask_babel import force_locale, gettext
from sqlalchemy import select, update

from portal.extensions import db
from portal.i18n import LANGUAGES, format_local_datetime
from portal.intake import new_item
from portal.models import (
    ApplicantRole,
    Appointment,
    AppointmentStatus,
    Attendee,
    Channel,
    ItemKind,
    SamplingSite,
    Slot,
    utcnow,
)
from portal.outbox import queue_message
from portal.sampling.slots import MINIMUM_NOTICE, closed_days, local_day
from portal.security.crypto import lookup_hash

CONFIRMATION_PURPOSE = "booking_confirmation"
# Two UCS-2 segments (WRITING.md): any Chinese character makes the whole SMS UCS-2.
SMS_LIMIT_CHINESE = 134


class BookingError(Exception):
    """A booking cannot be made; the subclass says why (the views turn it into a message)."""


class SlotNotFound(BookingError):
    """No such slot."""


class SlotFull(BookingError):
    """The slot has fewer places left than the party needs (someone else was quicker)."""


class SiteClosed(BookingError):
    """The site is not taking bookings (inactive), or is closed on the slot's day."""


class SlotInPast(BookingError):
    """The slot has started, or starts sooner than the minimum notice."""


class AlreadyBooked(BookingError):
    """An attendee's identity number already has an upcoming appointment (THREATS.md: slot exhaustion)."""


@dataclass(frozen=True)
class AttendeeDetails:
    """One person who will give a sample. `id_number`: normalised (portal.forms.normalise_resident_id);
    `phone`: E.164 or None."""

    name: str
    relationship: ApplicantRole | str
    id_number: str
    phone: str | None = None


def take_places(slot_id: int, places: int) -> bool:
    """Reserve `places` places in the slot, in the current transaction; True if they were free.

    One conditional UPDATE (`booked = booked + n WHERE booked + n <= capacity`), never a read
    followed by a write: the database serialises concurrent updates of the row and re-checks the
    condition, so the slot cannot be overbooked. False when there is not enough room (or no slot).
    """
    if places <= 0:
        raise ValueError("places must be positive")
    result = db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked + places <= Slot.capacity)
        .values(booked=Slot.booked + places)
        .execution_options(synchronize_session=False)
    )
    taken = result.rowcount == 1
    if taken:
        # A Slot already loaded in this session would otherwise show the old count.
        loaded = db.session.identity_map.get(db.session.identity_key(Slot, slot_id))  # type: ignore[arg-type]
        if loaded is not None:
            db.session.expire(loaded, ["booked"])
    return taken


def check_bookable(slot: Slot) -> None:
    """Raise SiteClosed or SlotInPast if the slot cannot be booked now (capacity is not checked here)."""
    site = slot.site
    if not site.active:
        raise SiteClosed(site.id)
    day = local_day(site, slot.starts_at)
    if day in closed_days(site, day, day):
        raise SiteClosed(site.id)
    if slot.starts_at < utcnow() + MINIMUM_NOTICE:
        raise SlotInPast(slot.id)


def _upcoming_booking_exists(id_hashes: Sequence[str]) -> bool:
    query = (
        select(Attendee.id)
        .join(Appointment, Attendee.appointment_id == Appointment.id)
        .join(Slot, Appointment.slot_id == Slot.id)
        .where(
            Attendee.id_number_hash.in_(id_hashes),
            Appointment.status == AppointmentStatus.BOOKED.value,
            Slot.starts_at >= utcnow(),
        )
        .limit(1)
    )
    return db.session.scalar(query) is not None


def confirmation_sms(reference: str, site: SamplingSite, slot: Slot, language: str) -> str:
    """The SMS confirming a booking, in `language` ('zh' or 'en'), within two segments.

    Leads with the reference, then the local date, weekday and time and the site; nothing
    personal (WRITING.md). If a very long site name would take it past SMS_LIMIT_CHINESE, the
    closing advice is left off rather than splitting into a third segment.
    """
    when = format_local_datetime(slot.starts_at, site.timezone, language)
    with force_locale(language):
        body = gettext(
            "Reference %(reference)s. Free blood sampling booked: %(time)s, %(site)s.",
            reference=reference,
            time=when,
            site=site.name,
        )
        advice = gettext("Bring your identity card.")
    joined = f"{body}{advice}" if language == "zh" else f"{body} {advice}"
    return joined if len(joined) <= SMS_LIMIT_CHINESE else body


def book_appointment(
    *,
    slot_id: int,
    applicant_role: ApplicantRole,
    applicant_name: str,
    applicant_phone: str,
    attendees: Sequence[AttendeeDetails | tuple[str, ApplicantRole | str, str, str | None]],
    consent: bool,
    language: str,
    channel: Channel = Channel.WEB,
    applicant_attends: bool = True,
) -> Appointment:
    """Book `slot_id` for the attendees, in the current transaction (the caller commits).

    `applicant_phone`: E.164. `attendees`: one or more (name, relationship, normalised identity
    number, E.164 phone or None); the party size is their number; with `applicant_attends` the
first of them is the applicant (an agency bringing someone does not attend itself). `consent` must be True (DNA is
    taken only with explicit consent to use it for identification). Creates the intake item
    (kind appointment, no feedback deadline), the appointment and its attendees, and queues the
    SMS confirmation to the applicant in their `language` in the same transaction.

    Raises SlotNotFound, SiteClosed, SlotInPast, AlreadyBooked, SlotFull (all BookingError), or
    ValueError for a missing consent, no attendees or an unknown language.
    """
    if not consent:
        raise ValueError("a booking needs the applicant's consent")
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}")
    people = [item if isinstance(item, AttendeeDetails) else AttendeeDetails(*item) for item in attendees]
    if not people:
        raise ValueError("a booking needs at least one attendee")

    slot = db.session.get(Slot, slot_id)
    if slot is None:
        raise SlotNotFound(slot_id)
    check_bookable(slot)
    id_hashes = [lookup_hash(person.id_number, "resident-id") for person in people]
    if _upcoming_booking_exists(id_hashes):
        raise AlreadyBooked(slot_id)
    if not take_places(slot_id, len(people)):
        raise SlotFull(slot_id)

    site = slot.site
    item = new_item(ItemKind.APPOINTMENT, channel, deadline_days=None, region_text=site.city)
    appointment = Appointment(
        item=item,
        slot_id=slot.id,
        status=AppointmentStatus.BOOKED.value,
        applicant_role=ApplicantRole(applicant_role).value,
        applicant_name=applicant_name,
        applicant_phone=applicant_phone,
        applicant_phone_hash=lookup_hash(applicant_phone, "phone"),
        party_size=len(people),
        consent_given_at=utcnow(),
        language=language,
    )
    for position, (person, id_hash) in enumerate(zip(people, id_hashes)):
        relationship = person.relationship
        appointment.attendees.append(
            Attendee(
                name=person.name,
                relationship_to_missing=getattr(relationship, "value", relationship),
                id_number=person.id_number,
                id_number_hash=id_hash,
                phone=person.phone,
                phone_hash=lookup_hash(person.phone, "phone") if person.phone else None,
                is_applicant=applicant_attends and position == 0,
            )
        )
    db.session.add(appointment)
    db.session.flush()
    queue_message(
        applicant_phone,
        confirmation_sms(item.reference, site, slot, language),
        CONFIRMATION_PURPOSE,
        item_id=item.id,
    )
    return appointment
