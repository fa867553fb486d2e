"""Booking a sampling appointment: the one function the web journey and the SMS hotline both call.

The slot's capacity is guarded by the database: `take_places` changes `slot.booked` with one
conditional UPDATE, so two people pressing "Book" at the same instant can never both get the
last place (and the `booked_within_capacity` CHECK constraint backs it up). Likewise one
identity number can have only one active booking: the partial unique index
`uq_attendee_active_id_number` decides when two bookings race, not a read before a write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Sequence

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumError

from portal.core import audit
from portal.core.extensions import db
from portal.core.i18n import LANGUAGES, format_local_datetime
from portal.core.intake import close_finished_appointment, find_by_reference, new_item
from portal.core.models import ApplicantRole, Appointment, AppointmentStatus, Attendee, Channel, DocumentType, ItemKind, SamplingSite, Slot, utcnow
from portal.sampling import notices
from portal.sampling.case_details import case_details_text
from portal.sampling.identity import identity_hash
from portal.sampling.notices import CONFIRMATION_PURPOSE  # noqa: F401  (re-exported)
from portal.sampling.slots import closed_days, horizon, local_day, minimum_notice
from portal.core.security.crypto import hashes_match, phone_hash, resident_id_hash

# A person's full name, on the web forms and in the SMS booking's name question (characters).
FULL_NAME_MAX = 100
# People younger than this on the day of the appointment cannot book for themselves: a parent or
# guardian books for them (a product rule; the web form has no guardian route yet, so it refuses).
MINIMUM_AGE_WITHOUT_GUARDIAN = 14
# A family books for a few people at most; a number holding more upcoming bookings than this is
# more likely a bot exhausting slots, or someone flooding another person's phone with SMS.
MAX_UPCOMING_BOOKINGS_PER_PHONE = 3
ACTIVE_ID_NUMBER_INDEX = "uq_attendee_active_id_number"
MAX_PARTY_SIZE = 4


class BookingError(Exception):
    """A booking cannot be made; the subclass says why (the views turn it into a message)."""


class SlotNotFound(BookingError):
    """No such slot."""


class SlotFull(BookingError):
    """The slot has fewer places left than the party needs (someone else was quicker)."""


class PartyTooLarge(BookingError):
    """The party needs more places than the slot has at all (its capacity), so no amount of
    waiting would make room. `capacity`: the slot's places."""

    def __init__(self, slot_id: int, capacity: int) -> None:
        super().__init__(slot_id, capacity)
        self.capacity = capacity


class SiteClosed(BookingError):
    """The site is not taking bookings (inactive), or is closed on the slot's day."""


class SlotInPast(BookingError):
    """The slot has started, or starts sooner than the minimum notice."""


class AlreadyBooked(BookingError):
    """An attendee's identity number already has an upcoming appointment
    (docs/threat-model.md#exhausting-sampling-slots)."""


class TooManyBookingsForPhone(BookingError):
    """The applicant's mobile number already has MAX_UPCOMING_BOOKINGS_PER_PHONE upcoming
    appointments (docs/threat-model.md#exhausting-sampling-slots: every booking also sends an SMS to it)."""


class RepeatedIdentityNumber(BookingError):
    """Two attendees of one booking gave the same identity number."""


class NotChangeable(BookingError):
    """The appointment is no longer booked (cancelled, checked in, no-show) or has started, so it
    cannot be moved or cancelled; or it changed meanwhile (a concurrent move or cancellation)."""


class UnderAge(BookingError):
    """An attendee is younger than MINIMUM_AGE_WITHOUT_GUARDIAN on the slot's day and no parent or
    guardian consented. `position`: the attendee's index in the booking."""

    def __init__(self, position: int) -> None:
        super().__init__(position)
        self.position = position


