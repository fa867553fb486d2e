"""The booking domain's rules under odd and simultaneous input (portal/sampling/booking.py): one
active booking per identity number, held by the database, and no child under 14 booked without a
guardian's consent. The pages' side of the same rules: tests/web/sampling/test_pages.py."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import ApplicantRole, Appointment, Attendee, IntakeItem, OutboundMessage, Slot
from portal.sampling.booking import (
    AlreadyBooked,
    RepeatedIdentityNumber,
    UnderAge,
    book_appointment,
)
from portal.core.security.crypto import lookup_hash
from tests.support.factories import create_site
from tests.support.sampling import CHILD_ID, JOURNEY_LIMITS, book, next_weekday, resident_id, slot_at

PHONE = "+8613800138000"


@pytest.fixture
def app_settings() -> dict[str, object]:
    """The app of the booking journey's tests (tests/web/sampling/conftest.py), as when these tests
    shared a module with them."""
    return dict(JOURNEY_LIMITS)


# One active booking per identity number -----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.slow
def test_ten_concurrent_bookings_of_one_identity_number_leave_exactly_one_and_free_the_other_places(app):
    site = create_site()
    day = next_weekday()
    slot_ids = [slot_at(site, day, 1, minute).id for minute in range(0, 50, 5)]
    id_number = resident_id(serial="777")
    start = threading.Barrier(len(slot_ids))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(slot_id: int) -> None:
        with app.app_context():
            start.wait()
            try:
                book_appointment(
                    slot_id=slot_id, applicant_role=ApplicantRole.PARENT, applicant_name="王秀英",
                    applicant_phone=PHONE, attendees=[("王秀英", ApplicantRole.PARENT, id_number, None)],
                    consent=True, language="zh",
                )
                db.session.commit()
                outcome = "booked"
            except AlreadyBooked:
                db.session.rollback()
                outcome = "already booked"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(slot_id,)) for slot_id in slot_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already booked"] * 9 + ["booked"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
    assert db.session.scalar(select(func.count()).select_from(IntakeItem)) == 1
    # The first booking's confirmation and reminder; nothing from the refused one.
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 2
    assert db.session.scalar(select(func.count()).where(Attendee.active_booking)) == 1
    booked_slot = db.session.scalars(select(Appointment)).one().slot_id
    bookings = {slot.id: slot.booked for slot in db.session.scalars(select(Slot))}
    assert bookings.pop(booked_slot) == 1
    assert set(bookings.values()) == {0}


def test_the_database_refuses_a_second_active_booking_the_check_did_not_see(app):
    # The unique index, not the friendly pre-check, is the guarantee. A racing booking's row is
    # invisible to the pre-check; here an unflushed row plays that part (autoflush off), and the
    # booking's own flush meets it.
    site = create_site()
    day = next_weekday()
    other = book(slot_at(site, day, 1), [resident_id(serial="777")])
    db.session.commit()
    second = slot_at(site, day, 2)
    id_number = resident_id(serial="778")
    db.session.add(Attendee(appointment_id=other.id, name="李建国", relationship_to_missing="relative",
                            id_number=id_number, id_number_hash=lookup_hash(id_number, "resident-id")))

    with db.session.no_autoflush, pytest.raises(AlreadyBooked):
        book(second, [id_number])

    db.session.commit()  # only the savepoint was rolled back: the transaction is still usable
    assert db.session.get(Slot, second.id).booked == 0
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
    # The first booking's confirmation and reminder; nothing from the refused one.
    assert db.session.scalar(select(func.count()).select_from(OutboundMessage)) == 2


def test_an_appointment_whose_time_has_passed_no_longer_blocks_a_new_booking(app):
    site = create_site()
    day = next_weekday()
    id_number = resident_id(serial="779")
    old = book(slot_at(site, day, 1), [id_number])
    db.session.commit()
    # The appointment is now in the past.
    old.slot.starts_at = datetime.now(timezone.utc) - timedelta(days=1)
    db.session.commit()

    book(slot_at(site, day, 2), [id_number])
    db.session.commit()

    flags = dict(db.session.execute(select(Attendee.appointment_id, Attendee.active_booking)).all())
    assert flags[old.id] is False and sorted(flags.values()) == [False, True]


def test_two_attendees_with_the_same_identity_number_are_refused_without_writing(app):
    slot = slot_at(create_site(), next_weekday(), 1)
    id_number = resident_id(serial="780")
    with pytest.raises(RepeatedIdentityNumber):
        book(slot, [id_number, id_number])
    db.session.rollback()
    assert db.session.get(Slot, slot.id).booked == 0
    assert db.session.scalars(select(Appointment)).all() == []


# Children under 14 do not book alone --------------------------------------------------------------


def test_under_14_is_refused_by_the_domain_unless_a_guardian_consents(app):
    site = create_site()
    day = next_weekday()
    with pytest.raises(UnderAge):
        book(slot_at(site, day, 1), [resident_id(serial="783"), CHILD_ID])
    db.session.rollback()
    appointment = book(slot_at(site, day, 2), [resident_id(serial="783"), CHILD_ID], guardian_consent=True)
    db.session.commit()
    assert appointment.party_size == 2


def test_a_person_who_turns_14_on_the_appointment_day_may_book_alone(app):
    site = create_site()
    day = next_weekday()
    if (day.month, day.day) == (2, 29):
        day += timedelta(days=1)
    slot = slot_at(site, day, 1)  # 09:00 in Shanghai: the local day is `day`
    fourteenth_birthday = day.replace(year=day.year - 14)
    just_14 = resident_id(birth=fourteenth_birthday.strftime("%Y%m%d"), serial="784")
    day_too_young = fourteenth_birthday + timedelta(days=1)
    not_yet_14 = resident_id(birth=day_too_young.strftime("%Y%m%d"), serial="785")

    with pytest.raises(UnderAge):
        book(slot, [not_yet_14])
    db.session.rollback()
    assert book(slot, [just_14]).party_size == 1
