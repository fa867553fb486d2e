"""/sampling/manage: reference and mobile number find a booking; it can be moved in one step or
cancelled with an audit record; wrong combinations give no hint and are rate-limited."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.core.extensions import db
from portal.core.models import Appointment, AuditEvent, Slot
from tests.support.factories import create_site
from tests.support.helpers import check_page, csrf_token, get_page, post_form, text_of
from tests.support.sampling import (
    book_on_web,
    next_weekday,
    person,
    places_taken,
    slot_at,
)

REFERENCE = re.compile(r"TY-[2-9A-Z]{4}-[2-9A-Z]{4}")


def _booked(app):  # type: ignore[no-untyped-def]
    site = create_site()
    day = next_weekday(3)
    slot = slot_at(site, day, 1)
    later = slot_at(site, day, 2)
    family = app.test_client()
    assert book_on_web(family, slot, [person(), person("李建国", id_number="11010519491231002X", phone="")]).status_code == 303
    reference = REFERENCE.search(text_of(family.get("/sampling/confirmation"))).group(0)
    return site, day, slot, later, reference


def _find(client, reference: str, phone: str = "138 0013 8000"):  # type: ignore[no-untyped-def]
    return post_form(client, "/sampling/manage", {"reference": reference, "phone": phone},
                     headers={"Accept-Language": "en"})


def test_the_right_reference_and_mobile_show_the_booking(app):
    site, day, slot, later, reference = _booked(app)
    client = app.test_client()
    found = _find(client, reference.lower().replace("-", " "))
    assert found.status_code == 303
    page, _ = get_page(client, "/sampling/manage/booking", headers={"Accept-Language": "en"})
    assert reference in text_of(page) and site.name in text_of(page) and "Booked" in text_of(page)


def test_a_wrong_mobile_and_an_unknown_reference_get_the_same_answer(app):
    site, day, slot, later, reference = _booked(app)
    wrong_phone = _find(app.test_client(), reference, "139 0013 9000")
    unknown = _find(app.test_client(), "TY-2222-2222", "139 0013 9000")
    assert wrong_phone.status_code == unknown.status_code == 200
    strip = lambda response: re.sub(r'name="csrf_token"[^>]*', "", response.get_data(as_text=True))  # noqa: E731
    assert strip(wrong_phone).replace(reference, "REF") == strip(unknown).replace("TY-2222-2222", "REF")
    assert "We could not find a booking" in text_of(unknown)
    check_page(unknown)


def test_wrong_combinations_are_rate_limited(app_factory):
    limited = app_factory(ratelimit_sampling_manage="3 per minute")
    with limited.app_context():
        client = limited.test_client()
        statuses = [_find(client, f"TY-2222-22{n}{n}").status_code for n in range(2, 6)]
        assert statuses == [200, 200, 200, 429]
        db.session.remove()


def test_moving_frees_the_old_places_and_takes_the_new_ones_in_one_step(app):
    site, day, slot, later, reference = _booked(app)
    client = app.test_client()
    _find(client, reference)
    days, _ = get_page(client, "/sampling/manage/move")
    assert f"/sampling/manage/move?day={day.isoformat()}" in days.get_data(as_text=True)
    times, _ = get_page(client, f"/sampling/manage/move?day={day.isoformat()}")
    assert f'value="{later.id}"' in times.get_data(as_text=True) and f'value="{slot.id}"' not in times.get_data(as_text=True)
    moved = client.post(f"/sampling/manage/move?day={day.isoformat()}",
                        data={"csrf_token": csrf_token(times.get_data(as_text=True)), "slot": str(later.id)})
    assert moved.status_code == 303
    assert (places_taken(slot.id), places_taken(later.id)) == (0, 2)
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.slot_id == later.id
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_moved")).one().actor_kind == "public"
    assert "moved" in text_of(client.get("/sampling/manage/booking", headers={"Accept-Language": "en"}))


def test_a_move_into_a_time_taken_meanwhile_changes_nothing_and_says_so(app):
    from portal.sampling.booking import take_places

    site, day, slot, later, reference = _booked(app)
    client = app.test_client()
    _find(client, reference)
    times, _ = get_page(client, f"/sampling/manage/move?day={day.isoformat()}")
    take_places(later.id, 2)
    db.session.commit()
    refused = client.post(f"/sampling/manage/move?day={day.isoformat()}",
                          data={"csrf_token": csrf_token(times.get_data(as_text=True)), "slot": str(later.id)},
                          headers={"Accept-Language": "en"})
    assert refused.status_code == 200 and "someone else has just taken" in text_of(refused)
    assert (places_taken(slot.id), places_taken(later.id)) == (2, 2)


def test_cancelling_frees_the_places_and_the_identity_numbers_and_is_audited(app):
    site, day, slot, later, reference = _booked(app)
    client = app.test_client()
    _find(client, reference)
    confirm, _ = get_page(client, "/sampling/manage/cancel")
    cancelled = client.post("/sampling/manage/cancel", data={"csrf_token": csrf_token(confirm.get_data(as_text=True))})
    assert cancelled.status_code == 303
    assert places_taken(slot.id) == 0
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.status == "cancelled" and appointment.cancelled_at is not None
    assert not any(attendee.active_booking for attendee in appointment.attendees)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appointment_cancelled")).one()
    assert event.changes == {"status": ["booked", "cancelled"]} and event.item_id == appointment.item_id
    # The same people can book again at once.
    again = book_on_web(app.test_client(), later, [person(), person("李建国", id_number="11010519491231002X", phone="")])
    assert again.status_code == 303
    assert db.session.get(Slot, later.id) is not None
