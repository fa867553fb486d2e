"""Moving a booking to another sampling site (portal.sampling.booking.move_appointment): every rule
of a booking applies at the new site, the move is one step that either happens whole or not at all,
and the family gets one SMS about it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, AuditEvent, OutboundMessage, SiteClosure, Slot, utcnow
from portal.sampling.booking import (
    NotChangeable,
    PartyTooLarge,
    SiteClosed,
    SlotFull,
    SlotInPast,
    SlotNotFound,
    UnderAge,
    cancel_appointment,
    move_appointment,
)
from portal.sampling.notices import CHANGE_PURPOSE, CONFIRMATION_PURPOSE, REMINDER_PURPOSE
from portal.sampling.slots import local_day
from tests.support.factories import create_site
from tests.support.sampling import book, next_weekday, places_taken, reopen_if_day_off, resident_id, slot_at


def _two_sites():  # type: ignore[no-untyped-def]
    here = create_site()
    there = create_site(name="海门区公安局", city="南通市海门区", address="海门区北京中路1号")
    return here, there


def _booked(slot: Slot, people: int = 2) -> Appointment:
    appointment = book(slot, [resident_id(serial=f"00{n}") for n in range(1, people + 1)])
    db.session.commit()
    return appointment


def _state(appointment_id: int) -> tuple[int, str, int]:
    db.session.expire_all()
    appointment = db.session.get(Appointment, appointment_id)
    return appointment.slot_id, appointment.status, appointment.calendar_sequence


def test_a_booking_moves_to_another_site_in_one_step_and_the_family_gets_one_sms(app):
    here, there = _two_sites()
    day = next_weekday(3)
    old_slot, new_slot = slot_at(here, day, 1), slot_at(there, next_weekday(5), 2)
    appointment = _booked(old_slot)
    before = set(db.session.scalars(select(OutboundMessage.id)))

    move_appointment(appointment, new_slot.id)
    db.session.commit()

    assert (places_taken(old_slot.id), places_taken(new_slot.id)) == (0, 2)
    assert _state(appointment.id) == (new_slot.id, "booked", 1)
    moved = db.session.get(Appointment, appointment.id)
    assert moved.site.id == there.id and moved.item.region_text == "南通市海门区"
    new_messages = [m for m in db.session.scalars(select(OutboundMessage)) if m.id not in before]
    due_now = [m for m in new_messages if m.not_before is None or m.not_before <= utcnow()]
    assert [m.purpose for m in due_now] == [CHANGE_PURPOSE]  # one SMS now: the new time and site
    assert "海门区公安局" in due_now[0].body and "海门区北京中路1号" in due_now[0].body
    assert CONFIRMATION_PURPOSE not in {m.purpose for m in new_messages}
    assert {m.purpose for m in new_messages} <= {CHANGE_PURPOSE, REMINDER_PURPOSE}
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_moved")).one()
    assert "site" in (event.fields or "")


def test_a_party_larger_than_the_new_sites_places_per_time_is_refused_and_nothing_changes(app):
    here, _ = _two_sites()
    small = create_site(name="如东县公安局", city="如东县", places_per_slot=1)
    day = next_weekday(3)
    old_slot = slot_at(here, day, 1)
    tiny = slot_at(small, day, 2, capacity=1)
    appointment = _booked(old_slot)

    with pytest.raises(PartyTooLarge):
        move_appointment(appointment, tiny.id)
    db.session.rollback()
    assert _state(appointment.id) == (old_slot.id, "booked", 0)
    assert (places_taken(old_slot.id), places_taken(tiny.id)) == (2, 0)


def test_a_new_time_without_room_for_the_party_is_refused_and_the_old_places_stay_taken(app):
    here, there = _two_sites()
    day = next_weekday(3)
    old_slot = slot_at(here, day, 1)
    almost_full = slot_at(there, day, 2)
    other = book(almost_full, [resident_id(serial="091"), resident_id(serial="092")],
                 applicant_phone="+8613900139000")
    db.session.commit()
    appointment = _booked(old_slot)
    assert other.party_size == 2

    with pytest.raises(SlotFull):
        move_appointment(appointment, almost_full.id)
    db.session.rollback()
    assert _state(appointment.id) == (old_slot.id, "booked", 0)
    assert (places_taken(old_slot.id), places_taken(almost_full.id)) == (2, 2)
    assert not db.session.scalars(select(OutboundMessage).where(OutboundMessage.purpose == CHANGE_PURPOSE)).all()


def test_a_move_to_a_site_not_taking_bookings_or_closed_that_day_is_refused(app):
    here, there = _two_sites()
    day = next_weekday(3)
    old_slot = slot_at(here, day, 1)
    closed_slot = slot_at(there, day, 2)
    appointment = _booked(old_slot)
    db.session.add(SiteClosure(site_id=there.id, starts_on=day, ends_on=day, reason="节假日"))
    db.session.commit()
    with pytest.raises(SiteClosed):
        move_appointment(appointment, closed_slot.id)
    db.session.rollback()

    inactive = create_site(name="如皋市公安局", city="如皋市", active=False)
    with pytest.raises(SiteClosed):
        move_appointment(db.session.get(Appointment, appointment.id), slot_at(inactive, day, 2).id)
    db.session.rollback()
    assert _state(appointment.id) == (old_slot.id, "booked", 0)


def test_a_move_too_soon_or_beyond_the_new_sites_horizon_is_refused(app):
    here, there = _two_sites()
    old_slot = slot_at(here, next_weekday(3), 1)
    appointment = _booked(old_slot)
    starts = utcnow() + timedelta(minutes=20)  # inside the site's 60 minutes' notice
    too_soon = Slot(site=there, starts_at=starts, ends_at=starts + timedelta(minutes=20), capacity=3, booked=0)
    far = utcnow() + timedelta(days=there.booking_horizon_days + 5)
    too_far = Slot(site=there, starts_at=far, ends_at=far + timedelta(minutes=20), capacity=3, booked=0)
    db.session.add_all([too_soon, too_far])
    db.session.commit()
    reopen_if_day_off(there, local_day(there, starts))  # too soon, whatever day the test runs

    with pytest.raises(SlotInPast):
        move_appointment(appointment, too_soon.id)
    db.session.rollback()
    with pytest.raises(SiteClosed):
        move_appointment(db.session.get(Appointment, appointment.id), too_far.id)
    db.session.rollback()
    with pytest.raises(SlotNotFound):
        move_appointment(db.session.get(Appointment, appointment.id), 2**31 - 1)
    db.session.rollback()
    assert _state(appointment.id) == (old_slot.id, "booked", 0)


def test_a_move_to_a_day_when_a_child_is_not_yet_14_needs_a_guardians_consent(app):
    here, there = _two_sites()
    later = next_weekday(10)
    earlier = next_weekday(3)
    # The child turns 14 on `later`: booked for that day without a guardian, 13 on `earlier`.
    birthday = date(later.year - 14, later.month, later.day)
    child = resident_id(birth=birthday.strftime("%Y%m%d"), serial="077")
    appointment = book(slot_at(here, later, 1), [child])
    db.session.commit()

    with pytest.raises(UnderAge):
        move_appointment(appointment, slot_at(there, earlier, 2).id)
    db.session.rollback()
    assert _state(appointment.id)[1:] == ("booked", 0)


def test_a_booking_moved_twice_has_sequence_two_and_its_cancellation_three(app):
    here, there = _two_sites()
    day = next_weekday(3)
    appointment = _booked(slot_at(here, day, 1), people=1)
    move_appointment(appointment, slot_at(there, day, 2).id)
    db.session.commit()
    move_appointment(db.session.get(Appointment, appointment.id), slot_at(here, day, 3).id)
    db.session.commit()
    assert _state(appointment.id)[2] == 2
    cancel_appointment(db.session.get(Appointment, appointment.id))
    db.session.commit()
    assert _state(appointment.id)[1:] == ("cancelled", 3)
    with pytest.raises(NotChangeable):
        move_appointment(db.session.get(Appointment, appointment.id), slot_at(there, day, 4).id)


def test_the_calendar_sequence_column_starts_at_zero_for_a_new_booking(app):
    site = create_site()
    appointment = _booked(slot_at(site, next_weekday(3), 1), people=1)
    assert _state(appointment.id)[2] == 0
