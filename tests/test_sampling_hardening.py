"""Sampling bookings under attack or odd input: one active booking per identity number (held by
the database), days outside the booking horizon, look-alike digits, and children booking alone."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import ApplicantRole, Appointment, Attendee, IntakeItem, OutboundMessage, Slot
from portal.permissions import Role
from portal.sampling.booking import (
    AlreadyBooked,
    RepeatedIdentityNumber,
    UnderAge,
    book_appointment,
)
from portal.sampling.slots import BOOKING_HORIZON_DAYS
from portal.security.crypto import lookup_hash
from tests.factories import create_site, create_staff
from tests.helpers import check_page, get_page, post_form, text_of
from tests.sampling_helpers import attendee_fields, next_weekday, person, resident_id, slot_at, walk_to_check
from tests.staff_support import browser, sign_in
from tests.sampling_helpers import app  # noqa: F401,E402  (fixture: limits a journey cannot reach)

PHONE = "+8613800138000"
CHILD_ID = resident_id(birth="20200101")  # valid check character; six years old in 2026


def book(slot: Slot, id_numbers: list[str], **overrides: object) -> Appointment:
    values: dict = dict(
        slot_id=slot.id,
        applicant_role=ApplicantRole.PARENT,
        applicant_name="王秀英",
        applicant_phone=PHONE,
        attendees=[(f"家人{n}", ApplicantRole.PARENT, number, None) for n, number in enumerate(id_numbers)],
        consent=True,
        language="zh",
    )
    values.update(overrides)
    return book_appointment(**values)


def book_url(site, day: date) -> str:  # type: ignore[no-untyped-def]
    return f"/sampling/site/{site.id}/{day.isoformat()}"


def answer_up_to_the_time(client, people: list[dict] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Answer who / about / attendees, so that the site, day and time pages can be reached."""
    size = str(len(people or [None]))
    for url, data in (("/sampling/who", {"role": "seeking_birth_family", "party_size": size}),
                      ("/sampling/about", {"remembered": "家门口有一棵大树", "missing_born": "1990", "sampled_before": "no"}),
                      ("/sampling/attendees", attendee_fields(people or [person("王小明", relationship="seeking_birth_family",
                                                                                 id_number=resident_id(serial="790"))]))):
        assert post_form(client, url, data).status_code == 302, url


# 1. One active booking per identity number ------------------------------------------------------


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


# 2. Days outside the booking horizon ------------------------------------------------------------


def test_days_outside_the_booking_horizon_are_not_found(client):
    site = create_site()
    answer_up_to_the_time(client)
    today = datetime.now(ZoneInfo(site.timezone)).date()
    get_page(client, book_url(site, today))
    get_page(client, book_url(site, today + timedelta(days=BOOKING_HORIZON_DAYS)))
    for far in ("0001-01-01", "9999-12-31"):
        assert client.get(f"/sampling/site/{site.id}/{far}").status_code == 404, far
        assert client.post(f"/sampling/site/{site.id}/{far}", data={}).status_code in (400, 404), far
    for day in (today - timedelta(days=1), today + timedelta(days=BOOKING_HORIZON_DAYS + 1)):
        assert client.get(book_url(site, day)).status_code == 404, day


# 3. Look-alike digits as the slot ---------------------------------------------------------------


@pytest.mark.parametrize("typed", ["²", "١٢", "１２"])
def test_non_ascii_digits_as_the_time_ask_for_a_time_shown_and_keep_the_answers(client, typed):
    site = create_site()
    day = next_weekday()
    slot_at(site, day, 1)
    client.set_cookie("lang", "en")
    answer_up_to_the_time(client)

    response = post_form(client, book_url(site, day), {"slot": typed})

    assert response.status_code == 200
    check_page(response)
    assert "Choose one of the times shown" in text_of(response)
    kept = check_page(client.get("/sampling/attendees"))
    assert kept.inputs["attendees-0-name"] == "王小明"
    assert db.session.scalars(select(Appointment)).all() == []


# 4. The staff item page shows words, not codes --------------------------------------------------


def test_the_chinese_staff_item_page_names_the_attendees_relationship_in_chinese(app):
    slot = slot_at(create_site(), next_weekday(), 1)
    appointment = book(slot, [resident_id(serial="782")])
    appointment.attendees[0].relationship_to_missing = ApplicantRole.RELATIVE.value
    db.session.commit()
    reference = appointment.item.reference
    user = create_staff(Role.ADMIN)
    client = browser(app)
    client.set_cookie("lang", "zh")
    assert sign_in(client, user.username).status_code == 303

    response, _page = get_page(client, f"/staff/items/{reference}", headers={"Accept-Language": "zh"})

    page_text = text_of(response)
    assert "亲属" in page_text and "父母" in page_text
    assert "relative" not in page_text and "parent" not in page_text


# 5. Children under 14 do not book alone ---------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Tick the box to agree as parent or guardian"), ("zh", "请勾选此框，以父母或监护人的身份表示同意")],
)
def test_a_child_under_14_needs_a_guardians_consent_on_the_consent_page(client, language, expected):
    site = create_site()
    day = next_weekday()
    slot = slot_at(site, day, 1)
    client.set_cookie("lang", language)
    parent = person("王秀英", id_number=resident_id(serial="791"))
    child = person("王小宝", id_number=CHILD_ID, phone="")
    with pytest.raises(AssertionError):
        walk_to_check(client, slot, [parent, child])  # the consent page refuses without the guardian box

    response = client.get("/sampling/consent")
    assert "guardian_consent" in response.get_data(as_text=True)
    refused = post_form(client, "/sampling/consent", {"consent": "y"})
    assert refused.status_code == 200 and expected in text_of(refused)
    assert db.session.scalars(select(Appointment)).all() == []
    assert post_form(client, "/sampling/consent", {"consent": "y", "guardian_consent": "y"}).status_code == 302
    assert db.session.get(Slot, slot.id).booked == 0  # nothing is booked before "Check your answers"


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


@pytest.mark.postgres
@pytest.mark.slow
def test_a_double_click_on_book_makes_one_booking_and_both_clicks_see_it(app):
    import threading

    from tests.factories import create_site, create_slot
    from tests.helpers import csrf_token
    from portal.sampling.slots import local_day

    site = create_site()
    slot = create_slot(site)
    url = "/sampling/check"
    browser = app.test_client()
    check = walk_to_check(browser, slot, [person(id_number="11010519491231002X")])
    token = csrf_token(check.get_data(as_text=True))
    cookie = browser.get_cookie("session").value
    draft_cookie = browser.get_cookie("sampling_draft", path="/sampling").value  # the answers' server-side draft
    form = {"csrf_token": token}
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def click() -> None:
        client = app.test_client()
        client.set_cookie("session", cookie)
        client.set_cookie("sampling_draft", draft_cookie, path="/sampling")
        barrier.wait()
        statuses.append(client.post(url, data=form).status_code)

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303, 303]
    from sqlalchemy import func, select

    from portal.models import Appointment

    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 1