@dataclass(frozen=True)
class AttendeeDetails:
    """One person who will give a sample.

    `id_number`: normalised for its `document_type` (portal.sampling.identity); `phone`: E.164
    or None. A person whose identity is unknown (brought by an agency) has `identity_unknown`,
    no name or number, and a `description`: {"age": approximate years (int), "sex": "female",
    "male" or "unknown", "cared_for_at": text}.
    """

    name: str | None
    relationship: ApplicantRole | str
    id_number: str | None
    phone: str | None = None
    document_type: DocumentType | str = DocumentType.RESIDENT_ID
    identity_unknown: bool = False
    description: dict[str, Any] | None = field(default=None, hash=False, compare=False)

    def age_on(self, day: date) -> int | None:
        """Whole years of age on `day` when known (resident identity number or described age)."""
        if self.identity_unknown:
            age = (self.description or {}).get("age")
            return int(age) if isinstance(age, int) or str(age or "").isdigit() else None  # type: ignore[arg-type]  # an int or digits here
        if DocumentType(self.document_type) is DocumentType.RESIDENT_ID and self.id_number:
            return age_on(self.id_number, day)
        return None

    @property
    def identity_hash(self) -> str | None:
        """The one-active-booking lookup hash, None for a person whose identity is unknown."""
        if self.identity_unknown or not self.id_number:
            return None
        return identity_hash(self.document_type, self.id_number)


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
    taken = result.rowcount == 1  # type: ignore[attr-defined]  # CursorResult
    if taken:
        # A Slot already loaded in this session would otherwise show the old count.
        loaded = db.session.identity_map.get(db.session.identity_key(Slot, slot_id))  # type: ignore[arg-type]
        if loaded is not None:
            db.session.expire(loaded, ["booked"])
    return taken


def check_party_fits(slot: Slot, places: int) -> None:
    """Raise PartyTooLarge when a party of `places` people is larger than the slot's capacity."""
    if places > slot.capacity:
        raise PartyTooLarge(slot.id, slot.capacity)


def check_bookable(slot: Slot) -> None:
    """Raise SiteClosed or SlotInPast if the slot cannot be booked now (capacity is not checked here)."""
    site = slot.site
    if not site.active:
        raise SiteClosed(site.id)
    day = local_day(site, slot.starts_at)
    if day in closed_days(site, day, day):
        raise SiteClosed(site.id)
    now = utcnow()
    if slot.starts_at < now + minimum_notice(site):
        raise SlotInPast(slot.id)
    if slot.starts_at >= now + horizon(site):
        raise SiteClosed(site.id)  # not open for booking that far ahead yet


def check_slot_takes(slot: Slot, places: int) -> None:
    """Raise the BookingError a booking of `places` places in `slot` would meet now: SiteClosed or
    SlotInPast (`check_bookable`), PartyTooLarge (`check_party_fits`), or SlotFull when fewer
    than `places` places are left. A check before the booking, for the pages and questions that
    choose a time; `take_places` still decides when two bookings race."""
    check_bookable(slot)
    check_party_fits(slot, places)
    if slot.places_left < places:
        raise SlotFull(slot.id)


def age_on(id_number: str, day: date) -> int:
    """Whole years of age on local `day` of the person with normalised resident identity number
    `id_number` (birth date from its digits 7-14, GB 11643-1999). Raises ValueError if the number
    holds no valid birth date."""
    try:
        born = ric.get_birth_date(id_number)
    except StdnumError as exc:
        raise ValueError("not a valid resident identity number") from exc
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _release_past_bookings(id_hashes: Sequence[str]) -> None:
    # An appointment whose slot has started, or that is no longer booked, does not block a new
    # booking. (Cancelling, check-in and no-show marking should clear the flag as they happen;
    # this catches whatever they have not.)
    finished = (
        select(Appointment.id)
        .join(Slot, Appointment.slot_id == Slot.id)
        .where(or_(Slot.starts_at <= utcnow(), Appointment.status != AppointmentStatus.BOOKED))
    )
    db.session.execute(
        update(Attendee)
        .where(
            Attendee.id_number_hash.in_(id_hashes),
            Attendee.active_booking,
            Attendee.appointment_id.in_(finished),
        )
        .values(active_booking=False)
        .execution_options(synchronize_session=False)
    )


def _upcoming_booking_exists(id_hashes: Sequence[str]) -> bool:
    # The friendly answer for the usual case; a racing booking is stopped by the unique index.
    query = select(Attendee.id).where(Attendee.id_number_hash.in_(id_hashes), Attendee.active_booking)
    return db.session.scalar(query.limit(1)) is not None


