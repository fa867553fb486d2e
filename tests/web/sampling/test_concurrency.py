"""Many people pressing "Book" or moving into the same slot at the same instant, on PostgreSQL,
with real threads: the slot is never overbooked, no party is refused while it still fitted, and
every refused person lands on the "just taken" page with their answers kept."""

from __future__ import annotations


import pytest
from sqlalchemy import func, select

from portal.core.extensions import db
from portal.core.models import Appointment, AppointmentStatus, Attendee, Slot
from portal.sampling.booking import SlotFull, book_appointment, move_appointment
from tests.support.factories import create_site, create_slot
from tests.support.helpers import csrf_token, run_together, text_of
from tests.support.sampling import (
    person,
    places_taken,
    resident_id,
    walk_to_check,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_22_people_booking_3_places_at_once_fill_it_exactly_and_the_rest_see_the_just_taken_page(app):
    site = create_site()
    slot = create_slot(site, capacity=3)
    create_slot(site, starts_at=slot.starts_at.replace(hour=slot.starts_at.hour + 1), capacity=3)  # a later time
    # 12 single people and 10 couples, each in their own browser, all on "Check your answers".
    parties: list[list[dict]] = []
    for n in range(22):
        phone = f"138 0013 {8000 + n}"
        first = person(f"单人{n}", id_number=resident_id(serial=f"{n:02d}1"), phone=phone)
        parties.append([first] if n < 12 else [first, person(f"伴侣{n}", id_number=resident_id(serial=f"{n:02d}3"),
                                                             phone="")])
    clients = [app.test_client() for _ in parties]
    tokens = []
    for client, party in zip(clients, parties):
        check = walk_to_check(client, slot, party, headers={"Accept-Language": "en"})
        tokens.append(csrf_token(check.get_data(as_text=True)))
    db.session.remove()

    locations: list[str] = [""] * len(parties)

    def press_book(index: int) -> None:
        response = clients[index].post("/sampling/check", data={"csrf_token": tokens[index]})
        locations[index] = response.headers.get("Location", str(response.status_code))

    run_together(len(parties), press_book)

    booked = [i for i, where in enumerate(locations) if where.endswith("/sampling/confirmation")]
    refused = [i for i, where in enumerate(locations) if where.endswith("/sampling/taken")]
    assert sorted(booked + refused) == list(range(len(parties))), locations
    assert places_taken(slot.id) == 3
    assert sum(len(parties[i]) for i in booked) == 3
    assert db.session.scalar(select(func.sum(Appointment.party_size)).where(Appointment.slot_id == slot.id)) == 3
    # Nobody was refused while their party still fitted: the slot ended full, so no place was
    # left that a refused party of one could have taken.
    assert any(len(parties[i]) == 1 for i in refused) and places_taken(slot.id) == slot.capacity
    for index in refused:
        page = clients[index].get("/sampling/taken", headers={"Accept-Language": "en"})
        text = text_of(page)
        assert "someone else has just taken the last places" in text
        assert all(member["name"] in text for member in parties[index])  # their answers are kept


def test_20_moves_into_a_slot_with_2_places_left_move_exactly_2(app):
    site = create_site()
    target = create_slot(site, capacity=3)
    base = target.starts_at
    book_appointment(slot_id=target.id, applicant_role="parent", applicant_name="先到", applicant_phone="+8613900139999",
                     attendees=[("先到", "parent", resident_id(serial="999"), None)], consent=True, language="zh")
    appointment_ids = []
    origins = []
    for n in range(20):
        origin = create_slot(site, starts_at=base.replace(hour=base.hour + 1 + n // 3, minute=(n % 3) * 20), capacity=1)
        appointment = book_appointment(
            slot_id=origin.id, applicant_role="parent", applicant_name=f"家长{n}", applicant_phone=f"+86138001{38000 + n}",
            attendees=[(f"家长{n}", "parent", resident_id(serial=f"{n:02d}5"), None)], consent=True, language="zh")
        appointment_ids.append(appointment.id)
        origins.append(origin.id)
    db.session.commit()
    target_id = target.id
    capacity = target.capacity
    db.session.remove()
    outcomes: list[str] = [""] * 20

    def move(index: int) -> None:
        with app.app_context():
            appointment = db.session.get(Appointment, appointment_ids[index])
            try:
                move_appointment(appointment, target_id)
                db.session.commit()
                outcomes[index] = "moved"
            except SlotFull:
                db.session.rollback()
                outcomes[index] = "full"
            finally:
                db.session.remove()

    run_together(20, move)

    assert outcomes.count("moved") == 2 and outcomes.count("full") == 18
    assert places_taken(target_id) == capacity == 3
    for index, outcome in enumerate(outcomes):
        appointment = db.session.get(Appointment, appointment_ids[index])
        if outcome == "moved":
            assert appointment.slot_id == target_id and places_taken(origins[index]) == 0
        else:  # a refused move changed nothing: the family keeps its time and its place
            assert appointment.slot_id == origins[index] and places_taken(origins[index]) == 1
            assert appointment.status == AppointmentStatus.BOOKED.value


def test_two_browsers_booking_the_same_identity_number_at_once_end_with_one_active_booking(app):
    site = create_site()
    first = create_slot(site, capacity=3)
    second = create_slot(site, starts_at=first.starts_at.replace(hour=first.starts_at.hour + 2), capacity=3)
    number = resident_id(serial="555")
    clients = [app.test_client(), app.test_client()]
    tokens = []
    for client, slot, phone in zip(clients, (first, second), ("138 0013 8000", "139 0013 9000")):
        check = walk_to_check(client, slot, [person(id_number=number, phone=phone)])
        tokens.append(csrf_token(check.get_data(as_text=True)))
    db.session.remove()
    statuses: list[tuple[int, str]] = [(0, "")] * 2

    def press_book(index: int) -> None:
        response = clients[index].post("/sampling/check", data={"csrf_token": tokens[index]},
                                       headers={"Accept-Language": "en"})
        statuses[index] = (response.status_code, text_of(response))

    run_together(2, press_book)

    assert sorted(code for code, _ in statuses) == [200, 303]
    refused_text = next(text for code, text in statuses if code == 200)
    assert "We could not book with these details" in refused_text  # neutral (test_answers_and_refusals.py)
    active = db.session.scalar(select(func.count()).select_from(Attendee).where(Attendee.active_booking))
    assert active == 1
    assert places_taken(first.id) + places_taken(second.id) == 1
    assert db.session.scalar(select(func.count()).select_from(Slot)) == 2


@pytest.mark.postgres
@pytest.mark.slow
def test_a_double_click_on_book_makes_one_booking_and_both_clicks_see_it(app):
    import threading

    from tests.support.factories import create_site, create_slot
    from tests.support.helpers import csrf_token

    site = create_site()
    slot = create_slot(site)
    url = "/sampling/check"
    browser = app.test_client()
    check = walk_to_check(browser, slot, [person(id_number="11010519491231002X")])
    token = csrf_token(check.get_data(as_text=True))
    cookie = browser.get_cookie("session").value
    draft_cookie = browser.get_cookie("sampling_draft").value  # the answers' server-side draft
    form = {"csrf_token": token}
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def click() -> None:
        client = app.test_client()
        client.set_cookie("session", cookie)
        client.set_cookie("sampling_draft", draft_cookie)
        barrier.wait()
        statuses.append(client.post(url, data=form).status_code)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303, 303]
    from sqlalchemy import func, select

    from portal.core.models import Appointment

    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
