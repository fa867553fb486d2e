"""Sampling sites, their opening hours and slots, and appointments with their attendees."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from portal.core.extensions import db
from portal.core.models.base import UTCDateTime, utcnow, value_enum
from portal.core.security.crypto import EncryptedText
from portal.core.tube_numbers import normalise_tube_number

# The one index that keeps a tube number to one person (portal.core.tube_numbers; migration 0012).
TUBE_NUMBER_INDEX = "uq_attendee_sample_tube_number"


class SamplingSite(db.Model):
    """A police unit that takes blood samples. Published lists give what they give; staff complete the rest."""

    __tablename__ = "sampling_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))  # the city as published, e.g. 南通市通州区
    district: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    # The person published as the site's contact (联系人); the phones are `phones`.
    contact_person: Mapped[str | None] = mapped_column(String(100))
    fee: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    slot_minutes: Mapped[int] = mapped_column(SmallInteger, default=20)
    places_per_slot: Mapped[int] = mapped_column(SmallInteger, default=3)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    accessibility_notes: Mapped[str | None] = mapped_column(Text)
    # How far ahead families may book, and how soon before a slot booking closes.
    booking_horizon_days: Mapped[int] = mapped_column(SmallInteger, default=60, server_default="60")
    minimum_notice_minutes: Mapped[int] = mapped_column(SmallInteger, default=60, server_default="60")
    # The site's tube label format, e.g. NT{YYYYMMDD}-{NNN}, and its ISO/IEC 7064 check character
    # (a key of portal.core.tube_numbers.CHECK_ALGORITHMS); both empty: any label (still unique).
    tube_label_format: Mapped[str | None] = mapped_column(String(60))
    tube_check_algorithm: Mapped[str | None] = mapped_column(String(20))

    opening_periods: Mapped[list["OpeningPeriod"]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="(OpeningPeriod.weekday, OpeningPeriod.opens_at)"
    )
    phones: Mapped[list["SitePhoneNumber"]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="SitePhoneNumber.position"
    )

    __table_args__ = (UniqueConstraint("province", "name", name="uq_sampling_site_province_name"),)


class PhoneKind(enum.StrEnum):
    """What kind of line a site's phone is (portal.sampling.site_phones decides it from the number)."""

    OFFICE = "office"  # a fixed line, with its area code
    MOBILE = "mobile"


class SitePhoneNumber(db.Model):
    """One of a site's phones, in the order published (`position` 0 first).

    `number` is E.164 (+8651383309663), completed with the area code of the site's city when the
    list left it out; `published` keeps the text as the list gave it (83309663), so a guess can be
    checked against the source. Normalised by portal.sampling.site_phones.
    """

    __tablename__ = "site_phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sampling_site.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
    number: Mapped[str] = mapped_column(String(20))
    kind: Mapped[PhoneKind] = mapped_column(value_enum(PhoneKind, 10))
    label: Mapped[str | None] = mapped_column(String(60))  # e.g. 值班室, as published
    published: Mapped[str | None] = mapped_column(String(60))

    site: Mapped[SamplingSite] = relationship(back_populates="phones")

    __table_args__ = (UniqueConstraint("site_id", "position", name="uq_site_phone_site_id_position"),)


class OpeningPeriod(db.Model):
    """One opening period on one weekday, in the site's local time (weekday 0 = Monday)."""

    __tablename__ = "opening_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sampling_site.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)

    site: Mapped[SamplingSite] = relationship(back_populates="opening_periods")

    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("opens_at < closes_at", name="opens_before_closes"),
    )


