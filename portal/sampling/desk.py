"""At the sampling site: the day list, check-in, walk-ins and no-shows (samples and their tube
numbers: samples.py). Channel-agnostic domain code; the staff pages (staff_views.py) call it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from portal.core import audit
from portal.core.extensions import db
from portal.core.i18n import format_local_time
from portal.core.intake import close_finished_appointment, find_by_reference, new_item
from portal.core.models import (
    ApplicantRole,
    Appointment,
    AppointmentStatus,
    Attendee,
    Channel,
    DocumentType,
    ItemKind,
    SamplingSite,
    Slot,
    utcnow,
)
from portal.sampling.booking import MINIMUM_AGE_WITHOUT_GUARDIAN, AttendeeDetails, BookingError, NotChangeable, UnderAge
from portal.sampling.case_details import case_details_text
from portal.core.security.crypto import phone_hash
from portal.core.security.references import ALPHABET, REFERENCE_LENGTH, REFERENCE_PREFIX, normalise_reference


class NotHere(BookingError):
    """The appointment is not at this site, or not today."""


class NotStartedYet(BookingError):
    """The appointment's time has not come yet: too early to say the family did not come."""


@dataclass(frozen=True)
class DayRow:
    """One line of a site's day list: the appointment and its local start, written as every page
    writes times (上午9:20 · 9:20am, `portal.core.i18n.format_clock`)."""

    appointment: Appointment
    local_time: str