def upcoming_for_phone(phone_hash: str, now: datetime | None = None) -> Select[tuple[Appointment]]:
    """The query for the booked appointments made with this mobile number's lookup hash whose
    slot has not started at `now` (UTC; default the current time), soonest first (the same slot
    start: booked first). Slot is joined."""
    return (
        select(Appointment)
        .join(Slot, Appointment.slot_id == Slot.id)
        .where(
            Appointment.applicant_phone_hash == phone_hash,
            Appointment.status == AppointmentStatus.BOOKED,
            Slot.starts_at > (now if now is not None else utcnow()),
        )
        .order_by(Slot.starts_at, Appointment.id)
    )


def upcoming_bookings_for_phone(phone_hash: str) -> int:
    """How many booked, not yet started appointments were made with this mobile number's hash."""
    query = upcoming_for_phone(phone_hash).order_by(None).with_only_columns(func.count(Appointment.id))
    return db.session.scalar(query) or 0


def own_active_booking(id_hashes: Sequence[str] | str, browser_key: str | None = None, *,
                       phone_hash: str | None = None) -> Appointment | None:
    """The active appointment holding one of these identity hashes (`AttendeeDetails.identity_hash`;
    a plain string is read as a normalised resident identity number) that the same browser made
    (`browser_key`) or that was booked with the same mobile number (`phone_hash`, the applicant's
    lookup hash: the SMS hotline's sender), or None. Lets a second "Book" show the booking it
    duplicates instead of an error. Raises ValueError unless exactly one of `browser_key` and
    `phone_hash` is given."""
    if (browser_key is None) == (phone_hash is None):
        raise ValueError("give exactly one of browser_key and phone_hash")
    hashes = [resident_id_hash(id_hashes)] if isinstance(id_hashes, str) else list(id_hashes)
    same_booker = (Appointment.browser_key == browser_key if browser_key is not None
                   else Appointment.applicant_phone_hash == phone_hash)
    query = (
        select(Appointment)
        .join(Attendee, Attendee.appointment_id == Appointment.id)
        .where(
            Attendee.id_number_hash.in_(hashes),
            Attendee.active_booking,
            same_booker,
        )
    )
    return db.session.scalars(query.limit(1)).first()


def _is_active_id_number_clash(error: IntegrityError) -> bool:
    # PostgreSQL names the index; SQLite names the column of a unique index.
    message = str(error.orig)
    return ACTIVE_ID_NUMBER_INDEX in message or "attendee.id_number_hash" in message