class ClosureStatus(enum.StrEnum):
    """Where a closure stands: site staff propose one, an admin confirms or rejects it; only a
    confirmed closure closes days (`portal.sampling.slots.closed_days`)."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class SiteClosure(db.Model):
    """Days a site is closed (holidays), inclusive, in the site's local calendar.

    A closure added by an admin is confirmed at once; one proposed by the site's staff waits for
    an admin (docs/product.md#closing-a-day). `families_told`: how many families with bookings
    on those days were sent the closure SMS when it was confirmed (None before, and for closures
    made before this was recorded).
    """

    __tablename__ = "site_closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sampling_site.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[ClosureStatus] = mapped_column(value_enum(ClosureStatus, 20), default=ClosureStatus.CONFIRMED,
                                                  server_default=ClosureStatus.CONFIRMED.value)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # UTC
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # UTC
    families_told: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("starts_on <= ends_on", name="starts_before_ends"),)


class SiteDayOverride(db.Model):
    """Staff's decision for one local day of one site against the public holiday calendar
    (portal.core.public_holidays): `open` reopens a public holiday or confirms a weekend make-up
    working day (调休); not `open` closes a make-up working day (or any day) that the calendar
    would open. One per site and day; removing it returns the day to the calendar."""

    __tablename__ = "site_day_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sampling_site.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    open: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(200))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("site_id", "day", name="uq_site_day_override_site_id_day"),)


class Slot(db.Model):
    """A bookable time at a site. `booked` can never exceed `capacity`: the database checks it,
    and `booking.take_places` changes it with one conditional UPDATE."""

    __tablename__ = "slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sampling_site.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(SmallInteger)
    booked: Mapped[int] = mapped_column(SmallInteger, default=0)

    site: Mapped[SamplingSite] = relationship()

    __table_args__ = (
        UniqueConstraint("site_id", "starts_at", name="uq_slot_site_id_starts_at"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
    )

    @property
    def places_left(self) -> int:
        """How many more people the slot can take (capacity minus booked)."""
        return self.capacity - self.booked


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"


class DocumentType(enum.StrEnum):
    """The identity documents a sampling site accepts."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643-1999)
    PASSPORT = "passport"
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    FOREIGN_PERMANENT_RESIDENCE = "foreign_permanent_residence"  # 外国人永久居留身份证


class ApplicantRole(enum.StrEnum):
    """Who is booking (the answer tailors what to bring)."""

    PARENT = "parent"
    RELATIVE = "relative"
    SEEKING_BIRTH_FAMILY = "seeking_birth_family"
    AGENCY = "agency"


class Appointment(db.Model):
    """A sampling appointment: one booking of one slot by an applicant, for one or more attendees."""

    __tablename__ = "appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("intake_item.id", ondelete="CASCADE"), unique=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    # Registered on the spot without a booking: its slot is made for it, full from the start, so
    # it is never offered to anyone and takes no booked family's place.
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    status: Mapped[AppointmentStatus] = mapped_column(value_enum(AppointmentStatus, 20), default=AppointmentStatus.BOOKED)
    applicant_role: Mapped[ApplicantRole] = mapped_column(value_enum(ApplicantRole, 30))
    applicant_name: Mapped[str | None] = mapped_column(EncryptedText)
    applicant_phone: Mapped[str | None] = mapped_column(EncryptedText)
    applicant_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    party_size: Mapped[int] = mapped_column(SmallInteger, default=1)
    consent_given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # HMAC of the booking browser's secret (portal.core.security.browser): a second click of "Book"
    # from the same browser is recognised and shown this booking, not an error.
    browser_key: Mapped[str | None] = mapped_column(String(64))
    # The journey's answers about the person being looked for (JSON: name, sex, born, last seen,
    # police report number, sampled before), encrypted: they are personal data.
    case_details: Mapped[str | None] = mapped_column(EncryptedText)
    guardian_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The outbox message that is this booking's current reminder; a reminder whose id is not this
    # one (the booking moved) or whose booking is no longer booked is withdrawn when due.
    reminder_message_id: Mapped[int | None] = mapped_column(Integer)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the visit was done: every attendee's sample recorded, or the desk closed the visit with
    # someone not sampled (portal.sampling.visits). Set once, with the family's one "visit done" SMS.
    visit_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The SEQUENCE of the booking's calendar event (RFC 5545 §3.8.7.4): 0 when booked, one more at
    # each move and at cancellation, so a calendar that imported the .ics replaces its copy.
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    item = relationship("IntakeItem", back_populates="appointment")
    slot: Mapped[Slot] = relationship()
    attendees: Mapped[list["Attendee"]] = relationship(
        back_populates="appointment", cascade="all, delete-orphan", order_by="Attendee.id"
    )

    @property
    def site(self) -> SamplingSite:
        """The site of the appointment's slot."""
        return self.slot.site


class Attendee(db.Model):
    """A person who will give a sample at the appointment."""

    __tablename__ = "attendee"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(EncryptedText)
    relationship_to_missing: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str | None] = mapped_column(EncryptedText)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    is_applicant: Mapped[bool] = mapped_column(Boolean, default=False)
    document_type: Mapped[DocumentType] = mapped_column(
        value_enum(DocumentType, 30), default=DocumentType.RESIDENT_ID,
        server_default=DocumentType.RESIDENT_ID.value,  # the DDL's DEFAULT wants the plain text
    )
    # A person whose identity is unknown, brought by an agency: no document, a description instead
    # (JSON: approximate age, sex, where they are cared for), encrypted.
    identity_unknown: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    description: Mapped[str | None] = mapped_column(EncryptedText)
    # Unique across the deployment, in portal.core.tube_numbers.normalise_tube_number's form (the
    # validator below applies it on every write), so two desks cannot save one label twice.
    sample_tube_number: Mapped[str | None] = mapped_column(String(40))
    sample_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why no sample was taken, when the desk closed the visit without one (a key of
    # portal.sampling.visits.NOT_SAMPLED_REASONS), and the desk's note, encrypted.
    not_sampled_reason: Mapped[str | None] = mapped_column(String(30))
    not_sampled_note: Mapped[str | None] = mapped_column(EncryptedText)
    # True while the appointment is booked and upcoming. A partial unique index allows one
    # active booking per identity number, whichever channel books: the database decides, so two
    # bookings racing with the same number cannot both succeed (docs/threat-model.md#exhausting-sampling-slots).
    active_booking: Mapped[bool] = mapped_column(Boolean, default=True)

    appointment: Mapped[Appointment] = relationship(back_populates="attendees")

    __table_args__ = (
        Index(
            "uq_attendee_active_id_number",
            "id_number_hash",
            unique=True,
            sqlite_where=text("active_booking"),
            postgresql_where=text("active_booking"),
        ),
        Index(TUBE_NUMBER_INDEX, "sample_tube_number", unique=True),
    )

    @validates("sample_tube_number")
    def _normalise_tube_number(self, _key: str, value: str | None) -> str | None:
        """Store every tube number in its one compared form (`normalise_tube_number`)."""
        return normalise_tube_number(value)


class RetiredTubeNumber(db.Model):
    """A tube number that was saved for someone and then corrected away or removed. It stays
    reserved: the desk and corrections refuse it (portal.sampling.samples), so a tube that was
    once tied to one person is never tied to another. In normalise_tube_number's form, unique."""

    __tablename__ = "retired_tube_number"

    id: Mapped[int] = mapped_column(primary_key=True)
    tube_number: Mapped[str] = mapped_column(String(40), unique=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SamplingDraft(db.Model):
    """The answers of one booking journey, kept between its pages for a few hours.

    Found by the HMAC of a random id that lives only in the visitor's `sampling_draft` cookie
    (see portal.core.drafts). The answers are encrypted: they hold names, mobile numbers and identity
    numbers. Deleted by the worker SAMPLING_DRAFT_HOURS after their last change.
    """

    __tablename__ = "sampling_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    answers: Mapped[str | None] = mapped_column(EncryptedText)  # JSON object
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