def _day_bounds(site: SamplingSite, day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(site.timezone)
    begins = datetime.combine(day, time(0), tzinfo=zone)
    return begins, begins + timedelta(days=1)


def day_list(site: SamplingSite, day: date) -> list[DayRow]:
    """Who is expected at the site on local `day`, by time (cancelled bookings left out), walk-ins
    at the time they were registered."""
    begins, ends = _day_bounds(site, day)
    booked = db.session.scalars(
        select(Appointment).join(Slot, Appointment.slot_id == Slot.id)
        .where(Slot.site_id == site.id, Slot.starts_at >= begins, Slot.starts_at < ends,
               Appointment.status != AppointmentStatus.CANCELLED)
        .order_by(Slot.starts_at, Appointment.id)
    ).all()
    return [DayRow(a, format_local_time(a.slot.starts_at, site.timezone)) for a in booked]


@dataclass(frozen=True)
class Arrivals:
    """How many of a day list's bookings have arrived: `arrived` checked in (walk-ins included),
    `expected` those booked or checked in (cancelled and no-show bookings left out)."""

    arrived: int
    expected: int


def arrivals(rows: Sequence[DayRow]) -> Arrivals:
    """The day list's bookings arrived (checked in) out of those expected (booked or checked in);
    counted in bookings, not people."""
    statuses = [row.appointment.status for row in rows]
    arrived = statuses.count(AppointmentStatus.CHECKED_IN)
    return Arrivals(arrived=arrived, expected=arrived + statuses.count(AppointmentStatus.BOOKED))


def can_check_in(appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether the desk may check this family in now (UTC `now`): booked, or marked "did not
    come" (by mistake, or they came late), and its slot is on the site's local today."""
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW):
        return False
    zone = ZoneInfo(appointment.slot.site.timezone)  # type: ignore[union-attr]
    now = now or utcnow()
    return appointment.slot.starts_at.astimezone(zone).date() == now.astimezone(zone).date()  # type: ignore[union-attr]


def _checked_in_from(appointment: Appointment, status: AppointmentStatus) -> bool:
    """Check the appointment in if its status is still `status` (one conditional UPDATE); True
    when it was."""
    result = db.session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.status == status)
        .values(status=AppointmentStatus.CHECKED_IN, checked_in_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult


def check_in(appointment: Appointment, site: SamplingSite, *, actor_id: int) -> None:
    """Mark an appointment at `site`, on its local today, as checked in (the caller commits): a
    booked one (audited as "appointment_checked_in"), or one marked "did not come" the same day,
    by mistake or before the family came late (audited as "appointment_checked_in_after_no_show").
    The identity numbers are free to book again, the reminder is no longer due. Each change is
    one conditional UPDATE, so a concurrent check-in or change wins or loses whole.
    Raises NotHere (another site or day) or NotChangeable (cancelled, or already checked in)."""
    if appointment.slot.site_id != site.id:
        raise NotHere(appointment.id)
    zone = ZoneInfo(site.timezone)
    if appointment.slot.starts_at.astimezone(zone).date() != utcnow().astimezone(zone).date():
        raise NotHere(appointment.id)
    before = next((status for status in (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW)
                   if _checked_in_from(appointment, status)), None)
    if before is None:
        raise NotChangeable(appointment.id)
    action = "appointment_checked_in" if before == AppointmentStatus.BOOKED else "appointment_checked_in_after_no_show"
    db.session.execute(update(Attendee).where(Attendee.appointment_id == appointment.id)
                       .values(active_booking=False).execution_options(synchronize_session=False))
    db.session.expire(appointment)
    for attendee in appointment.attendees:
        db.session.expire(attendee)
    close_finished_appointment(appointment.item_id)
    audit.record(action, actor_id=actor_id, item_id=appointment.item_id,
                 changes={"status": (before, AppointmentStatus.CHECKED_IN)})


def register_walk_in(site: SamplingSite, people: Sequence[AttendeeDetails], *, applicant_phone: str | None,
                     language: str, actor_id: int, consent: bool, guardian_consent: bool = False,
                     case_details: Mapping[str, Any] | None = None) -> Appointment:
    """Register people who came without a booking, checked in on the spot (the caller commits).

    They get a slot of their own starting now, full from the start (capacity = party size), so
    they take no booked family's place and the slot is never offered; their identity numbers do
    not hold an active booking. `consent` must be True, as for a booking (DNA is taken only with
    the family's explicit consent to its use for identification); `guardian_consent`: a parent
    or guardian agreed for the people younger than MINIMUM_AGE_WITHOUT_GUARDIAN (14) on the
    site's local today, by their identity numbers. `case_details`: what the family said about
    the person looked for, in the booking journey's keys and stored forms
    (portal.sampling.case_details; empty answers left out), stored encrypted as a booking's are;
    the audit event names the field when given.

    Raises UnderAge (the index of the first person under 14) without `guardian_consent`, or
    ValueError without `consent` or without people."""
    if not people:
        raise ValueError("a walk-in needs at least one person")
    if not consent:
        raise ValueError("a walk-in needs the family's consent")
    if not guardian_consent:
        position = first_under_age(people, utcnow().astimezone(ZoneInfo(site.timezone)).date())
        if position is not None:
            raise UnderAge(position)
    item = new_item(ItemKind.APPOINTMENT, Channel.STAFF, deadline_days=None, region_text=site.city)
    now = utcnow()
    slot = Slot(site_id=site.id, starts_at=now, ends_at=now + timedelta(minutes=site.slot_minutes),
                capacity=len(people), booked=len(people))
    db.session.add(slot)
    first = people[0]
    appointment = Appointment(
        item=item, slot=slot, walk_in=True, status=AppointmentStatus.CHECKED_IN,
        applicant_role=ApplicantRole(first.relationship) if first.relationship in ApplicantRole._value2member_map_
        else ApplicantRole.PARENT,
        applicant_name=first.name, applicant_phone=applicant_phone,
        applicant_phone_hash=phone_hash(applicant_phone) if applicant_phone else None,
        party_size=len(people), consent_given_at=now, guardian_consent=guardian_consent, language=language,
        checked_in_at=now,
        case_details=case_details_text(case_details),
    )
    for position, person in enumerate(people):
        appointment.attendees.append(Attendee(
            name=person.name, relationship_to_missing=getattr(person.relationship, "value", person.relationship),
            id_number=person.id_number, id_number_hash=person.identity_hash, phone=person.phone,
            phone_hash=phone_hash(person.phone) if person.phone else None, is_applicant=position == 0,
            active_booking=False, document_type=DocumentType(person.document_type),
        ))
    db.session.add(appointment)
    db.session.flush()
    close_finished_appointment(item.id)
    audit.record("walk_in_registered", actor_id=actor_id, item_id=item.id,
                 fields=["case_details"] if appointment.case_details else [])
    return appointment


def first_under_age(people: Sequence[AttendeeDetails], day: date) -> int | None:
    """The index of the first person younger than MINIMUM_AGE_WITHOUT_GUARDIAN (14) on local
    `day` (their age read from their identity number or the age described), or None when nobody
    is, or no age is known."""
    for position, person in enumerate(people):
        try:
            age = person.age_on(day)
        except ValueError:
            age = None
        if age is not None and age < MINIMUM_AGE_WITHOUT_GUARDIAN:
            return position
    return None


def mark_no_shows(now: datetime | None = None, site: SamplingSite | None = None, *, actor_id: int | None = None) -> int:
    """Mark as no-show every booked appointment whose local day has ended (at `site`, or at
    every site); the caller commits. `now`: UTC instant. Returns how many were marked."""
    now = now or utcnow()
    query = select(Appointment).join(Slot, Appointment.slot_id == Slot.id).where(
        Appointment.status == AppointmentStatus.BOOKED, Slot.starts_at < now)
    if site is not None:
        query = query.where(Slot.site_id == site.id)
    marked = 0
    for appointment in db.session.scalars(query).all():
        slot_site = appointment.slot.site  # type: ignore[union-attr]
        zone = ZoneInfo(slot_site.timezone)
        if appointment.slot.starts_at.astimezone(zone).date() >= now.astimezone(zone).date():  # type: ignore[union-attr]
            continue  # the day has not ended yet: they may still come
        if _set_no_show(appointment, actor_id=actor_id):
            marked += 1
    db.session.flush()
    return marked


def _set_no_show(appointment: Appointment, *, actor_id: int | None) -> bool:
    """Mark one appointment no-show if it is still booked (one conditional UPDATE, so that a
    check-in at the same instant wins or loses whole); its identity numbers are free to book
    again and its queue item closes; audited as "appointment_no_show". True when it was marked."""
    result = db.session.execute(
        update(Appointment)
        .where(Appointment.id == appointment.id, Appointment.status == AppointmentStatus.BOOKED)
        .values(status=AppointmentStatus.NO_SHOW).execution_options(synchronize_session=False))
    if not result.rowcount:  # type: ignore[attr-defined]  # CursorResult
        return False
    db.session.execute(update(Attendee).where(Attendee.appointment_id == appointment.id)
                       .values(active_booking=False).execution_options(synchronize_session=False))
    close_finished_appointment(appointment.item_id)
    audit.record("appointment_no_show", actor_id=actor_id, actor_kind="staff" if actor_id else "system",
                 item_id=appointment.item_id,
                 changes={"status": (AppointmentStatus.BOOKED, AppointmentStatus.NO_SHOW)})
    return True


def can_mark_no_show(appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether the desk may say this family did not come: still booked, and its time (the slot's
    start, UTC `now`) has come. The day's end is not awaited, as `mark_no_shows` awaits it."""
    now = now or utcnow()
    return appointment.status == AppointmentStatus.BOOKED and appointment.slot.starts_at <= now  # type: ignore[union-attr]


def mark_no_show(appointment: Appointment, site: SamplingSite, *, actor_id: int) -> None:
    """Mark one booked appointment at `site` whose time has come as no-show, for the desk (the
    caller commits); audited like `mark_no_shows`. Raises NotHere (another site), NotStartedYet
    (its time has not come: they may still arrive) or NotChangeable (not booked any more:
    checked in, cancelled or already marked)."""
    if appointment.slot.site_id != site.id:  # type: ignore[union-attr]
        raise NotHere(appointment.id)
    if appointment.status == AppointmentStatus.BOOKED and not can_mark_no_show(appointment):
        raise NotStartedYet(appointment.id)
    if not _set_no_show(appointment, actor_id=actor_id):
        raise NotChangeable(appointment.id)
    db.session.flush()
    db.session.expire(appointment)


# A reference inside a longer scanned text (a URL, a line of a printed confirmation): TY, then 8
# symbols of the reference alphabet, hyphens or spaces allowed between, not touching other letters
# or digits. Matched on the NFKC-folded, upper-cased text.
_REFERENCE_IN_TEXT = re.compile(
    rf"(?<![0-9A-Z]){REFERENCE_PREFIX}[-\s]?((?:[{ALPHABET}][-\s]?){{{REFERENCE_LENGTH - 1}}}[{ALPHABET}])(?![0-9A-Z])")


def reference_in_scan(text: str) -> str | None:
    """The canonical reference (`TY-XXXX-XXXX`) in what the desk's box received, or None.

    Accepts the reference typed in any case, width or spacing (with or without TY), the booking
    QR code's content (the bare reference: `portal.sampling.calendar.reference_qr_svg`), and a
    longer text that contains one reference, such as a URL with it in its path or query. A text
    holding two different references is not guessed at (None)."""
    reference = normalise_reference(text)
    if reference is not None:
        return reference
    folded = unicodedata.normalize("NFKC", text or "").upper()
    found = {normalise_reference(match) for match in _REFERENCE_IN_TEXT.findall(folded)}
    return found.pop() if len(found) == 1 else None


def find_at_site(reference_text: str, site_ids: Sequence[int]) -> Appointment | None:
    """The appointment with this reference (typed, or scanned from its QR code: see
    `reference_in_scan`) at one of the sites, or None."""
    reference = reference_in_scan(reference_text)
    if reference is None:
        return None
    item = find_by_reference(reference)
    if item is None or item.appointment is None:
        return None
    appointment = item.appointment
    return appointment if appointment.slot.site_id in site_ids else None


__all__ = ["Arrivals", "DayRow", "NotHere", "NotStartedYet", "arrivals", "can_check_in", "can_mark_no_show", "check_in", "day_list",
           "find_at_site", "first_under_age", "mark_no_show", "mark_no_shows", "reference_in_scan", "register_walk_in"]