def confirmation_sms(reference: str, site: SamplingSite, slot: Slot, language: str) -> str:
    """The SMS hotline's reply confirming a booking made by SMS, in `language` ('zh' or 'en'),
    within three segments (a booking notice: docs/writing.md#how-long-an-sms-may-be).

    Leads with the reference, then the local date, weekday and time, the site and its place;
    then to bring the identity card, that an SMS booking is for one person and how to book for
    another, and how to change or cancel. Nothing personal
    (docs/writing.md#nothing-personal-in-a-message). Cut, when too long, as `notices.fit_notice` says.
    """
    when = format_local_datetime(slot.starts_at, site.timezone, language)
    return notices.sms_booking_confirmation_text(
        reference, site.name, notices.site_place(site.name, site.address, site.city), when, notices.manage_url(),
        language)


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
    guardian_consent: bool = False,
    browser_key: str | None = None,
    case_details: dict[str, Any] | None = None,
    send_confirmation: bool = True,
) -> Appointment:
    """Book `slot_id` for the attendees, in the current transaction (the caller commits).

    `applicant_phone`: E.164. `attendees`: one or more (name, relationship, normalised identity
    number, E.164 phone or None); the party size is their number; with `applicant_attends` the
    first of them is the applicant (an agency bringing someone does not attend itself).
    `consent` must be True (DNA is taken only with explicit consent to use it for
    identification). Creates the intake item (kind appointment, no feedback deadline), the
    appointment and its attendees, and queues the
    SMS confirmation to the applicant in their `language` in the same transaction.
    `guardian_consent`: a parent or guardian agreed for attendees younger than
    MINIMUM_AGE_WITHOUT_GUARDIAN on the slot's local day (without it they are refused).
    `browser_key`: `portal.core.security.browser.browser_key("booking")` of the booking browser, or None.
    `case_details`: the answers about the person being looked for (stored encrypted as JSON).
    The confirmation SMS and the day-before reminder (portal.sampling.notices) are queued;
    with `send_confirmation=False` only the reminder (the SMS hotline's reply to the booking
    message is the confirmation, so a queued copy would arrive twice).

    Stale bookings of these identity numbers (slot already started) are released first. The
    places, rows and SMS are written inside a SAVEPOINT: if a concurrent booking of the same
    identity number wins the unique index, the savepoint is rolled back (the places go back to
    the slot) and AlreadyBooked is raised; the caller's transaction stays usable.

    Raises SlotNotFound, SiteClosed, SlotInPast, PartyTooLarge, RepeatedIdentityNumber, UnderAge,
    TooManyBookingsForPhone, AlreadyBooked,
    SlotFull (all BookingError), or ValueError for a missing consent, no attendees, an unknown
    language or an identity number without a valid birth date.
    """
    if not consent:
        raise ValueError("a booking needs the applicant's consent")
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}")
    people = [item if isinstance(item, AttendeeDetails) else AttendeeDetails(*item) for item in attendees]
    if not people:
        raise ValueError("a booking needs at least one attendee")
    if len(people) > MAX_PARTY_SIZE:
        raise ValueError(f"a booking is for at most {MAX_PARTY_SIZE} people")

    slot = db.session.get(Slot, slot_id) if 0 < slot_id < 2**31 else None
    if slot is None:
        raise SlotNotFound(slot_id)
    check_bookable(slot)
    check_party_fits(slot, len(people))
    all_hashes = [person.identity_hash for person in people]
    id_hashes = [value for value in all_hashes if value is not None]
    if len(set(id_hashes)) != len(id_hashes):
        raise RepeatedIdentityNumber(slot_id)
    if not guardian_consent:
        day = local_day(slot.site, slot.starts_at)
        for position, person in enumerate(people):
            age = person.age_on(day)
            if age is not None and age < MINIMUM_AGE_WITHOUT_GUARDIAN:
                raise UnderAge(position)
    if upcoming_bookings_for_phone(phone_hash(applicant_phone)) >= MAX_UPCOMING_BOOKINGS_PER_PHONE:
        raise TooManyBookingsForPhone(slot_id)
    _release_past_bookings(id_hashes)
    if _upcoming_booking_exists(id_hashes):
        raise AlreadyBooked(slot_id)

    try:
        with db.session.begin_nested():
            appointment = _write_booking(
                slot, people, all_hashes,
                applicant_role=applicant_role, applicant_name=applicant_name, applicant_phone=applicant_phone,
                language=language, channel=channel, applicant_attends=applicant_attends,
                browser_key=browser_key, guardian_consent=guardian_consent, case_details=case_details,
                send_confirmation=send_confirmation,
            )
    except IntegrityError as error:
        if not _is_active_id_number_clash(error):
            raise
        # The savepoint's rollback gave the places back; a Slot loaded here must not show them taken.
        db.session.expire(slot, ["booked"])
        raise AlreadyBooked(slot_id) from error
    return appointment


def _write_booking(
    slot: Slot,
    people: Sequence[AttendeeDetails],
    id_hashes: Sequence[str | None],
    *,
    applicant_role: ApplicantRole,
    applicant_name: str,
    applicant_phone: str,
    language: str,
    channel: Channel,
    applicant_attends: bool,
    browser_key: str | None,
    guardian_consent: bool = False,
    case_details: dict[str, Any] | None = None,
    send_confirmation: bool = True,
) -> Appointment:
    if not take_places(slot.id, len(people)):
        raise SlotFull(slot.id)
    site = slot.site
    item = new_item(ItemKind.APPOINTMENT, channel, deadline_days=None, region_text=site.city)
    appointment = Appointment(
        item=item,
        slot_id=slot.id,
        status=AppointmentStatus.BOOKED,
        applicant_role=ApplicantRole(applicant_role),
        applicant_name=applicant_name,
        applicant_phone=applicant_phone,
        applicant_phone_hash=phone_hash(applicant_phone),
        party_size=len(people),
        consent_given_at=utcnow(),
        language=language,
        browser_key=browser_key,
        guardian_consent=guardian_consent,
        case_details=case_details_text(case_details),
    )
    for position, (person, id_hash) in enumerate(zip(people, id_hashes, strict=True)):
        relationship = person.relationship
        appointment.attendees.append(
            Attendee(
                name=person.name,
                relationship_to_missing=getattr(relationship, "value", relationship),
                id_number=None if person.identity_unknown else person.id_number,
                id_number_hash=id_hash,
                phone=person.phone,
                phone_hash=phone_hash(person.phone) if person.phone else None,
                is_applicant=applicant_attends and position == 0,
                active_booking=True,
                document_type=DocumentType(person.document_type),
                identity_unknown=person.identity_unknown,
                description=json.dumps(person.description, ensure_ascii=False) if person.description else None,
            )
        )
    db.session.add(appointment)
    # The flush is where the unique index speaks: a concurrent booking of the same number fails here.
    db.session.flush()
    notices.queue_confirmation(appointment, send_confirmation=send_confirmation)
    db.session.flush()
    return appointment


