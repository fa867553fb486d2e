"""The booking domain: places taken atomically, the appointment, its attendees and the SMS confirmation."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from portal.core.extensions import db
from portal.core.models import ApplicantRole, Appointment, Attendee, Channel, IntakeItem, OutboundMessage, SamplingSite, SiteClosure, Slot, utcnow
from portal.sampling.booking import (
    AlreadyBooked,
    PartyTooLarge,
    SiteClosed,
    SlotFull,
    SlotInPast,
    SlotNotFound,
    book_appointment,
    confirmation_sms,
    take_places,
)
from portal.core.security.crypto import lookup_hash
from portal.core.sms.segments import MAX_NOTICE_SEGMENTS, segments
from portal.sampling.slots import local_day
from tests.support.factories import create_site, create_slot
from tests.support.sampling import next_weekday, reopen_if_day_off, resident_id, slot_at

PHONE = "+8613800138000"


def book(slot: Slot, *, id_number: str | None = None, language: str = "zh", **overrides: object) -> Appointment:
    values: dict = dict(
        slot_id=slot.id,
        applicant_role=ApplicantRole.PARENT,
        applicant_name="王秀英",
        applicant_phone=PHONE,
        attendees=[("王秀英", ApplicantRole.PARENT, id_number or resident_id(), PHONE)],
        consent=True,
        language=language,
    )
    values.update(overrides)
    return book_appointment(**values)


def test_take_places_fills_a_slot_to_capacity_and_no_further(app):
    slot = create_slot(create_site(), capacity=3)
    results = [take_places(slot.id, 1) for _ in range(4)]
    db.session.commit()
    assert results == [True, True, True, False]
    db.session.refresh(slot)
    assert slot.booked == 3


def test_take_places_refuses_a_party_larger_than_the_places_left(app):
    slot = create_slot(create_site(), capacity=3, booked=2)
    assert take_places(slot.id, 2) is False
    assert take_places(slot.id, 1) is True


@pytest.mark.postgres
@pytest.mark.slow
def test_take_places_never_overbooks_when_twenty_people_book_at_once(app):
    slot = create_slot(create_site(), capacity=3)
    slot_id = slot.id
    start = threading.Barrier(20)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def attempt() -> None:
        with app.app_context():
            start.wait()
            taken = take_places(slot_id, 1)
            db.session.commit()
            with lock:
                outcomes.append(taken)
            db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(outcomes) == 20
    assert outcomes.count(True) == 3
    db.session.expire_all()
    assert db.session.get(Slot, slot_id).booked == 3


def test_a_booking_creates_item_appointment_attendee_one_confirmation_and_one_reminder(app):
    slot = create_slot(create_site(), capacity=3)
    id_number = resident_id()

    appointment = book(slot, id_number=id_number)
    db.session.commit()

    item = db.session.scalars(select(IntakeItem)).one()
    assert (item.kind, item.channel, item.feedback_due_at) == ("appointment", "web", None)
    assert appointment.party_size == 1 and appointment.applicant_role == "parent"
    assert appointment.applicant_phone_hash == lookup_hash(PHONE, "phone")
    attendee = appointment.attendees[0]
    assert attendee.is_applicant and attendee.id_number == id_number
    assert attendee.id_number_hash == lookup_hash(id_number, "resident-id")
    assert db.session.get(Slot, slot.id).booked == 1
    message = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "booking_confirmation")).one()
    assert (message.to_phone, message.purpose, message.status) == (PHONE, "booking_confirmation", "queued")
    assert message.body.startswith(f"受理编号{item.reference}")
    assert message.item_id == item.id
    reminder = db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "booking_reminder")).one()
    assert reminder.not_before > utcnow() and appointment.reminder_message_id == reminder.id


def test_an_sms_booking_answered_with_its_confirmation_queues_only_the_reminder(app):
    slot = create_slot(create_site(), capacity=3)

    appointment = book(slot, channel=Channel.SMS, send_confirmation=False)
    db.session.commit()

    assert appointment.item.channel == "sms"
    purposes = db.session.scalars(select(OutboundMessage.purpose)).all()
    assert purposes == ["booking_reminder"]


def test_a_party_of_three_takes_three_places(app):
    slot = create_slot(create_site(), capacity=3)
    people = [(f"家人{n}", ApplicantRole.PARENT, resident_id(serial=f"00{n}"), None) for n in range(1, 4)]
    appointment = book(slot, attendees=people)
    assert appointment.party_size == 3 and len(appointment.attendees) == 3
    # A slot that could never hold the party says so, not "full" (tests/web/sampling/test_answers_and_refusals.py).
    with pytest.raises(PartyTooLarge):
        book(create_slot(slot.site, starts_at=slot.starts_at + timedelta(hours=1), capacity=2),
             attendees=[(f"另{n}", "relative", resident_id(serial=f"01{n}"), None) for n in range(3)])


def test_booking_a_full_slot_raises_slot_full_and_writes_nothing(app):
    slot = create_slot(create_site(), capacity=1, booked=1)
    with pytest.raises(SlotFull):
        book(slot)
    db.session.rollback()
    assert db.session.scalars(select(OutboundMessage)).all() == []
    assert db.session.scalars(select(Appointment)).all() == []


def test_slots_of_closed_sites_past_times_and_unknown_ids_are_refused(app):
    site = create_site()
    day = next_weekday()
    slot = slot_at(site, day, 1)
    past_start = utcnow() - timedelta(hours=2)
    past = Slot(site=site, starts_at=past_start, ends_at=past_start + timedelta(minutes=20), capacity=3)
    soon_start = utcnow() + timedelta(minutes=10)
    soon = Slot(site=site, starts_at=soon_start, ends_at=soon_start + timedelta(minutes=20), capacity=3)
    db.session.add_all([past, soon])
    db.session.commit()
    for instant in (past_start, soon_start):  # in the past or too soon, whatever day the test runs
        reopen_if_day_off(site, local_day(site, instant))

    for refused, error in ((past, SlotInPast), (soon, SlotInPast)):
        with pytest.raises(error):
            book(refused)
    with pytest.raises(SlotNotFound):
        book(slot, slot_id=999999)

    db.session.add(SiteClosure(site_id=site.id, starts_on=day, ends_on=day))
    db.session.commit()
    with pytest.raises(SiteClosed):
        book(slot)

    other = create_site(name="如皋市公安局", active=False)
    with pytest.raises(SiteClosed):
        book(slot_at(other, day, 2))


def test_an_identity_number_with_an_upcoming_appointment_cannot_book_again(app):
    site = create_site()
    day = next_weekday()
    id_number = resident_id()
    book(slot_at(site, day, 1), id_number=id_number)
    db.session.commit()
    with pytest.raises(AlreadyBooked):
        book(slot_at(site, day, 2), id_number=id_number)


def test_a_booking_needs_consent(app):
    slot = create_slot(create_site())
    with pytest.raises(ValueError):
        book(slot, consent=False)


def test_names_phones_and_identity_numbers_are_encrypted_in_the_raw_rows(app):
    id_number = resident_id()
    book(create_slot(create_site()), id_number=id_number)
    db.session.commit()

    appointment_row = db.session.execute(text("SELECT applicant_name, applicant_phone FROM appointment")).one()
    attendee_row = db.session.execute(text("SELECT name, id_number, phone FROM attendee")).one()
    raw = " ".join(str(value) for value in (*appointment_row, *attendee_row))
    for secret in ("王秀英", PHONE, "13800138000", id_number):
        assert secret not in raw
    assert db.session.scalars(select(Attendee)).one().id_number == id_number


def longest_case() -> tuple[SamplingSite, Slot]:
    site = create_site(name="启东市公安局汇龙镇中心派出所", city="启东市")
    # Wednesday 30 December 2026, 10:40am in Shanghai: the longest date and time either language writes.
    starts = datetime(2026, 12, 30, 2, 40, tzinfo=timezone.utc)
    slot = Slot(site=site, starts_at=starts, ends_at=starts + timedelta(minutes=20), capacity=3)
    return site, slot


def test_the_chinese_sms_booking_reply_fits_three_segments_and_leads_with_the_reference(app):
    site, slot = longest_case()
    body = confirmation_sms("TY-7K3M-9Q2P", site, slot, "zh")
    assert segments(body) <= MAX_NOTICE_SEGMENTS
    assert body.startswith("受理编号TY-7K3M-9Q2P")
    assert "2026年12月30日（星期三）上午10:40" in body and site.name in body
    assert "身份证" in body
    assert "您本人" in body and "再发送“预约”" in body and "取消预约" in body


def test_the_english_sms_booking_reply_with_a_chinese_site_name_also_fits_three_segments(app):
    site, slot = longest_case()
    body = confirmation_sms("TY-7K3M-9Q2P", site, slot, "en")
    assert segments(body) <= MAX_NOTICE_SEGMENTS
    assert body.startswith("Reference TY-7K3M-9Q2P.")
    assert "for you only" in body and "To book for another person, send BOOK again." in body
    assert "CANCEL BOOKING" in body
    assert "Wednesday 30 December 2026, 10:40am" in body and site.name in body