def _release_places(slot_id: int, places: int) -> None:
    db.session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.booked >= places)
        .values(booked=Slot.booked - places)
        .execution_options(synchronize_session=False)
    )


def _claim_appointment(appointment: Appointment, **values: Any) -> None:
    # One conditional UPDATE on the appointment row: of two changes racing on one booking (two
    # moves, a move and a cancellation), only the first still finds it booked on its old slot.
    result = db.session.execute(
        update(Appointment)
        .where(
            Appointment.id == appointment.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.slot_id == appointment.slot_id,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult
        raise NotChangeable(appointment.id)


def is_changeable(appointment: Appointment, now: datetime | None = None) -> bool:
    """Whether the appointment can still be moved or cancelled: it is booked and its slot has not
    started at `now` (UTC; default the current time). False is what NotChangeable reports."""
    return (
        appointment.status == AppointmentStatus.BOOKED
        and appointment.slot is not None
        and appointment.slot.starts_at > (now if now is not None else utcnow())
    )


def _check_changeable(appointment: Appointment) -> None:
    if not is_changeable(appointment):
        raise NotChangeable(appointment.id)


def _check_ages_on(appointment: Appointment, slot: Slot) -> None:
    """Raise UnderAge when, without a guardian's consent, an attendee would be younger than
    MINIMUM_AGE_WITHOUT_GUARDIAN on `slot`'s local day (a move to an earlier day can do that)."""
    if appointment.guardian_consent:
        return
    day = local_day(slot.site, slot.starts_at)
    for position, attendee in enumerate(appointment.attendees):
        description = json.loads(attendee.description) if attendee.description else None
        person = AttendeeDetails(attendee.name, attendee.relationship_to_missing, attendee.id_number,
                                 document_type=attendee.document_type, identity_unknown=attendee.identity_unknown,
                                 description=description)
        try:
            age = person.age_on(day)
        except ValueError:
            age = None
        if age is not None and age < MINIMUM_AGE_WITHOUT_GUARDIAN:
            raise UnderAge(position)


def move_appointment(
    appointment: Appointment, new_slot_id: int, *, actor_id: int | None = None, actor_kind: str = "public",
    site_id: int | None = None,
) -> Appointment:
    """Move a booked appointment to `new_slot_id`, at its site or another one, in one step (the
    caller commits).

    The new slot meets every rule of a booking: its site is active and open that day, the time
    is within the site's minimum notice and booking horizon (`check_bookable`), the party fits
    its capacity, and, without a guardian's consent, nobody is under 14 on the new day. Inside
    one SAVEPOINT: the appointment row is updated conditionally (still booked, still on its old
    slot; its calendar SEQUENCE one higher), the party's places are taken in the new slot with
    the conditional UPDATE of `take_places`, and the old slot's places are released; if the new
    slot has no room the savepoint is rolled back and nothing changed. The two slot rows are
    always changed in ascending id order, so two moves in opposite directions cannot deadlock.
    A move to another site also moves the intake item's region (staff find it under the new
    site's city). Queues one change SMS (the new time and site) and a new reminder for the day
    before (the old reminder stops being current), and records an audit event.

    `site_id`: when given, the new slot must be at that site (the staff desk moves bookings only
    within the site it works for).

    Raises NotChangeable, SlotNotFound (no such slot, the booking's own, or one outside `site_id`),
    SiteClosed, SlotInPast, PartyTooLarge, UnderAge or SlotFull (all BookingError).
    """
    _check_changeable(appointment)
    new_slot = db.session.get(Slot, new_slot_id) if 0 < new_slot_id < 2**31 else None
    if (new_slot is None or new_slot.id == appointment.slot_id
            or (site_id is not None and new_slot.site_id != site_id)):
        raise SlotNotFound(new_slot_id)
    check_bookable(new_slot)
    check_party_fits(new_slot, appointment.party_size)
    _check_ages_on(appointment, new_slot)
    old_slot_id = appointment.slot_id
    new_site = new_slot.site
    other_site = new_slot.site_id != appointment.slot.site_id  # type: ignore[union-attr]
    places = appointment.party_size
    with db.session.begin_nested():
        _claim_appointment(appointment, slot_id=new_slot.id, calendar_sequence=Appointment.calendar_sequence + 1)
        if old_slot_id < new_slot.id:  # type: ignore[operator]
            _release_places(old_slot_id, places)  # type: ignore[arg-type]
            if not take_places(new_slot.id, places):
                raise SlotFull(new_slot.id)
        else:
            if not take_places(new_slot.id, places):
                raise SlotFull(new_slot.id)
            _release_places(old_slot_id, places)  # type: ignore[arg-type]
        if other_site:
            appointment.item.region_text = new_site.city
    db.session.expire(appointment)
    for slot_id in (old_slot_id, new_slot.id):
        loaded = db.session.identity_map.get(db.session.identity_key(Slot, slot_id))  # type: ignore[arg-type]
        if loaded is not None:
            db.session.expire(loaded, ["booked"])
    notices.queue_change(appointment)
    audit.record("appointment_moved", actor_id=actor_id, actor_kind=actor_kind, item_id=appointment.item_id,
                 fields=["slot", "site"] if other_site else ["slot"])
    db.session.flush()
    return appointment


def cancel_appointment(
    appointment: Appointment, *, actor_id: int | None = None, actor_kind: str = "public",
    send_notice: bool = True,
) -> Appointment:
    """Cancel a booked appointment (the caller commits): status cancelled, the places freed, the
    identity numbers free to book again, the calendar SEQUENCE one higher (the .ics now says
    STATUS:CANCELLED), the cancellation SMS queued, an audit event recorded.
    `send_notice=False` queues no cancellation SMS: for the SMS hotline, whose reply says so.

    Raises NotChangeable when it is no longer booked or has started.
    """
    _check_changeable(appointment)
    slot_id = appointment.slot_id
    with db.session.begin_nested():
        _claim_appointment(appointment, status=AppointmentStatus.CANCELLED, cancelled_at=utcnow(),
                           calendar_sequence=Appointment.calendar_sequence + 1)
        _release_places(slot_id, appointment.party_size)  # type: ignore[arg-type]
        db.session.execute(
            update(Attendee)
            .where(Attendee.appointment_id == appointment.id)
            .values(active_booking=False)
            .execution_options(synchronize_session=False)
        )
    db.session.expire(appointment)
    for attendee in appointment.attendees:
        db.session.expire(attendee)
    loaded = db.session.identity_map.get(db.session.identity_key(Slot, slot_id))  # type: ignore[arg-type]
    if loaded is not None:
        db.session.expire(loaded, ["booked"])
    if send_notice:
        notices.queue_cancellation(appointment)
    close_finished_appointment(appointment.item_id)
    audit.record("appointment_cancelled", actor_id=actor_id, actor_kind=actor_kind, item_id=appointment.item_id,
                 changes={"status": (AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED)})
    db.session.flush()
    return appointment


def find_for_manage(reference_text: str, phone_e164: str) -> Appointment | None:
    """The appointment with this reference whose applicant's mobile number is `phone_e164`, or None.

    Both must match; the caller shows the same answer for an unknown reference and a wrong
    number (docs/threat-model.md#reading-someone-elses-tip-or-booking).
    """
    item = find_by_reference(reference_text)
    if item is None or item.kind != ItemKind.APPOINTMENT or item.appointment is None:
        # Same work as a real comparison, so the time taken says nothing either.
        hashes_match(phone_e164, "0" * 64, "phone")
        return None
    appointment = item.appointment
    if not appointment.applicant_phone_hash or not hashes_match(phone_e164, appointment.applicant_phone_hash, "phone"):
        return None
    return appointment
